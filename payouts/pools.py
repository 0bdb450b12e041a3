"""A month's recorded pools (net revenue × rights share, docs/rules.md §2 Listener pool) as
of a run's revenue cut, exact: what a run shows while it is screened and what a hold keeps."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, localcontext

from django.db.models import DecimalField, F, Sum

from kalipxo.money import decimal_context
from streams.models import RevenueRecord

BATCH = 500  # listeners per query


def _batches(items: Sequence[str], size: int = BATCH) -> Iterable[Sequence[str]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def pools_of(*, month: date, revenue_at: datetime, rights_share: Decimal, listeners: Sequence[str]) -> dict:
    """Recorded pools (net × rights share) of some listeners as of the cut, exact."""
    pools: dict[str, Decimal] = {}
    net = Sum(F("gross") - F("tax") - F("fees"), output_field=DecimalField(max_digits=20, decimal_places=4))
    for batch in _batches(list(listeners)):
        rows = (
            RevenueRecord.objects.filter(month=month, created_at__lte=revenue_at, listener_id__in=batch)
            .values_list("listener_id")
            .annotate(paid=net)
            .order_by()  # the model's default ordering would join streams_listener
        )
        with localcontext(decimal_context(60)):
            pools.update({listener: Decimal(paid) * rights_share for listener, paid in rows})
    return pools


def pools_total(*, month: date, revenue_at: datetime, rights_share: Decimal) -> Decimal:
    """The month's pools as of the cut, shown while the run is screened and reviewed."""
    net = Sum(F("gross") - F("tax") - F("fees"), output_field=DecimalField(max_digits=24, decimal_places=4))
    paid = RevenueRecord.objects.filter(month=month, created_at__lte=revenue_at).aggregate(paid=net)["paid"]
    with localcontext(decimal_context(60)):
        return Decimal(paid or 0) * rights_share
