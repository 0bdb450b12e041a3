"""Celery tasks of the live pools. Thin: ids in, a service call, bounded retries.

Every task is idempotent (batch markers in Redis, absolute pool values), so they use
late acknowledgement: a worker killed mid-task leaves the message to be redelivered.

Each task is named after the function it runs, and stays registered under the name it had
before (`streams.apply_live_batch`, ...: `kalipxo.task_names`), so messages queued by an
earlier deployment still run after an upgrade.
"""

from collections.abc import Callable
from typing import Any

from kalipxo.task_names import task_named
from kalipxo.validation import parse_month
from streams.live import dispatch, reconcile, store, updates

APPLY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 30,
    "queue": "live",
    "ignore_result": True,  # nobody reads it; storing it costs the broker a write per batch
}


def _retrying(task: Any, apply: Callable[[], str]) -> str:
    """Run a live update; retry soon while the month is rebuilt, with backoff while Redis is away."""
    try:
        return apply()
    except updates.LiveBusy as exc:
        raise task.retry(exc=exc, countdown=1) from exc
    except store.ERRORS as exc:
        raise task.retry(exc=exc, countdown=min(60, 2 ** min(task.request.retries, 6))) from exc


def _batch_apply(self, batch_id: str) -> str:  # type: ignore[no-untyped-def]
    return _retrying(self, lambda: updates.batch_apply(batch_id))


def _revenue_apply(self, month: str, listeners: list[str]) -> str:  # type: ignore[no-untyped-def]
    parsed = parse_month(month)
    if isinstance(parsed, str):
        return f"bad month {month!r}"
    return _retrying(self, lambda: updates.revenue_apply(month=parsed, listeners=listeners))


def _batches_sweep(older_than_seconds: int = 15, limit: int = 2000) -> int:
    return updates.batches_sweep(older_than_seconds=older_than_seconds, limit=limit)


def _rebuild_month(month: str) -> dict[str, int]:
    parsed = parse_month(month)
    if isinstance(parsed, str):
        raise ValueError(parsed)
    return updates.rebuild_month(parsed)


def _current_month_reconcile(sample: int = 20) -> dict[str, object]:
    return reconcile.current_month_reconcile(sample=sample)


batch_apply = task_named(
    _batch_apply, name=dispatch.BATCH_APPLY, former=["streams.apply_live_batch"], **APPLY_OPTIONS
)
revenue_apply = task_named(
    _revenue_apply, name=dispatch.REVENUE_APPLY, former=["streams.apply_live_revenue"], **APPLY_OPTIONS
)
batches_sweep = task_named(
    _batches_sweep, name="streams.batches_sweep", former=["streams.sweep_live_batches"], queue="live"
)
rebuild_month = task_named(
    _rebuild_month, name="streams.rebuild_month", former=["streams.rebuild_live_month"], queue="live"
)
current_month_reconcile = task_named(
    _current_month_reconcile,
    name="streams.current_month_reconcile",
    former=["streams.reconcile_live_pools"],
    queue="live",
)
