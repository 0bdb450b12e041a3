"""Computing a run once screening is over and every hold is decided.

PostgreSQL (`payouts.engine`): chunks holding a rejected listener are computed again
without it (the first pass counted everyone); then the ISRC buckets merge; a finish step
rounds once and writes the results. Any number of workers share the steps; a lost step is
redone alone. SQLite: one step computes everything with the pure maths
(`payouts.engine.reference`).
"""

import logging
from decimal import Decimal
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from kalipxo.money import half_even_minor
from payouts.engine import reference
from payouts.engine.chunks import chunk_compute
from payouts.engine.finish import SideSettled, finish
from payouts.engine.locks import try_lock
from payouts.engine.merge import SettleTotals, bucket_merge
from payouts.maths import Allocation
from payouts.models import PayoutRun, RunChunk
from payouts.policy import RunPolicy
from payouts.run.deductions import run_deductions_compute
from payouts.run.enqueue import CHUNK_COMPUTE, MERGE, REVIEW, SETTLE, Send, enqueue
from payouts.run.selectors import run_catalog, run_outcome
from payouts.run.state import (
    PROGRESS_CHUNKS,
    PROGRESS_COMPUTING,
    PROGRESS_MERGES,
    PROGRESS_SCREENING,
    Status,
    locked,
    uses_sql,
)

logger = logging.getLogger(__name__)


def compute_begin(run: PayoutRun, *, send: Send) -> None:
    """Screening is over and every hold decided: compute. Caller holds the run's lock."""
    run.status, run.progress = Status.COMPUTING, PROGRESS_COMPUTING
    run.save(update_fields=["status", "progress", "updated_at"])
    if not uses_sql():
        send(SETTLE, run.pk)
        return
    with connection.cursor() as cursor:
        # In SQL, so listener ids compare in the database's collation, as the chunks do.
        cursor.execute(
            "UPDATE payouts_runchunk c SET status = 'pending', enqueued_at = now() "
            "WHERE c.run_id = %s AND c.stage = 'listeners' AND EXISTS (SELECT 1 FROM payouts_hold h "
            "WHERE h.run_id = c.run_id AND h.decision = 'reject' "
            "AND (c.lo IS NULL OR h.listener_id >= c.lo) AND (c.hi IS NULL OR h.listener_id < c.hi)) "
            "RETURNING c.index",
            [run.pk],
        )
        again = [index for (index,) in cursor.fetchall()]
    if again:
        for index in again:
            send(CHUNK_COMPUTE, run.pk, index)
        return
    merge_begin(run, send=send)


def merge_begin(run: PayoutRun, *, send: Send) -> None:
    """Send the ISRC buckets' merges. Caller holds the run's lock; all chunks are done."""
    buckets = RunPolicy.from_data(run.policy).chunks
    now = timezone.now()
    RunChunk.objects.bulk_create(
        [
            RunChunk(run=run, stage=RunChunk.Stage.ISRCS, index=index, enqueued_at=now)
            for index in range(buckets)
        ],
        ignore_conflicts=True,
    )
    for index in range(buckets):
        send(MERGE, run.pk, index)


def _claim(run_id: int, stage: str, index: int, run_status: str) -> RunChunk | None:
    """Mark a step running (and count the attempt) if there is work left in it."""
    with transaction.atomic():
        chunk = (
            RunChunk.objects.select_for_update(of=("self",))
            .filter(
                run_id=run_id,
                stage=stage,
                index=index,
                status__in=[RunChunk.Status.PENDING, RunChunk.Status.RUNNING],
                run__status=run_status,
            )
            .first()
        )
        if chunk is not None:
            chunk.status, chunk.started_at = RunChunk.Status.RUNNING, timezone.now()
            chunk.attempts += 1
            chunk.save(update_fields=["status", "started_at", "attempts"])
    return chunk


def _step_lock(claimed: RunChunk, statuses: tuple[str, ...], *, busy: str) -> RunChunk | str:
    """Take a claimed step's advisory lock for the caller's transaction: the step, with its
    run, to work on; or why there is nothing to do (another session has it, or it was done
    meanwhile, or its run moved on)."""
    if not try_lock(stage=claimed.stage, run_id=claimed.run_id, index=claimed.index):
        return f"busy: {busy}"
    chunk = RunChunk.objects.select_related("run").get(pk=claimed.pk)
    if chunk.status == RunChunk.Status.DONE or chunk.run.status not in statuses:
        return "done before"
    return chunk


