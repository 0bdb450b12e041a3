"""Turning stored events and revenue into updates of the live pools.

A batch's events are merged per (month, listener, target) before they reach Redis, so one
batch is one atomic script call per month, however many events it holds.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from artists.settlement import TrackSettlement, track_settlements
from kalipxo.months import month_bounds
from streams import selectors
from streams.live import dispatch, store
from streams.models import IngestBatch, StreamEvent

logger = logging.getLogger(__name__)
# A rebuild writes listeners in updates of about this many (listener, track) pairs: one
# script call per shard each, short enough (a few tenths of a second) not to hold up reads
# or, on a cluster, to pass for a node that stopped answering.
REBUILD_PAIRS = 100_000


class LiveBusy(Exception):
    """The month is being rebuilt; try again shortly."""


def weights_for(isrc: str, plays: int, settlement: TrackSettlement | None) -> dict[str, int]:
    """Targets a listener's plays of one track count towards, with their weights."""
    if settlement is None:
        return {f"s:{isrc}": plays}  # not in the catalog: its money waits in suspense
    if settlement.payees == ((settlement.artist_id, 1),):
        # All to the artist: gross and payee at once. The track's own gross (t:) is what
        # the dashboard shows per track.
        return {f"b:{settlement.artist_id}": plays, f"t:{isrc}": plays}
    weights = {f"a:{settlement.artist_id}": plays, f"t:{isrc}": plays}
    for payee, share in settlement.payees:
        key = f"p:{payee}"
        weights[key] = weights.get(key, 0) + plays * int(share * store.SHARE_SCALE)
    return weights


def _plan_units(tier: str) -> int:
    price = Decimal(settings.PLAN_PRICES.get(tier, 0))
    return store.to_units(price * Decimal(settings.RIGHTS_SHARE))


