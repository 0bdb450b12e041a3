"""Screening a run: the data cut, the fraud rules (docs/rules.md §2 Fraud holds), holds
with their evidence, then review or computing.

On PostgreSQL the cut sends the listener chunks, which screen and compute in one pass
(`payouts.engine.chunks`); `payout_run_review` finishes the screening after the last one.
On SQLite, the embedded demo, screening runs as portable queries in one step.
"""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from kalipxo.money import half_even_minor
from payouts import pools, screening
from payouts.engine.catalog import catalog_snapshot
from payouts.engine.chunks import listener_ranges
from payouts.engine.scratch import scratch_create
from payouts.models import Hold, PayoutRun, RunChunk
from payouts.policy import RunPolicy
from payouts.run.compute import compute_begin
from payouts.run.cut import DataCut, data_cut
from payouts.run.enqueue import CHUNK_COMPUTE, Send, enqueue
from payouts.run.state import PROGRESS_REVIEW, PROGRESS_SCREENING, Status, locked, uses_sql

logger = logging.getLogger(__name__)

THRESHOLD_NAMES = ("streams_per_day", "track_plays_per_day", "listeners_per_device")


def payout_run_screen(*, run_id: int, send: Send = enqueue) -> str:
    """Take the data cut and screen the month.

    PostgreSQL: snapshot the catalog and send the listener chunks, which screen and
    compute in one pass (`payout_run_review` follows). SQLite: screen with portable queries
    and hold flagged listeners; with holds the run waits in `review`, without it computes.
    """
    with transaction.atomic():
        run = locked(run_id)
        if run.status not in (Status.QUEUED, Status.SCREENING):
            return f"skipped ({run.status})"
        run.status, run.progress = Status.SCREENING, PROGRESS_SCREENING
        run.save(update_fields=["status", "progress", "updated_at"])
    policy = RunPolicy.from_data(run.policy)
    cut = data_cut()
    if uses_sql():
        with transaction.atomic():
            run = locked(run_id)
            if run.status != Status.SCREENING or run.chunks.exists():
                return f"skipped ({run.status}, chunks already sent)"
            _set_cut(run, cut, policy)
            catalog_snapshot(run_id=run.pk)
            scratch_create(run_id=run.pk, buckets=policy.chunks)
            ranges = listener_ranges(chunks=policy.chunks)
            now = timezone.now()
            RunChunk.objects.bulk_create(
                RunChunk(run=run, stage=RunChunk.Stage.LISTENERS, index=index, lo=lo, hi=hi, enqueued_at=now)
                for index, (lo, hi) in enumerate(ranges)
            )
            run.save()
            for index in range(len(ranges)):
                send(CHUNK_COMPUTE, run.pk, index)
        return f"screening in {len(ranges)} chunks"
    scope = screening.Scope(month=run.month, min_play_ms=policy.min_play_ms, event_cut=cut.event_id)
    with screening.roomy_queries():
        flags = screening.screen(scope=scope, policy=policy)
        evidence = screening.evidence(scope=scope, listeners=sorted(flags))
    with transaction.atomic():
        run = locked(run_id)
        if run.status != Status.SCREENING:
            return f"skipped ({run.status})"
        _set_cut(run, cut, policy)
        catalog_snapshot(run_id=run.pk)
        _hold(run, policy, flags, evidence)
        return _after_screening(run, send=send)


def payout_run_review(*, run_id: int, send: Send = enqueue) -> str:
    """After the listener chunks (PostgreSQL): the shared-device rule across chunks, holds
    with evidence, then review or computing."""
    with transaction.atomic():
        run = locked(run_id)
        if run.status != Status.SCREENING:
            return f"skipped ({run.status})"
        if run.chunks.filter(stage=RunChunk.Stage.LISTENERS).exclude(status=RunChunk.Status.DONE).exists():
            return "waiting for chunks"
        policy = RunPolicy.from_data(run.policy)
        flags, devices = screening.chunk_findings(run_id=run.pk, policy=policy)
        if run.cutoff_event_id is None:
            raise RuntimeError(f"Run {run.pk} reviews without a data cut.")
        scope = screening.Scope(
            month=run.month, min_play_ms=policy.min_play_ms, event_cut=run.cutoff_event_id
        )
        evidence = screening.evidence(scope=scope, listeners=sorted(flags), device_counts=devices)
        _hold(run, policy, flags, evidence)
        return _after_screening(run, send=send)


def _set_cut(run: PayoutRun, cut: DataCut, policy: RunPolicy) -> None:
    run.cutoff_event_id, run.cutoff_revenue_at = cut.event_id, cut.revenue_at
    run.pools_exact = pools.pools_total(
        month=run.month, revenue_at=cut.revenue_at, rights_share=policy.rights_share
    )
    run.pools_minor = half_even_minor(run.pools_exact, policy.scale)


def _hold(
    run: PayoutRun,
    policy: RunPolicy,
    flags: dict[str, screening.Flag],
    evidence: dict[str, dict[str, Any]],
) -> None:
    """One hold per flagged listener, with every reason and the evidence. Caller holds the lock."""
    if not flags:
        return
    values = (
        policy.fraud_max_streams_per_day,
        policy.fraud_max_track_plays_per_day,
        policy.fraud_max_listeners_per_device,
    )
    thresholds = dict(zip(THRESHOLD_NAMES, values, strict=True))
    if run.cutoff_revenue_at is None:
        raise RuntimeError(f"Run {run.pk} holds listeners without a data cut.")
    listener_pools = pools.pools_of(
        month=run.month,
        revenue_at=run.cutoff_revenue_at,
        rights_share=policy.rights_share,
        listeners=sorted(flags),
    )
    Hold.objects.bulk_create(
        [
            Hold(
                run=run,
                listener_id=listener,
                rules=sorted(flag.rules),
                reason="; ".join(flag.details),
                evidence={**evidence[listener], "thresholds": thresholds},
                streams=evidence[listener]["streams"],
                pool_exact=listener_pools.get(listener),
            )
            for listener, flag in sorted(flags.items())
        ],
        ignore_conflicts=True,
    )


def _after_screening(run: PayoutRun, *, send: Send) -> str:
    """Review when listeners are held, else compute. Caller holds the run's lock."""
    run.screened_at = timezone.now()
    if run.holds.exists():
        run.status, run.progress = Status.REVIEW, PROGRESS_REVIEW
        run.save()
        logger.info("payout run %s: %s listeners held for review", run.pk, run.holds.count())
        return "review"
    run.save()
    compute_begin(run, send=send)
    return "computing"
