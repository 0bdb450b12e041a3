"""Whether a run is waiting for a worker nobody started.

A run moves only when a Celery worker takes its tasks from the `payouts` queue. If none
does, the run would sit in `queued` (or between steps) with nothing saying why, so the
API and the console say so after a minute, with the command that fixes it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from payouts.engine.locks import is_locked
from payouts.models import PayoutRun, RunChunk

WAITING_AFTER = timedelta(seconds=60)
WORKER_COMMAND = "celery -A kalipxo worker"
MOVING = (PayoutRun.Status.QUEUED, PayoutRun.Status.SCREENING, PayoutRun.Status.COMPUTING)


def _worked_on(run: PayoutRun, step: RunChunk) -> bool:
    """A running step is worked on while its worker holds the step's advisory lock; a
    worker that died left the step `running` with nobody on it."""
    if connection.vendor != "postgresql":
        return True
    return is_locked(stage=step.stage, run_id=run.pk, index=step.index)


def run_waiting(
    run: PayoutRun, chunks: Iterable[RunChunk] | None = None, *, now: datetime | None = None
) -> str | None:
    """A sentence when the run has work no worker has taken for a minute.

    Work waiting is the run's first task (status `queued`) or a step not started (or
    started by a worker that has died). Between steps, and in the steps that are not
    split in chunks (the data cut, settling), nothing tells a busy worker from a missing
    one, so nothing is said: `payouts.resume_runs` sends such work again anyway.
    In-process tasks (no broker) never wait.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER or run.status not in MOVING:
        return None
    if run.status == PayoutRun.Status.QUEUED:
        waiting, moments, what = True, [run.updated_at], "this run's task"
    else:
        steps = list(run.chunks.all() if chunks is None else chunks)
        running = [step for step in steps if step.status == RunChunk.Status.RUNNING]
        if any(_worked_on(run, step) for step in running):
            return None
        waiting = bool(running) or any(step.status == RunChunk.Status.PENDING for step in steps)
        moments = [run.updated_at]
        moments += [moment for step in steps for moment in (step.started_at, step.finished_at) if moment]
        what = "this run's next step"
    if not waiting:
        return None
    idle = (now or timezone.now()) - max(moments)
    if idle < WAITING_AFTER:
        return None
    return (
        f"No worker has taken {what} for {int(idle.total_seconds())} s. Start one with "
        f"`{WORKER_COMMAND}` (it takes every queue) or `{WORKER_COMMAND} -Q payouts`."
    )
