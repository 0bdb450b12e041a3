"""Payout runs, step by step (SPEC §4): queued → screening → review → computing → computed →
finalized, or failed with a reason.

Every step locks the run's row (`select_for_update`) before it moves the state, and
checks the state it expects, so a redelivered or duplicated task finds nothing left to do.
Work for workers is enqueued after commit. On PostgreSQL the computation is split into
listener-range chunks (`payouts.compute_sql`) that any number of workers share; on SQLite,
the embedded demo, one step computes with the pure maths (`payouts.compute_python`).

`dispatch=False` leaves the next step to the caller, which is how `manage.py payout_run`
drives a run in-process and how tests drive one without a broker.
"""

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from payouts import compute_python, compute_sql, ledger, screening
from payouts.compute_sql import half_even_minor
from payouts.models import Hold, PayoutRun, ReviewRequest, RunChunk, RunSplit
from payouts.policy import MAX_CHUNKS, RunPolicy
from streams.selectors import month_of
from streams.services import month_close

logger = logging.getLogger(__name__)
Status = PayoutRun.Status

# Progress milestones (0–1) shown while a run moves on.
PROGRESS_SCREENING = 0.05
PROGRESS_REVIEW = 0.2
PROGRESS_COMPUTING = 0.25
PROGRESS_CHUNKS = 0.6  # the chunks' share of the bar, after PROGRESS_COMPUTING
PROGRESS_SETTLING = 0.9


class RunProblem(Exception):
    """The request does not fit the run's state; `status` is the HTTP status that fits."""

    status = 409

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class RunInvalid(RunProblem):
    status = 400


class RunNotFound(RunProblem):
    status = 404


def uses_sql() -> bool:
    """Chunked set-based SQL on PostgreSQL; the pure maths in-process on SQLite."""
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------------------- dispatch


def _enqueue(task_name: str, *args: Any) -> None:
    """Send a task after the current transaction commits; a broker outage is logged, not
    raised, because the state is in the database and `runs_resume` sends it again."""

    def send() -> None:
        from payouts import tasks

        task: Any = {
            "payouts.screen_run": tasks.screen_run,
            "payouts.compute_run_chunk": tasks.compute_run_chunk,
            "payouts.settle_run": tasks.settle_run,
        }[task_name]
        try:
            task.apply_async(args=args, retry=False)
        except (KombuError, RedisError, OSError):
            logger.warning("could not enqueue %s%s; runs_resume will send it again", task_name, args)

    transaction.on_commit(send)


def _locked(run_id: int) -> PayoutRun:
    run = PayoutRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise RunNotFound(f"No payout run {run_id}.")
    return run


# ---------------------------------------------------------------------------- start


def month_to_run(value: object, *, now: datetime | None = None) -> date:
    """The month a run may be started for: "YYYY-MM", not in the future."""
    from kalipxo.validation import parse_month

    parsed = parse_month(value)
    if isinstance(parsed, str):
        raise RunInvalid(parsed, field="month")
    if parsed > month_of(now or datetime.now(UTC)):
        raise RunInvalid(f"{parsed:%Y-%m} has not started yet.", field="month")
    return parsed


def payout_run_start(*, month: date, requested_by: str = "", dispatch: bool = True) -> tuple[PayoutRun, bool]:
    """The month's run: the live (not failed) one if there is one, else a new queued run.

    Returns (run, created). One live run per month is a partial unique constraint, so two
    concurrent requests cannot both create one.
    """
    existing = PayoutRun.objects.exclude(status=Status.FAILED).filter(month=month).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            run = PayoutRun.objects.create(
                month=month, policy=RunPolicy.from_settings().to_data(), requested_by=requested_by[:200]
            )
            if dispatch:
                _enqueue("payouts.screen_run", run.pk)
    except IntegrityError:
        return PayoutRun.objects.exclude(status=Status.FAILED).get(month=month), False
    logger.info("payout run %s for %s queued by %s", run.pk, f"{month:%Y-%m}", requested_by or "-")
    return run, True


def previous_month(now: datetime | None = None) -> date:
    first = month_of(now or datetime.now(UTC))
    return month_of(datetime(first.year, first.month, 1, tzinfo=UTC) - timedelta(days=1))


# ---------------------------------------------------------------------------- screening


