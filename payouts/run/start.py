"""Starting a month's run: on request, on the schedule, or again from scratch."""

import logging
from datetime import UTC, date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from kalipxo.months import month_of, previous_month
from kalipxo.validation import parse_month
from payouts.models import PayoutRun
from payouts.policy import RunPolicy
from payouts.run.enqueue import SCREEN, sender
from payouts.run.errors import RunInvalid
from payouts.run.failure import payout_run_abandon
from payouts.run.state import Status
from payouts.run.window import month_over_check, run_opens_at

logger = logging.getLogger(__name__)


def month_to_run(value: object, *, now: datetime | None = None) -> date:
    """The month a run may be started for: "YYYY-MM", not in the future."""
    parsed = parse_month(value)
    if isinstance(parsed, str):
        raise RunInvalid(parsed, field="month")
    if parsed > month_of(now or datetime.now(UTC)):
        raise RunInvalid(f"{parsed:%Y-%m} has not started yet.", field="month")
    return parsed


def payout_run_start(*, month: date, requested_by: str = "", dispatch: bool = True) -> tuple[PayoutRun, bool]:
    """The month's run: the live (not failed) one if there is one, else a new queued run.

    Returns (run, created). One live run per month is a partial unique constraint, so two
    concurrent requests cannot both create one. Refused (MonthNotOver, 409) until the month
    and its grace have passed; the existing run is still returned, whatever its month.
    `dispatch=False` leaves the first step to the caller (`payouts.run.driver`, tests).
    """
    existing = PayoutRun.objects.exclude(status=Status.FAILED).filter(month=month).first()
    if existing is not None:
        return existing, False
    month_over_check(month)
    try:
        with transaction.atomic():
            run = PayoutRun.objects.create(
                month=month, policy=RunPolicy.from_settings(month).to_data(), requested_by=requested_by[:200]
            )
            sender(dispatch=dispatch)(SCREEN, run.pk)
    except IntegrityError:
        return PayoutRun.objects.exclude(status=Status.FAILED).get(month=month), False
    logger.info("payout run %s for %s queued by %s", run.pk, f"{month:%Y-%m}", requested_by or "-")
    return run, True


def payout_run_scheduled_open(*, now: datetime | None = None) -> PayoutRun | None:
    """The schedule's part: once last month and its grace are over, open its run, unless
    the month has a run already (of any status: a failed one waits for an operator,
    rather than being started again every hour)."""
    moment = now or timezone.now()
    month = previous_month(moment)
    if run_opens_at(month) > moment or PayoutRun.objects.filter(month=month).exists():
        return None
    run, _ = payout_run_start(month=month, requested_by="schedule")
    return run


def payout_run_restart(
    *, month: date, requested_by: str = "", dispatch: bool = True
) -> tuple[PayoutRun | None, PayoutRun, bool]:
    """Start a month again from scratch: abandon its run that is not finalized, if any,
    then start a new one (fresh data cut, screening, holds to decide, computation).

    Returns (the abandoned run or None, the month's run, created). Refused for a
    finalized month.
    """
    month_over_check(month)  # before abandoning anything: a month going on is not rerun either
    current = PayoutRun.objects.exclude(status=Status.FAILED).filter(month=month).first()
    abandoned = payout_run_abandon(run_id=current.pk, by=requested_by) if current is not None else None
    run, created = payout_run_start(month=month, requested_by=requested_by, dispatch=dispatch)
    return abandoned, run, created