def payout_run_chunk_compute(*, run_id: int, index: int, send: Send = enqueue) -> str:
    """Screen and compute one listener chunk (PostgreSQL). Safe to run twice or
    concurrently: its advisory lock lets one session work, and its parts are replaced."""
    stage = RunChunk.Stage.LISTENERS
    claimed = _claim(run_id, stage, index, Status.SCREENING) or _claim(run_id, stage, index, Status.COMPUTING)
    if claimed is None:
        return "nothing to do"
    with transaction.atomic():
        chunk = _step_lock(claimed, (Status.SCREENING, Status.COMPUTING), busy="another worker computes it")
        if isinstance(chunk, str):
            return chunk
        run = chunk.run
        if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
            raise RuntimeError(f"Run {run_id} computes without a data cut.")
        policy = RunPolicy.from_data(run.policy)
        totals = chunk_compute(
            run_id=run_id,
            index=index,
            month=run.month,
            policy=policy,
            event_cut=run.cutoff_event_id,
            revenue_cut=run.cutoff_revenue_at,
            lo=chunk.lo,
            hi=chunk.hi,
            buckets=policy.chunks,
            replace=chunk.finished_at is not None,
        )
        RunChunk.objects.filter(pk=chunk.pk).update(
            status=RunChunk.Status.DONE,
            finished_at=timezone.now(),
            net_exact=totals.net,
            net_unallocated_exact=totals.net_unallocated,
            net_rejected_exact=totals.net_rejected,
            streams=totals.streams,
            listeners=totals.listeners,
        )
        # Counted under the run's lock, so exactly one chunk sees the last one finish.
        run = locked(run_id)
        if run.status not in (Status.SCREENING, Status.COMPUTING):
            return f"computed, but the run is {run.status} now"
        chunks = run.chunks.filter(stage=stage)
        remaining = chunks.exclude(status=RunChunk.Status.DONE).count()
        if run.status == Status.SCREENING:
            run.progress = PROGRESS_SCREENING + PROGRESS_CHUNKS * (1 - remaining / chunks.count())
            run.save(update_fields=["progress", "updated_at"])
            if remaining == 0:
                send(REVIEW, run_id)
        elif remaining == 0:
            merge_begin(run, send=send)
    return f"computed ({remaining} left)"


def payout_run_merge(*, run_id: int, index: int, send: Send = enqueue) -> str:
    """Merge one ISRC bucket (PostgreSQL); the last one sends the settling."""
    stage = RunChunk.Stage.ISRCS
    claimed = _claim(run_id, stage, index, Status.COMPUTING)
    if claimed is None:
        return "nothing to do"
    with transaction.atomic():
        chunk = _step_lock(claimed, (Status.COMPUTING,), busy="another worker merges it")
        if isinstance(chunk, str):
            return chunk
        run = chunk.run
        policy = RunPolicy.from_data(run.policy)
        bucket_merge(run_id=run_id, bucket=index, policy=policy, totals=chunk_totals(run))
        RunChunk.objects.filter(pk=chunk.pk).update(status=RunChunk.Status.DONE, finished_at=timezone.now())
        run = locked(run_id)
        merges = run.chunks.filter(stage=stage)
        remaining = merges.exclude(status=RunChunk.Status.DONE).count()
        run.progress = PROGRESS_COMPUTING + PROGRESS_MERGES * (1 - remaining / merges.count())
        run.save(update_fields=["progress", "updated_at"])
        if remaining == 0:
            send(SETTLE, run_id)
    return f"merged ({remaining} left)"


def chunk_totals(run: PayoutRun) -> SettleTotals:
    sums = run.chunks.filter(stage=RunChunk.Stage.LISTENERS).aggregate(
        net=Sum("net_exact"),
        unallocated=Sum("net_unallocated_exact"),
        rejected=Sum("net_rejected_exact"),
        streams=Sum("streams"),
    )
    return SettleTotals(
        net=Decimal(sums["net"] or 0),
        net_unallocated=Decimal(sums["unallocated"] or 0),
        net_rejected=Decimal(sums["rejected"] or 0),
        streams=int(sums["streams"] or 0),
    )