def run_screen(*, run_id: int, dispatch: bool = True) -> str:
    """Take the data cut, apply the fraud rules, hold flagged listeners.

    With holds the run waits in `review`; without, it goes on computing.
    """
    with transaction.atomic():
        run = _locked(run_id)
        if run.status not in (Status.QUEUED, Status.SCREENING):
            return f"skipped ({run.status})"
        run.status, run.progress = Status.SCREENING, PROGRESS_SCREENING
        run.save(update_fields=["status", "progress", "updated_at"])
    policy = RunPolicy.from_data(run.policy)
    cut = screening.data_cut()
    scope = screening.Scope(month=run.month, min_play_ms=policy.min_play_ms, event_cut=cut.event_id)
    flags = screening.screen(scope=scope, policy=policy)
    flagged = sorted(flags)
    evidence = screening.evidence(scope=scope, listeners=flagged)
    pools = screening.pools_of(
        month=run.month, revenue_at=cut.revenue_at, rights_share=policy.rights_share, listeners=flagged
    )
    with transaction.atomic():
        run = _locked(run_id)
        if run.status != Status.SCREENING:
            return f"skipped ({run.status})"
        run.cutoff_event_id, run.cutoff_revenue_at = cut.event_id, cut.revenue_at
        run.screened_at = timezone.now()
        run.pools_exact = screening.pools_total(
            month=run.month, revenue_at=cut.revenue_at, rights_share=policy.rights_share
        )
        run.pools_minor = half_even_minor(run.pools_exact, policy.scale)
        thresholds = {
            "streams_per_day": policy.fraud_max_streams_per_day,
            "track_plays_per_day": policy.fraud_max_track_plays_per_day,
            "listeners_per_device": policy.fraud_max_listeners_per_device,
        }
        Hold.objects.bulk_create(
            [
                Hold(
                    run=run,
                    listener_id=listener,
                    rules=sorted(flags[listener].rules),
                    reason="; ".join(flags[listener].details),
                    evidence={**evidence[listener], "thresholds": thresholds},
                    streams=evidence[listener]["streams"],
                    pool_exact=pools.get(listener),
                )
                for listener in flagged
            ],
            ignore_conflicts=True,
        )
        if flagged:
            run.status, run.progress = Status.REVIEW, PROGRESS_REVIEW
            run.save()
            logger.info("payout run %s: %s listeners held for review", run.pk, len(flagged))
            return "review"
        run.save()
        _compute_begin(run, dispatch=dispatch)
    return "computing"


def _compute_begin(run: PayoutRun, *, dispatch: bool) -> None:
    """Snapshot the catalog and cut the month into chunks. Caller holds the run's lock."""
    policy = RunPolicy.from_data(run.policy)
    RunSplit.objects.filter(run=run).delete()
    with connection.cursor() as cursor:
        # The catalog as the run computes: a track without splits pays 100% to its artist.
        cursor.execute(
            "INSERT INTO payouts_runsplit (run_id, isrc, artist, payee, share) "
            "SELECT %s, t.isrc, t.artist_id, coalesce(s.payee_id, t.artist_id), coalesce(s.share, 1) "
            "FROM artists_track t LEFT JOIN artists_split s ON s.track_id = t.isrc",
            [run.pk],
        )
    run.chunks.all().delete()
    if uses_sql():
        ranges = compute_sql.listener_ranges(
            listeners_per_chunk=policy.chunk_listeners, max_chunks=MAX_CHUNKS
        )
        now = timezone.now()
        RunChunk.objects.bulk_create(
            RunChunk(run=run, index=index, lo=lo, hi=hi, enqueued_at=now)
            for index, (lo, hi) in enumerate(ranges)
        )
        if dispatch:
            for index in range(len(ranges)):
                _enqueue("payouts.compute_run_chunk", run.pk, index)
    elif dispatch:
        _enqueue("payouts.settle_run", run.pk)
    run.status, run.progress = Status.COMPUTING, PROGRESS_COMPUTING
    run.save(update_fields=["status", "progress", "updated_at"])


# ---------------------------------------------------------------------------- holds


