"""Writes other apps ask of `streams`, so they never write its tables directly."""

from datetime import date

from django.db import transaction

from streams.models import ClosedMonth


class MonthAlreadyClosed(Exception):
    """The month was closed by another run; a month is final once."""


def month_close(*, month: date, run_id: int) -> ClosedMonth:
    """Mark `month` final: its revenue is refused from now on, late events only reported.

    Idempotent for the same run. Must run inside the caller's transaction (the payout
    run's finalization), so the month closes if and only if the ledger is written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("month_close must run inside the finalizing transaction.")
    closed, created = ClosedMonth.objects.get_or_create(month=month, defaults={"closed_by_run": run_id})
    if not created and closed.closed_by_run != run_id:
        raise MonthAlreadyClosed(f"{month:%Y-%m} was closed by run {closed.closed_by_run}.")
    return closed
