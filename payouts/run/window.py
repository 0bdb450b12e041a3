"""When a month may be paid: only after it has ended plus PAYOUT_RUN_GRACE, for plays
listened offline and synced late (docs/rules.md §2 Month close). Starting a run and
finalizing one both ask here, so no path pays a month that is still going on."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from kalipxo.months import add_months, month_end, month_of
from payouts.run.errors import RunProblem


class MonthNotOver(RunProblem):
    """The month (plus its grace for late plays) is still going on: nothing may be paid."""

    def __init__(self, month: date, opens_at: datetime) -> None:
        grace = settings.PAYOUT_RUN_GRACE
        super().__init__(
            f"{month:%Y-%m} is not over: a payout run for it can start from "
            f"{opens_at:%Y-%m-%d %H:%M} UTC (the month's end plus {grace_label(grace)} for plays "
            "synced late, PAYOUT_RUN_GRACE)."
        )
        self.month, self.opens_at = month, opens_at


def grace_label(grace: timedelta) -> str:
    """ "24 hours", "90 minutes", "45 seconds": the grace as the pages and errors say it."""
    seconds = int(grace.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def run_opens_at(month: date) -> datetime:
    """When a run for `month` may start: the month's end plus PAYOUT_RUN_GRACE
    (docs/rules.md §2 Month close)."""
    return month_end(month) + settings.PAYOUT_RUN_GRACE


def month_over_check(month: date, *, now: datetime | None = None) -> None:
    """Refuse to start or finalize a run for a month that is not over (with its grace)."""
    opens_at = run_opens_at(month)
    if (now or timezone.now()) < opens_at:
        raise MonthNotOver(month, opens_at)


def last_runnable_month(now: datetime | None = None) -> date:
    """The newest month whose run may start now."""
    moment = now or timezone.now()
    month = month_of(moment)
    while run_opens_at(month) > moment:
        month = add_months(month, -1)
    return month