def hold_decide(*, run_id: int, hold_id: int, decision: str, decided_by: str, dispatch: bool = True) -> Hold:
    """Release (counted normally) or reject (streams count nowhere, pool retained) a hold.

    Deciding the same way again is a no-op; changing a decision is refused. When the last
    hold of a run in review is decided, the run goes on computing by itself.
    """
    if decision not in Hold.Decision.values:
        raise RunInvalid('Use "release" or "reject".', field="decision")
    with transaction.atomic():
        run = _locked(run_id)
        hold = Hold.objects.select_for_update().filter(run=run, pk=hold_id).first()
        if hold is None:
            raise RunNotFound(f"No hold {hold_id} in payout run {run_id}.")
        if hold.decision == decision:
            return hold
        if hold.decision is not None:
            raise RunProblem(f"Hold {hold_id} was already decided: {hold.decision}.")
        if run.status != Status.REVIEW:
            raise RunProblem(f"Payout run {run_id} is {run.status}; holds are decided during review.")
        hold.decision, hold.decided_at, hold.decided_by = decision, timezone.now(), decided_by[:200]
        hold.save(update_fields=["decision", "decided_at", "decided_by"])
        if not run.holds.filter(decision__isnull=True).exists():
            _compute_begin(run, dispatch=dispatch)
    return hold


# ---------------------------------------------------------------------------- computing


def run_chunk_compute(*, run_id: int, index: int, dispatch: bool = True) -> str:
    """Compute one chunk (PostgreSQL). Safe to run twice or concurrently: the chunk's
    advisory lock lets one session compute, and its parts are replaced, not added."""
    with transaction.atomic():
        chunk = (
            RunChunk.objects.select_for_update()
            .filter(
                run_id=run_id,
                index=index,
                status__in=[RunChunk.Status.PENDING, RunChunk.Status.RUNNING],
                run__status=Status.COMPUTING,
            )
            .first()
        )
        if chunk is None:
            return "nothing to do"
        chunk.status, chunk.started_at = RunChunk.Status.RUNNING, timezone.now()
        chunk.attempts += 1
        chunk.save(update_fields=["status", "started_at", "attempts"])
    with transaction.atomic():
        if not compute_sql.try_lock_chunk(run_id=run_id, index=index):
            return "busy: another worker computes it"
        chunk = RunChunk.objects.select_related("run").get(pk=chunk.pk)
        run = chunk.run
        if chunk.status == RunChunk.Status.DONE or run.status != Status.COMPUTING:
            return "done before"
        if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
            raise RuntimeError(f"Run {run_id} computes without a data cut.")
        totals = compute_sql.chunk_compute(
            run_id=run_id,
            index=index,
            month=run.month,
            policy=RunPolicy.from_data(run.policy),
            event_cut=run.cutoff_event_id,
            revenue_cut=run.cutoff_revenue_at,
            lo=chunk.lo,
            hi=chunk.hi,
        )
        RunChunk.objects.filter(pk=chunk.pk).update(
            status=RunChunk.Status.DONE,
            finished_at=timezone.now(),
            pools_exact=totals.pools,
            unallocated_exact=totals.unallocated,
            rejected_exact=totals.rejected,
            streams=totals.streams,
            listeners=totals.listeners,
        )
        # Counted under the run's lock, so exactly one chunk sees the last one finish.
        run = _locked(run_id)
        chunks = run.chunks.count()
        remaining = run.chunks.exclude(status=RunChunk.Status.DONE).count()
        run.progress = PROGRESS_COMPUTING + PROGRESS_CHUNKS * (chunks - remaining) / chunks
        run.save(update_fields=["progress", "updated_at"])
        if remaining == 0 and dispatch:
            _enqueue("payouts.settle_run", run_id)
    return f"computed ({remaining} left)"


