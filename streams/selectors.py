"""Reads of a month's listening and revenue: what pools and qualifying streams there are.

These are the truth the live pools are rebuilt from and the payout run starts from.
Aggregation happens in the database (GROUP BY), never by looping over stream rows.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Sum

from kalipxo.months import month_bounds
from streams.models import ClosedMonth, RevenueRecord, StreamEvent


def is_month_closed(month: date) -> bool:
    return ClosedMonth.objects.filter(month=month).exists()


def closed_months(months: Iterable[date]) -> set[date]:
    return set(ClosedMonth.objects.filter(month__in=list(months)).values_list("month", flat=True))


def revenue_recorded_between(since: datetime, until: datetime) -> dict[date, set[str]]:
    """Listeners whose revenue was recorded in [since, until), by month."""
    touched: dict[date, set[str]] = {}
    rows = RevenueRecord.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
        "month", "listener_id"
    )
    for month, listener in rows.distinct().iterator(chunk_size=20_000):
        touched.setdefault(month, set()).add(listener)
    return touched


def qualifying_streams(  # type: ignore[no-untyped-def]
    month: date,
    *,
    listeners: Iterable[str] | None = None,
    min_play_ms: int | None = None,
    up_to_event: int | None = None,
):
    """Stream events of the month that count: long enough, started inside the month.

    A payout run passes its own policy's minimum play and its data cut (the last event id
    it counts); estimates use the current settings and every event.
    """
    start, end = month_bounds(month)
    shortest = settings.MIN_PLAY_MS if min_play_ms is None else min_play_ms
    events = StreamEvent.objects.filter(started_at__gte=start, started_at__lt=end, duration_ms__gte=shortest)
    if up_to_event is not None:
        events = events.filter(id__lte=up_to_event)
    if listeners is not None:
        events = events.filter(listener_id__in=list(listeners))
    return events


def listener_track_plays(
    month: date, *, listeners: Iterable[str] | None = None
) -> Iterator[tuple[str, str, int]]:
    """(listener, isrc, qualifying plays) for the month, aggregated by the database."""
    rows = (
        qualifying_streams(month, listeners=listeners)
        .values_list("listener_id", "isrc")
        .annotate(plays=Count("id"))
        .order_by("listener_id", "isrc")
    )
    yield from rows.iterator(chunk_size=20_000)


def revenue_pools(month: date, *, listeners: Iterable[str] | None = None) -> dict[str, Decimal]:
    """Listener pool = (gross − tax − fees) × rights share, from recorded revenue."""
    records = RevenueRecord.objects.filter(month=month)
    if listeners is not None:
        records = records.filter(listener_id__in_json=set(listeners))  # a set: see kalipxo.db.InJson
    # order_by(): the model's default ordering would join streams_listener for nothing.
    nets = records.values_list("listener_id").annotate(paid=Sum(F("gross") - F("tax") - F("fees"))).order_by()
    share = Decimal(settings.RIGHTS_SHARE)
    return {listener: Decimal(paid) * share for listener, paid in nets}


def plan_pools(month: date, *, listeners: Iterable[str] | None = None) -> dict[str, Decimal]:
    """Estimated pool from plan list prices: the dearest plan the listener streamed on.

    Used only until a listener's revenue for the month is recorded. Taking the maximum
    keeps the estimate independent of the order events arrive in.
    """
    prices = {plan: Decimal(price) for plan, price in settings.PLAN_PRICES.items()}
    share = Decimal(settings.RIGHTS_SHARE)
    start, end = month_bounds(month)
    events = StreamEvent.objects.filter(started_at__gte=start, started_at__lt=end)
    if listeners is not None:
        events = events.filter(listener_id__in=list(listeners))
    pools: dict[str, Decimal] = {}
    # order_by(): the model's default ordering would add started_at to the DISTINCT.
    pairs = events.values_list("listener_id", "tier").order_by().distinct()
    for listener, tier in pairs.iterator(chunk_size=20_000):
        pool = prices.get(tier, Decimal(0)) * share
        if pool > pools.get(listener, Decimal(-1)):
            pools[listener] = pool
    return pools


def estimated_pools(month: date, *, listeners: Iterable[str] | None = None) -> dict[str, Decimal]:
    """Recorded revenue where there is some, plan list price otherwise (docs/rules.md §2)."""
    listeners = None if listeners is None else list(listeners)
    pools = plan_pools(month, listeners=listeners)
    pools.update(revenue_pools(month, listeners=listeners))
    return pools
