"""Celery tasks of the live pools. Thin: ids in, a service call, bounded retries.

Every task is idempotent (batch markers in Redis, absolute pool values), so they use
late acknowledgement: a worker killed mid-task leaves the message to be redelivered.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from kalipxo.validation import parse_month
from streams.live import dispatch, reconcile, store, updates
from streams.models import IngestBatch


def _retrying(task: Any, apply: Callable[[], str]) -> str:
    """Run a live update; retry soon while the month is rebuilt, with backoff while Redis is away."""
    try:
        return apply()
    except updates.LiveBusy as exc:
        raise task.retry(exc=exc, countdown=1) from exc
    except store.ERRORS as exc:
        raise task.retry(exc=exc, countdown=min(60, 2 ** min(task.request.retries, 6))) from exc


@shared_task(
    name="streams.apply_live_batch",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=30,
    queue="live",
    ignore_result=True,  # nobody reads it; storing it costs the broker a write per batch
)
def apply_live_batch(self, batch_id: str) -> str:  # type: ignore[no-untyped-def]
    return _retrying(self, lambda: updates.batch_apply(batch_id))


@shared_task(
    name="streams.apply_live_revenue",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=30,
    queue="live",
    ignore_result=True,  # nobody reads it; storing it costs the broker a write per batch
)
def apply_live_revenue(self, month: str, listeners: list[str]) -> str:  # type: ignore[no-untyped-def]
    parsed = parse_month(month)
    if isinstance(parsed, str):
        return f"bad month {month!r}"
    return _retrying(self, lambda: updates.revenue_apply(month=parsed, listeners=listeners))


@shared_task(name="streams.sweep_live_batches", queue="live")
def sweep_live_batches(older_than_seconds: int = 15, limit: int = 2000) -> int:
    """Enqueue batches that should have been applied by now (lost message, Redis outage),
    and revenue recorded since the last sweep (see `updates.revenue_sweep`)."""
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
    updates.revenue_sweep(updates.database_now())
    return len(pending)


@shared_task(name="streams.rebuild_live_month", queue="live")
def rebuild_live_month(month: str) -> dict[str, int]:
    parsed = parse_month(month)
    if isinstance(parsed, str):
        raise ValueError(parsed)
    return updates.rebuild_month(parsed)


@shared_task(name="streams.reconcile_live_pools", queue="live")
def reconcile_live_pools(sample: int = 20) -> dict[str, object]:
    """Compare a sample of this month's live estimates with an exact recomputation."""
    if not dispatch.live_enabled():
        return {"skipped": "no redis"}
    month = timezone.now().date().replace(day=1)
    report = reconcile.reconcile_month(month, sample=sample)
    return {"checked": len(report.checked), "drifts": len(report.drifts), "rebuilt": report.rebuilt}