def run_settle(*, run_id: int) -> str:
    """Turn the chunks' parts (or, on SQLite, the month) into lines, results, comparisons."""
    with transaction.atomic():
        run = _locked(run_id)
        if run.status != Status.COMPUTING:
            return f"skipped ({run.status})"
        policy = RunPolicy.from_data(run.policy)
        if uses_sql():
            if run.chunks.exclude(status=RunChunk.Status.DONE).exists():
                return "waiting for chunks"
            sums = run.chunks.aggregate(
                pools=Sum("pools_exact"),
                unallocated=Sum("unallocated_exact"),
                rejected=Sum("rejected_exact"),
                streams=Sum("streams"),
                listeners=Sum("listeners"),
            )
            totals = compute_sql.SettleTotals(
                pools=Decimal(sums["pools"] or 0),
                unallocated=Decimal(sums["unallocated"] or 0),
                rejected=Decimal(sums["rejected"] or 0),
                streams=int(sums["streams"] or 0),
            )
            settled = compute_sql.settle(run_id=run.pk, policy=policy, totals=totals)
            run.pools_exact, run.unallocated_exact = totals.pools, totals.unallocated
            run.rejected_exact, run.retained_exact = totals.rejected, settled.retained_exact
            run.pools_minor, run.allocated_minor = settled.pools_minor, settled.allocated_minor
            run.suspense_minor, run.retained_minor = settled.suspense_minor, settled.retained_minor
            run.streams, run.listeners = totals.streams, int(sums["listeners"] or 0)
            run.comparison = settled.comparison
        else:
            _settle_python(run, policy)
        run.unallocated_minor = half_even_minor(run.unallocated_exact or Decimal(0), policy.scale)
        conserved = (run.allocated_minor or 0) + (run.suspense_minor or 0) + (run.retained_minor or 0)
        if conserved != run.pools_minor:
            raise ArithmeticError(f"Run {run.pk} does not conserve: {conserved} != {run.pools_minor}.")
        run.status, run.progress, run.computed_at = Status.COMPUTED, 1.0, timezone.now()
        run.save()
    logger.info("payout run %s computed", run_id)
    return "computed"


def run_catalog(run_id: int) -> compute_python.Catalog:
    artists: dict[str, str] = {}
    payees: dict[str, list[tuple[str, Decimal]]] = {}
    for isrc, artist, payee, share in (
        RunSplit.objects.filter(run_id=run_id)
        .order_by("isrc", "payee")
        .values_list("isrc", "artist", "payee", "share")
    ):
        artists[isrc] = artist
        payees.setdefault(isrc, []).append((payee, share))
    return compute_python.Catalog(artists=artists, payees=payees)


def rejected_listeners(run_id: int) -> set[str]:
    return set(
        Hold.objects.filter(run_id=run_id, decision=Hold.Decision.REJECT).values_list(
            "listener_id", flat=True
        )
    )


def run_outcome(run: PayoutRun) -> compute_python.Outcome:
    """The run recomputed in memory with the pure maths, from raw tables and its snapshot."""
    if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
        raise RunProblem(f"Run {run.pk} has not been screened yet: it has no data cut.")
    return compute_python.compute(
        month=run.month,
        policy=RunPolicy.from_data(run.policy),
        event_cut=run.cutoff_event_id,
        revenue_cut=run.cutoff_revenue_at,
        rejected=rejected_listeners(run.pk),
        catalog=run_catalog(run.pk),
    )


def _settle_python(run: PayoutRun, policy: RunPolicy) -> None:
    outcome = run_outcome(run)
    compute_python.outcome_write(run_id=run.pk, outcome=outcome, catalog=run_catalog(run.pk))
    allocation, pro_rata = outcome.allocation, outcome.pro_rata
    to_decimal = compute_python.to_decimal
    run.pools_exact = to_decimal(allocation.pools_exact)
    run.unallocated_exact = to_decimal(allocation.unallocated_exact)
    run.rejected_exact = to_decimal(allocation.rejected_exact)
    run.retained_exact = to_decimal(allocation.retained_exact)
    run.pools_minor, run.allocated_minor = allocation.total_minor, allocation.allocated
    run.suspense_minor, run.retained_minor = sum(allocation.suspense.values()), allocation.retained
    run.streams, run.listeners = outcome.streams, outcome.listeners
    run.comparison = {
        "pro_rata": {
            "allocated_minor": pro_rata.allocated,
            "suspense_minor": sum(pro_rata.suspense.values()),
            "retained_minor": pro_rata.retained,
        },
        "progressive": {
            "base_value": None
            if outcome.progressive_base_value is None
            else str(outcome.progressive_base_value),
            "allocated_minor": sum(outcome.progressive_minor.values()),
            "undistributed_minor": outcome.progressive_undistributed,
        },
    }


def run_fail(*, run_id: int, reason: str) -> None:
    """Mark a run failed (a new run may then be started for its month), unless it got
    past computing meanwhile. Its scratch rows go; its holds stay as a record."""
    from payouts.models import ChunkListeners, ChunkPart

    with transaction.atomic():
        run = PayoutRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (Status.COMPUTED, Status.FINALIZED, Status.FAILED):
            return
        run.status, run.failure_reason = Status.FAILED, reason[:2000]
        run.save(update_fields=["status", "failure_reason", "updated_at"])
        ChunkPart.objects.filter(run_id=run_id).delete()
        ChunkListeners.objects.filter(run_id=run_id).delete()
    logger.error("payout run %s failed: %s", run_id, reason)


