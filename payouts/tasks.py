"""Celery tasks of payout runs. Thin: ids in, a service call, bounded retries.

Every step is idempotent (state checked under the run's lock, chunk parts replaced), so
the tasks acknowledge late and are redelivered if a worker dies mid-task. A dropped
database connection is retried with backoff; anything else fails the run with its
reason, because retrying a deterministic error would only repeat it.
"""

import logging
from collections.abc import Callable

from celery import shared_task
from django.db import InterfaceError, OperationalError

from payouts import services

logger = logging.getLogger(__name__)
MAX_RETRIES = 5
TRANSIENT = (OperationalError, InterfaceError)


def _backoff(retries: int) -> int:
    return int(min(60, 2 ** min(retries, 6)))


def _run_step(task, run_id: int, step: Callable[[], str]) -> str:  # type: ignore[no-untyped-def]
    try:
        return step()
    except TRANSIENT as exc:
        if task.request.retries >= MAX_RETRIES:
            services.run_fail(run_id=run_id, reason=f"database unavailable: {exc}")
            raise
        raise task.retry(exc=exc, countdown=_backoff(task.request.retries)) from exc
    except services.RunProblem as exc:
        return f"nothing to do: {exc.detail}"
    except Exception as exc:
        # The task boundary: a bug or bad data must leave the run failed with a reason
        # an operator can read, not stuck in its current state.
        logger.exception("payout run %s step failed", run_id)
        services.run_fail(run_id=run_id, reason=services.failure_reason(exc))
        return "failed"


@shared_task(
    name="payouts.screen_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    queue="payouts",
)
def screen_run(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: services.run_screen(run_id=run_id))


@shared_task(
    name="payouts.compute_run_chunk",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    queue="payouts",
)
def compute_run_chunk(self, run_id: int, index: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: services.run_chunk_compute(run_id=run_id, index=index))


@shared_task(
    name="payouts.review_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    queue="payouts",
)
def review_run(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: services.run_review(run_id=run_id))


@shared_task(
    name="payouts.settle_run_part",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    queue="payouts",
)
def settle_run_part(self, run_id: int, index: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: services.run_merge(run_id=run_id, index=index))


@shared_task(
    name="payouts.settle_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    queue="payouts",
)
def settle_run(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: services.run_settle(run_id=run_id))


@shared_task(name="payouts.resume_runs", queue="payouts")
def resume_runs(older_than_seconds: float = 60.0) -> dict[str, int]:
    return services.runs_resume(older_than_seconds=older_than_seconds)


@shared_task(name="payouts.open_last_month_run", queue="payouts")
def open_last_month_run() -> int | None:
    """Hourly: open (not finalize) last month's run once its grace is over."""
    run = services.scheduled_run_open()
    return None if run is None else int(run.pk)
