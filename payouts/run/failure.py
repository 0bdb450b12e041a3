"""A run that cannot go on: failed by a step, or abandoned by an operator."""

import logging

from django.db import transaction

from payouts.engine.scratch import scratch_drop
from payouts.models import PayoutRun
from payouts.run.errors import RunNotFound, RunProblem
from payouts.run.state import UNFINISHED, Status, uses_sql

logger = logging.getLogger(__name__)


def failure_reason(exc: BaseException) -> str:
    """What an operator reads on a failed run."""
    return f"{type(exc).__name__}: {exc}"


def payout_run_fail(*, run_id: int, reason: str) -> None:
    """A step could not go on: mark the run failed (its month may then be started again),
    unless it got past computing meanwhile. Its scratch tables go; its holds stay as a record."""
    _mark_failed(run_id, reason, unfinished=UNFINISHED)


def payout_run_abandon(*, run_id: int, by: str) -> PayoutRun:
    """An operator gives up on a run that is not finalized (stuck, disputed by `verify_run`,
    or computed before late data came in), so that its month can be started again.

    The run becomes `failed` with who abandoned it as the reason; nothing of it was paid
    (only finalizing writes the ledger). Abandoning a failed run changes nothing.
    """
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        raise RunNotFound(f"No payout run {run_id}.")
    if run.status == Status.FINALIZED:
        raise RunProblem(f"Payout run {run_id} is finalized: a finalized month is never computed again.")
    _mark_failed(
        run_id,
        f"abandoned by {by or 'an operator'} in {run.status}",
        unfinished=(*UNFINISHED, Status.COMPUTED),
    )
    run.refresh_from_db()
    if run.status == Status.FINALIZED:  # finalized meanwhile, by someone else
        raise RunProblem(f"Payout run {run_id} is finalized: a finalized month is never computed again.")
    return run


def _mark_failed(run_id: int, reason: str, *, unfinished: tuple[str, ...]) -> None:
    with transaction.atomic():
        run = PayoutRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in unfinished:
            return
        run.status, run.failure_reason = Status.FAILED, reason[:2000]
        run.save(update_fields=["status", "failure_reason", "updated_at"])
    # After the row lock is released: a step still running holds the scratch tables and
    # asks for that lock before it commits, so dropping them under it could deadlock.
    if uses_sql():
        scratch_drop(run_id=run_id)
    logger.error("payout run %s for %s failed: %s", run_id, f"{run.month:%Y-%m}", reason)