# ---------------------------------------------------------------------------- finalize


def payout_run_finalize(*, run_id: int, finalized_by: str = "") -> PayoutRun:
    """Write the ledger and close the month, once. Idempotent: a finalized run is returned
    as it is; concurrent calls queue on the run's row lock and find it finalized."""
    with transaction.atomic():
        run = _locked(run_id)
        if run.status == Status.FINALIZED:
            return run
        if run.status != Status.COMPUTED:
            raise RunProblem(f"Payout run {run_id} is {run.status}; only a computed run can be finalized.")
        if run.holds.filter(decision__isnull=True).exists():
            raise RunProblem(f"Payout run {run_id} has undecided holds.")
        ledger.settlement_write(run=run)
        month_close(month=run.month, run_id=run.pk)
        run.status, run.finalized_at, run.finalized_by = Status.FINALIZED, timezone.now(), finalized_by[:200]
        run.save(update_fields=["status", "finalized_at", "finalized_by", "updated_at"])
    logger.info("payout run %s finalized by %s", run_id, finalized_by or "-")
    return run


# ---------------------------------------------------------------------------- recovery


def runs_resume(*, older_than_seconds: float = 60.0) -> dict[str, int]:
    """Send again the work of runs that stopped moving (lost message, killed worker).

    Queued or screening runs get their screening again; chunks nobody is computing (no
    advisory lock held) are sent again; computing runs whose chunks are all done get
    their settle. Every step is idempotent, so a duplicate costs nothing but a lookup.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    sent = {"screen": 0, "chunks": 0, "settle": 0}
    for run_id in PayoutRun.objects.filter(
        status__in=[Status.QUEUED, Status.SCREENING], updated_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            _enqueue("payouts.screen_run", run_id)
        sent["screen"] += 1
    for run in PayoutRun.objects.filter(status=Status.COMPUTING):
        chunks = list(run.chunks.all())
        if not uses_sql() or not chunks:
            if run.updated_at < cutoff:
                with transaction.atomic():
                    _enqueue("payouts.settle_run", run.pk)
                sent["settle"] += 1
            continue
        stale = [
            chunk
            for chunk in chunks
            if chunk.status != RunChunk.Status.DONE
            and (chunk.started_at or chunk.enqueued_at or cutoff) <= cutoff
            and not compute_sql.chunk_is_locked(run_id=run.pk, index=chunk.index)
        ]
        for chunk in stale:
            with transaction.atomic():
                RunChunk.objects.filter(pk=chunk.pk).update(enqueued_at=timezone.now())
                _enqueue("payouts.compute_run_chunk", run.pk, chunk.index)
            sent["chunks"] += 1
        if all(chunk.status == RunChunk.Status.DONE for chunk in chunks) and run.updated_at <= cutoff:
            with transaction.atomic():
                _enqueue("payouts.settle_run", run.pk)
            sent["settle"] += 1
    return sent


def run_drive(*, run_id: int, on_progress: Callable[[PayoutRun], None] | None = None) -> PayoutRun:
    """Take a run as far as it can go in this process, without a broker.

    Stops in `review` when listeners are held (decide them, then call again).
    """

    def report() -> PayoutRun:
        run = PayoutRun.objects.get(pk=run_id)
        if on_progress is not None:
            on_progress(run)
        return run

    run = report()
    if run.status in (Status.QUEUED, Status.SCREENING):
        run_screen(run_id=run_id, dispatch=False)
        run = report()
    if run.status == Status.COMPUTING:
        for index in run.chunks.exclude(status=RunChunk.Status.DONE).values_list("index", flat=True):
            run_chunk_compute(run_id=run_id, index=index, dispatch=False)
            report()
        run_settle(run_id=run_id)
        run = report()
    return run


# ---------------------------------------------------------------------------- artists


def review_request_create(*, artist_id: str, month: date, message: str, requested_by: str) -> ReviewRequest:
    """An artist asks an admin to look at held streams of a month."""
    return ReviewRequest.objects.create(
        artist_id=artist_id, month=month, message=message, requested_by=requested_by[:200]
    )
