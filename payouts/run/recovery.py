"""Sending again the work of runs that stopped moving (lost message, killed worker)."""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from payouts.engine.locks import is_locked
from payouts.models import PayoutRun, RunChunk
from payouts.run.compute import merge_begin
from payouts.run.enqueue import CHUNK_COMPUTE, MERGE, REVIEW, SCREEN, SETTLE, enqueue
from payouts.run.state import Status, locked, uses_sql

STEP_TASKS = {RunChunk.Stage.LISTENERS: CHUNK_COMPUTE, RunChunk.Stage.ISRCS: MERGE}


def payout_runs_resume(*, older_than_seconds: float = 60.0) -> dict[str, int]:
    """Send again the work of runs that stopped moving.

    A broker redelivers a dead worker's unacknowledged task only after its visibility
    timeout (an hour); this sends it within a minute. Queued or screening runs get their
    screening again; steps nobody works on (no advisory lock held) are sent again; runs
    whose steps are all done get their next step. Every step is idempotent, so a
    duplicate costs a lookup.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    sent = {"screen": 0, "steps": 0, "review": 0, "settle": 0}

    def send(step: str, *args: Any) -> None:
        with transaction.atomic():
            enqueue(step, *args)

    for run in PayoutRun.objects.filter(status__in=[Status.QUEUED, Status.SCREENING, Status.COMPUTING]):
        steps = list(run.chunks.all())
        if run.status == Status.QUEUED or (run.status == Status.SCREENING and not steps):
            if run.updated_at <= cutoff:
                send(SCREEN, run.pk)
                sent["screen"] += 1
            continue
        if not uses_sql():
            if run.status == Status.COMPUTING and run.updated_at <= cutoff:
                send(SETTLE, run.pk)
                sent["settle"] += 1
            continue
        stale = [
            step
            for step in steps
            if step.status != RunChunk.Status.DONE
            and (step.started_at or step.enqueued_at or cutoff) <= cutoff
            and not is_locked(stage=step.stage, run_id=run.pk, index=step.index)
        ]
        for step in stale:
            RunChunk.objects.filter(pk=step.pk).update(enqueued_at=timezone.now())
            send(STEP_TASKS[RunChunk.Stage(step.stage)], run.pk, step.index)
            sent["steps"] += 1
        if stale or run.updated_at > cutoff or any(step.status != RunChunk.Status.DONE for step in steps):
            continue
        if run.status == Status.SCREENING:
            send(REVIEW, run.pk)
            sent["review"] += 1
        elif any(step.stage == RunChunk.Stage.ISRCS for step in steps):
            send(SETTLE, run.pk)
            sent["settle"] += 1
        else:
            with transaction.atomic():
                merge_begin(locked(run.pk), send=enqueue)
            sent["steps"] += 1
    return sent