def batch_apply(batch_id: str) -> str:
    """Apply one ingested batch to the live pools; a no-op if it was applied already."""
    batch = IngestBatch.objects.filter(pk=batch_id, applied_at__isnull=True).first()
    if batch is None:
        return "applied-before"
    plays: dict[date, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    plan: dict[date, dict[str, int]] = defaultdict(dict)
    tier_units: dict[str, int] = {}
    for listener, isrc, tier, year_month, count in _batch_rows(batch):
        month = date(year_month // 100, year_month % 100, 1)
        units = tier_units.get(tier)
        if units is None:
            units = tier_units[tier] = _plan_units(tier)
        plan[month][listener] = max(plan[month].get(listener, 0), units)
        if count:
            plays[month][listener][isrc] += count
    closed = selectors.closed_months(plan)
    statuses = []
    for month in sorted(set(plan) - closed):
        existing = _state_present(month)
        revenue = selectors.revenue_pools(month, listeners=plan[month])
        payload = _month_payload(month, plays=plays[month], plan=plan[month], revenue=revenue)
        status = store.apply_update(
            month=month, payload=payload, marker=str(batch.batch_id), existing=existing
        )
        if status == "lost":
            # Redis lost the month after `_state_present` looked (the script wrote
            # nothing): rebuild it; the rebuild includes (and marks) this batch.
            rebuild_month(month)
            status = "rebuilt"
        if status == "busy":
            raise LiveBusy(f"{month:%Y-%m} is being rebuilt")
        statuses.append(status)
    IngestBatch.objects.filter(pk=batch.pk).update(applied_at=timezone.now())
    return ",".join(statuses) or "nothing-live"


def _batch_rows(batch: IngestBatch) -> list[tuple[str, str, str, int, int]]:
    """The batch's events merged by the database: (listener, isrc, tier, YYYYMM, qualifying
    plays); a listener whose plays there all fall short still counts for its plan pool.

    The month comes as one integer: parsing a timestamp per event cost the worker more
    than the query did.
    """
    year_month = ExtractYear("started_at", tzinfo=UTC) * 100 + ExtractMonth("started_at", tzinfo=UTC)
    return list(
        StreamEvent.objects.filter(id__gte=batch.first_id, id__lte=batch.last_id, batch_id=batch.batch_id)
        .annotate(year_month=year_month)
        .values("listener_id", "isrc", "tier", "year_month")
        .annotate(plays=Count("id", filter=Q(duration_ms__gte=settings.MIN_PLAY_MS)))
        .values_list("listener_id", "isrc", "tier", "year_month", "plays")
        .order_by()
    )


def _state_present(month: date) -> bool:
    """Whether the month's live state is in Redis, rebuilt first if Redis lost it.

    Redis came back empty (restarted, flushed) when batches were applied but the month is
    missing: writing one update alone would leave the month partial, so it is rebuilt from
    the truth. False only for a month nothing was applied to yet.
    """
    if store.month_exists(month):
        return True
    start, _ = month_bounds(month)
    applied = IngestBatch.objects.filter(applied_at__isnull=False, created_at__gte=start - timedelta(days=1))
    if applied.exists():
        rebuild_month(month)
        return True
    return False


def _month_payload(
    month: date, *, plays: dict[str, dict[str, int]], plan: dict[str, int], revenue: dict[str, Decimal]
) -> dict[str, dict[str, Any]]:
    """Per listener: plays to add (merged into target weights), plan pool, revenue pool."""
    settlements = track_settlements({isrc for tracks in plays.values() for isrc in tracks})
    payload: dict[str, dict[str, Any]] = {}
    for listener, plan_units in plan.items():
        entry: dict[str, Any] = {"plan": plan_units}
        if listener in revenue:
            entry["rev"] = store.to_units(revenue[listener])
        tracks = plays.get(listener, {})
        if tracks:
            entry["n"] = sum(tracks.values())
            weights: dict[str, int] = defaultdict(int)
            for isrc, count in tracks.items():
                for target, weight in weights_for(isrc, count, settlements.get(isrc)).items():
                    weights[target] += weight
            entry["w"] = weights
        payload[listener] = entry
    return payload


def revenue_apply(*, month: date, listeners: Iterable[str]) -> str:
    """Set the recorded-revenue pools of these listeners (absolute, so safe to repeat)."""
    if selectors.is_month_closed(month):
        return "closed"
    existing = _state_present(month)
    pools = selectors.revenue_pools(month, listeners=listeners)
    payload = {listener: {"rev": store.to_units(pool)} for listener, pool in pools.items()}
    status = store.apply_update(month=month, payload=payload, existing=existing)
    if status == "lost":  # as in `batch_apply`; the rebuild reads this revenue too
        rebuild_month(month)
        return "rebuilt"
    if status == "busy":
        raise LiveBusy(f"{month:%Y-%m} is being rebuilt")
    return status


REVENUE_SWEEP_LAG = timedelta(seconds=30)  # longer than any revenue transaction stays open


def batches_sweep(*, older_than_seconds: int = 15, limit: int = 2000) -> int:
    """Enqueue batches that should have been applied by now (lost message, Redis outage),
    and revenue recorded since the last sweep (see `revenue_sweep`)."""
    if not dispatch.live_enabled():
        return 0
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = list(
        IngestBatch.objects.filter(applied_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("batch_id", flat=True)[:limit]
    )
    for batch_id in pending:
        dispatch.batch_committed(str(batch_id))
    revenue_sweep(database_now())
    return len(pending)


def database_now() -> datetime:
    """The database's clock: revenue `created_at` comes from it, not from ours."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def revenue_sweep(now: datetime) -> int:
    """Enqueue again the revenue recorded since the last sweep, up to `now` (the database's
    clock, see `database_now`) minus a lag.

    Covers an update that never reached the broker (Redis briefly away). Applying revenue
    is absolute and a pool that did not change costs the script one read, so revenue that
    was applied already is harmless. `created_at` is its transaction's start: the lag lets
    those transactions commit before their window is swept. Returns the listeners enqueued.
    """
    until = now - REVENUE_SWEEP_LAG
    since = store.revenue_swept_until()
    if since is None:  # first sweep, or Redis restarted: months are rebuilt from PostgreSQL anyway
        store.set_revenue_swept_until(until)
        return 0
    if until <= since:
        return 0
    touched = selectors.revenue_recorded_between(since, until)
    closed = selectors.closed_months(touched)
    enqueued = 0
    for month, listeners in touched.items():
        if month in closed:
            continue
        if not dispatch.revenue_committed(month, listeners):
            return enqueued  # the window stays open for the next sweep
        enqueued += len(listeners)
    store.set_revenue_swept_until(until)
    return enqueued


def _chunks(listeners: list[str], plays: dict[str, dict[str, int]]) -> Iterator[list[str]]:
    """The listeners in runs of about REBUILD_PAIRS (listener, track) pairs."""
    chunk: list[str] = []
    pairs = 0
    for listener in listeners:
        chunk.append(listener)
        pairs += 1 + len(plays.get(listener, ()))
        if pairs >= REBUILD_PAIRS:
            yield chunk
            chunk, pairs = [], 0
    if chunk:
        yield chunk


def rebuild_month(month: date) -> dict[str, int]:
    """Recreate a month's live pools from PostgreSQL (the truth), while updates wait.

    The rebuild flag makes concurrent batch updates answer 'busy' (their tasks retry);
    every batch visible to the rebuild's snapshot is marked as included, so a retried
    task for it is a no-op and no event is counted twice or lost.
    """
    token = store.take_rebuild_flag(month)
    if token is None:
        raise LiveBusy(f"{month:%Y-%m} is already being rebuilt")
    try:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            # One snapshot for all reads. Inside a caller's transaction (a test, a bulk
            # load) that transaction already is the snapshot and cannot change level.
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            start, _ = month_bounds(month)
            # Events of a month arrive from its start on (5 minutes of clock skew aside).
            batch_ids = [
                str(b)
                for b in IngestBatch.objects.filter(created_at__gte=start - timedelta(days=1)).values_list(
                    "batch_id", flat=True
                )
            ]
            revenue = selectors.revenue_pools(month)
            plan = {listener: store.to_units(pool) for listener, pool in selectors.plan_pools(month).items()}
            plays: dict[str, dict[str, int]] = defaultdict(dict)
            for listener, isrc, count in selectors.listener_track_plays(month):
                plays[listener][isrc] = count
        store.clear_month(month)
        store.mark_batches(month, batch_ids)
        listeners = sorted(set(plan) | set(revenue) | set(plays))
        for chunk in _chunks(listeners, plays):
            payload = _month_payload(
                month,
                plays={k: plays[k] for k in chunk if k in plays},
                plan={k: plan.get(k, 0) for k in chunk},
                revenue={k: revenue[k] for k in chunk if k in revenue},
            )
            if store.apply_update(month=month, payload=payload, rebuild=token) == "lost":
                # Redis restarted (or was flushed) mid-rebuild, or the flag expired: the
                # month reads as missing again (or another rebuild has it) and is rebuilt.
                raise LiveBusy(f"{month:%Y-%m} was lost from Redis while it was rebuilt")
    finally:
        store.release_rebuild_flag(month, token)
    return {"listeners": len(listeners), "batches": len(batch_ids)}