def payout_run_settle(*, run_id: int, send: Send = enqueue) -> str:
    """Round once and write the results: from the merged buckets (PostgreSQL) or, on
    SQLite, from the whole month with the pure maths. The last step: it sends nothing."""
    with transaction.atomic():
        run = locked(run_id)
        if run.status != Status.COMPUTING:
            return f"skipped ({run.status})"
        policy = RunPolicy.from_data(run.policy)
        if uses_sql():
            if (
                not run.chunks.filter(stage=RunChunk.Stage.ISRCS).exists()
                or run.chunks.exclude(status=RunChunk.Status.DONE).exists()
            ):
                return "waiting for merges"
            totals = chunk_totals(run)
            settled = finish(run_id=run.pk, policy=policy, totals=totals)
            whole = totals.side(policy.rights_share)
            run.pools_exact, run.unallocated_exact, run.rejected_exact = (
                whole.pools, whole.unallocated, whole.rejected,
            )  # fmt: skip
            run.publishing_pools_exact = totals.side(policy.publishing_rate).pools
            _sides_write(run, recording=settled.recording, publishing=settled.publishing)
            listeners = run.chunks.filter(stage=RunChunk.Stage.LISTENERS).aggregate(n=Sum("listeners"))["n"]
            run.streams, run.listeners = totals.streams, int(listeners or 0)
            run.comparison = settled.comparison
        else:
            _settle_python(run)
        run_deductions_compute(run_id=run.pk, month=run.month, policy=policy)
        run.unallocated_minor = half_even_minor(run.unallocated_exact or Decimal(0), policy.scale)
        conserved = (run.allocated_minor or 0) + (run.suspense_minor or 0) + (run.retained_minor or 0)
        if conserved != run.pools_minor:
            raise ArithmeticError(f"Run {run.pk} does not conserve: {conserved} != {run.pools_minor}.")
        publishing = (
            (run.publishing_allocated_minor or 0) + (run.publishing_suspense_minor or 0)
            + (run.publishing_retained_minor or 0)
        )  # fmt: skip
        if publishing != run.publishing_pools_minor:
            pools = run.publishing_pools_minor
            raise ArithmeticError(f"Run {run.pk}'s publishing side does not add up: {publishing} != {pools}.")
        run.status, run.progress, run.computed_at = Status.COMPUTED, 1.0, timezone.now()
        run.save()
    logger.info("payout run %s computed", run_id)
    return "computed"


def _sides_write(run: PayoutRun, *, recording: SideSettled, publishing: SideSettled) -> None:
    """The run's totals: each v1 total covers both sides (each side rounded on its own,
    docs/rules.md §2 Rounding); the publishing side's part is kept beside them."""
    run.pools_minor = recording.pools_minor + publishing.pools_minor
    run.allocated_minor = recording.allocated_minor + publishing.allocated_minor
    run.suspense_minor = recording.suspense_minor + publishing.suspense_minor
    run.retained_minor = recording.retained_minor + publishing.retained_minor
    run.retained_exact = recording.retained_exact + publishing.retained_exact
    run.publishing_pools_minor = publishing.pools_minor
    run.publishing_allocated_minor = publishing.allocated_minor
    run.publishing_suspense_minor = publishing.suspense_minor
    run.publishing_retained_minor = publishing.retained_minor


def _side(allocation: Allocation | None) -> SideSettled:
    if allocation is None:
        return SideSettled.none()
    return SideSettled(
        pools_minor=allocation.total_minor,
        allocated_minor=allocation.allocated,
        suspense_minor=sum(allocation.suspense.values()),
        retained_minor=allocation.retained,
        retained_exact=reference.to_decimal(allocation.retained_exact),
    )


def _totals(allocation: Allocation | None) -> dict[str, int]:
    side = _side(allocation)
    return {
        "allocated_minor": side.allocated_minor,
        "suspense_minor": side.suspense_minor,
        "retained_minor": side.retained_minor,
    }


def _settle_python(run: PayoutRun) -> None:
    outcome = run_outcome(run)
    reference.outcome_write(run_id=run.pk, outcome=outcome, catalog=run_catalog(run.pk))
    policy = RunPolicy.from_data(run.policy)
    allocation, pro_rata = outcome.allocation, outcome.pro_rata
    paid = outcome.publishing.allocation if outcome.publishing else None
    other = outcome.publishing_other.allocation if outcome.publishing_other else None
    to_decimal = reference.to_decimal
    # The v1 exact totals are the whole rights pool's: both sides' together.
    whole = [allocation] + ([paid] if paid else [])
    run.pools_exact = to_decimal(sum((a.pools_exact for a in whole), Fraction(0)))
    run.unallocated_exact = to_decimal(sum((a.unallocated_exact for a in whole), Fraction(0)))
    run.rejected_exact = to_decimal(sum((a.rejected_exact for a in whole), Fraction(0)))
    run.publishing_pools_exact = to_decimal(outcome.publishing_pools)
    _sides_write(run, recording=_side(allocation), publishing=_side(paid))
    run.streams, run.listeners = outcome.streams, outcome.listeners
    run.comparison = {
        "pro_rata": _totals(pro_rata),
        "progressive": {
            "base_value": None
            if outcome.progressive_base_value is None
            else str(outcome.progressive_base_value),
            "allocated_minor": sum(outcome.progressive_minor.values()),
            "undistributed_minor": outcome.progressive_undistributed,
        },
        "publishing": {
            "method": policy.publishing_allocation,
            policy.publishing_allocation: _totals(paid),
            policy.publishing_other: _totals(other),
        },
    }
