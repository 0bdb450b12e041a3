"""Which months are closed: their payouts are final, and no rate dated in them is recorded.
The functions of `fx.rates` take this as an argument, so that they stay plain functions."""

from datetime import date

from streams.models import ClosedMonth


def closed_months(months: set[date]) -> set[date]:
    """The months (first days) among `months` that are closed. Their rows are locked until the
    caller's transaction ends, as the revenue endpoint's are; call it inside one."""
    rows = ClosedMonth.objects.select_for_update().filter(month__in=sorted(months))
    return set(rows.values_list("month", flat=True))
