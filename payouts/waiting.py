"""Whether a run is waiting for a worker nobody started.

A run moves only when a Celery worker takes its tasks from the `payouts` queue. If none
does, the run would sit in `queued` (or between steps) with nothing saying why, so the
API and the console say so after a minute, with the command that fixes it.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from payouts.models import PayoutRun, RunChunk

WAITING_AFTER = timedelta(seconds=60)
WORKER_COMMAND = "celery -A kalipxo worker"
MOVING = (PayoutRun.Status.QUEUED, PayoutRun.Status.SCREENING, PayoutRun.Status.COMPUTING)


def run_waiting(
    run: PayoutRun, chunks: Iterable[RunChunk] | None = None, *, now: datetime | None = None
) -> str | None:
    """A sentence when the run has work for a worker and nothing has moved for a minute.

    "Moved" is the run's own last change or a step starting or finishing; a step a worker
    is running counts as moving however long it takes. In-process tasks (no broker) never
    wait.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER or run.status not in MOVING:
        return None
    steps = list(run.chunks.all() if chunks is None else chunks)
    if any(step.status == RunChunk.Status.RUNNING for step in steps):
        return None
    moments = [run.updated_at]
    moments += [moment for step in steps for moment in (step.started_at, step.finished_at) if moment]
    idle = (now or timezone.now()) - max(moments)
    if idle < WAITING_AFTER:
        return None
    what = "this run's task" if run.status == PayoutRun.Status.QUEUED else "this run's next step"
    return (
        f"No worker has taken {what} for {int(idle.total_seconds())} s. Start one with "
        f"`{WORKER_COMMAND}` (it takes every queue) or `{WORKER_COMMAND} -Q payouts`."
    )
