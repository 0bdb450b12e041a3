"""Celery tasks of payout runs. Thin: ids in, a step, bounded retries.

Every step is idempotent (state checked under the run's lock, chunk parts replaced), so
the tasks acknowledge late and are redelivered if a worker dies mid-task. A dropped
database connection is retried with backoff; anything else fails the run with its
reason, because retrying a deterministic error would only repeat it.

Each task is named after the function it runs, and stays registered under the name it had
before (`payouts.screen_run`, ...: `kalipxo.task_names`), so messages queued by an earlier
deployment still run after an upgrade.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError

from kalipxo.task_names import task_named
from payouts.run import enqueue
from payouts.run.compute import payout_run_chunk_compute, payout_run_merge, payout_run_settle
from payouts.run.errors import RunProblem
from payouts.run.failure import failure_reason, payout_run_fail
from payouts.run.recovery import payout_runs_resume
from payouts.run.screen import payout_run_review, payout_run_screen
from payouts.run.start import payout_run_scheduled_open

logger = logging.getLogger(__name__)
MAX_RETRIES = 5
TRANSIENT = (OperationalError, InterfaceError)
STEP_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
    "queue": "payouts",
}


def _backoff(retries: int) -> int:
    return int(min(60, 2 ** min(retries, 6)))


def _run_step(task, run_id: int, step: Callable[[], str]) -> str:  # type: ignore[no-untyped-def]
    try:
        return step()
    except TRANSIENT as exc:
        if task.request.retries >= MAX_RETRIES:
            payout_run_fail(run_id=run_id, reason=f"database unavailable: {exc}")
            raise
        raise task.retry(exc=exc, countdown=_backoff(task.request.retries)) from exc
    except RunProblem as exc:
        return f"nothing to do: {exc.detail}"
    except Exception as exc:
        # The task boundary: a bug or bad data must leave the run failed with a reason
        # an operator can read, not stuck in its current state.
        logger.exception("payout run %s step failed", run_id)
        payout_run_fail(run_id=run_id, reason=failure_reason(exc))
        return "failed"


def _screen(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: payout_run_screen(run_id=run_id))


def _chunk_compute(self, run_id: int, index: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: payout_run_chunk_compute(run_id=run_id, index=index))


def _review(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: payout_run_review(run_id=run_id))


def _merge(self, run_id: int, index: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: payout_run_merge(run_id=run_id, index=index))


def _settle(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return _run_step(self, run_id, lambda: payout_run_settle(run_id=run_id))


def _resume(older_than_seconds: float = 60.0) -> dict[str, int]:
    return payout_runs_resume(older_than_seconds=older_than_seconds)


def _scheduled_open() -> int | None:
    """Hourly: open (not finalize) last month's run once its grace is over."""
    run = payout_run_scheduled_open()
    return None if run is None else int(run.pk)


payout_run_screen_task = task_named(
    _screen, name=enqueue.SCREEN, former=["payouts.screen_run"], **STEP_OPTIONS
)
payout_run_chunk_compute_task = task_named(
    _chunk_compute, name=enqueue.CHUNK_COMPUTE, former=["payouts.compute_run_chunk"], **STEP_OPTIONS
)
payout_run_review_task = task_named(
    _review, name=enqueue.REVIEW, former=["payouts.review_run"], **STEP_OPTIONS
)
payout_run_merge_task = task_named(
    _merge, name=enqueue.MERGE, former=["payouts.settle_run_part"], **STEP_OPTIONS
)
payout_run_settle_task = task_named(
    _settle, name=enqueue.SETTLE, former=["payouts.settle_run"], **STEP_OPTIONS
)
payout_runs_resume_task = task_named(
    _resume, name="payouts.payout_runs_resume", former=["payouts.resume_runs"], queue="payouts"
)
payout_run_scheduled_open_task = task_named(
    _scheduled_open,
    name="payouts.payout_run_scheduled_open",
    former=["payouts.open_last_month_run"],
    queue="payouts",
)
