"""Finalizing a computed run: the ledger written and the month closed, once."""

import logging

from django.db import transaction
from django.utils import timezone

from ledger.adjustments import adjustments_post
from payouts.models import PayoutRun
from payouts.run.errors import RunProblem
from payouts.run.releases import releases_post
from payouts.run.state import Status, locked
from payouts.run.window import month_over_check
from payouts.settlement import run_deductions_write, run_settlement_write
from payouts.signals import run_finalized
from streams.services import month_close

logger = logging.getLogger(__name__)


def payout_run_finalize(*, run_id: int, finalized_by: str = "") -> PayoutRun:
    """Write the ledger and close the month, once. Idempotent: a finalized run is returned
    as it is; concurrent calls queue on the run's row lock and find it finalized."""
    with transaction.atomic():
        run = locked(run_id)
        if run.status == Status.FINALIZED:
            return run
        if run.status != Status.COMPUTED:
            raise RunProblem(f"Payout run {run_id} is {run.status}; only a computed run can be finalized.")
        if run.holds.filter(decision__isnull=True).exists():
            raise RunProblem(f"Payout run {run_id} has undecided holds.")
        # Checked again: a run started by an older version, or before a clock was set
        # right, must still not pay a month that is going on.
        month_over_check(run.month)
        run_settlement_write(run=run)
        run_deductions_write(run=run)
        releases_post(run)
        # Corrections of earlier, final months, approved by a second person (docs/rules.md §2).
        adjustments_post(month=run.month, run_id=run.pk, currency=run.policy["currency"])
        month_close(month=run.month, run_id=run.pk)
        run.status, run.finalized_at, run.finalized_by = Status.FINALIZED, timezone.now(), finalized_by[:200]
        run.save(update_fields=["status", "finalized_at", "finalized_by", "updated_at"])
        transaction.on_commit(lambda: run_finalized.send(sender=PayoutRun, run_id=run_id))
    logger.info("payout run %s finalized by %s", run_id, finalized_by or "-")
    return run
