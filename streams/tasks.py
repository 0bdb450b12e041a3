"""Celery tasks of the live pools. Thin: ids in, a service call, bounded retries.

Every task is idempotent (batch markers in Redis, absolute pool values), so they use
late acknowledgement: a worker killed mid-task leaves the message to be redelivered.

Each task is named after the function it runs. The names the tasks had before
(`streams.apply_live_batch`, ...) stay registered for the same functions, so messages
queued by an earlier deployment still run after an upgrade.
"""

from collections.abc import Callable
from typing import Any

from celery import shared_task

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


batch_apply = shared_task(name=dispatch.BATCH_APPLY, **APPLY_OPTIONS)(_batch_apply)
revenue_apply = shared_task(name=dispatch.REVENUE_APPLY, **APPLY_OPTIONS)(_revenue_apply)
batches_sweep = shared_task(name="streams.batches_sweep", queue="live")(_batches_sweep)
rebuild_month = shared_task(name="streams.rebuild_month", queue="live")(_rebuild_month)
current_month_reconcile = shared_task(name="streams.current_month_reconcile", queue="live")(
    _current_month_reconcile
)

# The same functions under the names of earlier deployments (see the module's docstring).
FORMER_NAMES: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "streams.apply_live_batch": (_batch_apply, APPLY_OPTIONS),
    "streams.apply_live_revenue": (_revenue_apply, APPLY_OPTIONS),
    "streams.sweep_live_batches": (_batches_sweep, {"queue": "live"}),
    "streams.rebuild_live_month": (_rebuild_month, {"queue": "live"}),
    "streams.reconcile_live_pools": (_current_month_reconcile, {"queue": "live"}),
}
former_tasks = {
    name: shared_task(name=name, **options)(function) for name, (function, options) in FORMER_NAMES.items()
}
