"""What a run waits for in its present state, and sending again the work of runs that
stopped moving (lost message, killed worker)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from payouts.engine.locks import is_locked
from payouts.models import PayoutRun, RunChunk
from payouts.run.compute import merge_begin
from payouts.run.enqueue import CHUNK_COMPUTE, MERGE, REVIEW, SCREEN, SETTLE, Send, enqueue
from payouts.run.state import Status, locked, uses_sql

STEP_TASKS = {RunChunk.Stage.LISTENERS: CHUNK_COMPUTE, RunChunk.Stage.ISRCS: MERGE}
MERGE_BEGIN = "merge_begin"  # not a task: the merges' rows are created under the run's lock
COUNTED_AS = {SCREEN: "screen", CHUNK_COMPUTE: "steps", MERGE: "steps", MERGE_BEGIN: "steps",
              REVIEW: "review", SETTLE: "settle"}  # fmt: skip


@dataclass(frozen=True)
class Waiting:
    step: str
    run_id: int
    chunk: RunChunk | None = None  # the listener chunk or ISRC bucket, for its steps

    @property
    def args(self) -> tuple[int, ...]:
        return (self.run_id,) if self.chunk is None else (self.run_id, self.chunk.index)


def run_waits_for(run: PayoutRun, *, ready: Callable[[RunChunk], bool], idle: bool) -> list[Waiting]:
    """The steps a run in its present state waits for (none in review or after).

    `ready(chunk)`: whether an unfinished chunk's step may be sent now; `idle`: whether the
    run itself may be taken on now (its next step between chunks, its screening, its
    settling). The driver takes everything at once; recovery only what nobody works on.
    """
    chunks = list(run.chunks.all())
    if run.status == Status.QUEUED or (run.status == Status.SCREENING and not chunks):
        return [Waiting(SCREEN, run.pk)] if idle else []
    if run.status not in (Status.SCREENING, Status.COMPUTING):
        return []
    if not uses_sql():
        return [Waiting(SETTLE, run.pk)] if run.status == Status.COMPUTING and idle else []
    unfinished = [chunk for chunk in chunks if chunk.status != RunChunk.Status.DONE]
    if unfinished:
        return [Waiting(STEP_TASKS[RunChunk.Stage(c.stage)], run.pk, c) for c in unfinished if ready(c)]
    if not idle:
        return []
    if run.status == Status.SCREENING:
        return [Waiting(REVIEW, run.pk)]
    if any(chunk.stage == RunChunk.Stage.ISRCS for chunk in chunks):
        return [Waiting(SETTLE, run.pk)]
    return [Waiting(MERGE_BEGIN, run.pk)]


def run_take_on(waiting: Waiting, send: Send) -> None:
    """Send a step a run waits for; the merges' beginning is done here, under the lock."""
    if waiting.step == MERGE_BEGIN:
        with transaction.atomic():
            merge_begin(locked(waiting.run_id), send=send)
    else:
        send(waiting.step, *waiting.args)


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

    def stale(chunk: RunChunk) -> bool:
        return (chunk.started_at or chunk.enqueued_at or cutoff) <= cutoff and not is_locked(
            stage=chunk.stage, run_id=chunk.run_id, index=chunk.index
        )

    def send(step: str, *args: object) -> None:
        with transaction.atomic():
            enqueue(step, *args)

    for run in PayoutRun.objects.filter(status__in=[Status.QUEUED, Status.SCREENING, Status.COMPUTING]):
        for waiting in run_waits_for(run, ready=stale, idle=run.updated_at <= cutoff):
            if waiting.chunk is not None:
                RunChunk.objects.filter(pk=waiting.chunk.pk).update(enqueued_at=timezone.now())
            run_take_on(waiting, send)
            sent[COUNTED_AS[waiting.step]] += 1
    return sent
