"""Payout runs, step by step (docs/rules.md §4): queued → screening → review → computing → computed →
finalized, or failed with a reason.

Every step locks the run's row (`select_for_update`) before it moves the state, and
checks the state it expects, so a redelivered or duplicated task finds nothing left to do.
Work for workers is enqueued after commit.

On PostgreSQL (`payouts.compute_sql`) the month is cut into listener chunks that screen
and compute in one pass; after review, chunks holding rejected listeners are computed
again without them, ISRC buckets merge the chunks' parts, and a finish step rounds and
writes the results. Any number of workers share the steps; a lost step is redone alone.
On SQLite, the embedded demo, screening runs as portable queries (`payouts.screening`) and
one step computes with the pure maths (`payouts.compute_python`).

`dispatch=False` leaves the next step to the caller, which is how `manage.py payout_run`
drives a run in-process and how tests drive one without a broker.
"""

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from kalipxo.months import add_months, month_of
from kalipxo.validation import parse_month
from payouts import compute_python, compute_sql, ledger, screening
from payouts.compute_sql import half_even_minor
from payouts.models import Hold, PayoutRun, ReviewRequest, RunChunk, RunSplit, RunTrack
from payouts.policy import RunPolicy
from payouts.problems import RunInvalid, RunNotFound, RunProblem
from payouts.run_window import month_over_check, run_opens_at
from streams.services import month_close

logger = logging.getLogger(__name__)
Status = PayoutRun.Status

# Progress milestones (0–1) shown while a run moves on: listener chunks (screening and
# computing in one pass) fill 5-50%, review holds at 50%, ISRC merges fill 55-95%.
PROGRESS_SCREENING = 0.05
PROGRESS_CHUNKS = 0.45
PROGRESS_REVIEW = 0.5
PROGRESS_COMPUTING = 0.55
PROGRESS_MERGES = 0.4
PROGRESS_SETTLING = 0.9


def uses_sql() -> bool:
    """Chunked set-based SQL on PostgreSQL; the pure maths in-process on SQLite."""
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------------------- dispatch


def _enqueue(task_name: str, *args: Any) -> None:
    """Send a task after the current transaction commits; a broker outage is logged, not
    raised, because the state is in the database and `runs_resume` (beat) sends it again."""

    def send() -> None:
        from payouts import tasks

        task: Any = {
            "payouts.screen_run": tasks.screen_run,
            "payouts.compute_run_chunk": tasks.compute_run_chunk,
            "payouts.review_run": tasks.review_run,
            "payouts.settle_run_part": tasks.settle_run_part,
            "payouts.settle_run": tasks.settle_run,
        }[task_name]
        try:
            task.apply_async(args=args, retry=False)
        except (KombuError, RedisError, OSError):
            logger.warning("could not enqueue %s%s; payouts.resume_runs will send it again", task_name, args)

    transaction.on_commit(send)


def _locked(run_id: int) -> PayoutRun:
    run = PayoutRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise RunNotFound(f"No payout run {run_id}.")
    return run


# ---------------------------------------------------------------------------- start


def month_to_run(value: object, *, now: datetime | None = None) -> date:
    """The month a run may be started for: "YYYY-MM", not in the future."""
    parsed = parse_month(value)
    if isinstance(parsed, str):
        raise RunInvalid(parsed, field="month")
    if parsed > month_of(now or datetime.now(UTC)):
        raise RunInvalid(f"{parsed:%Y-%m} has not started yet.", field="month")
    return parsed


def payout_run_start(*, month: date, requested_by: str = "", dispatch: bool = True) -> tuple[PayoutRun, bool]:
    """The month's run: the live (not failed) one if there is one, else a new queued run.

    Returns (run, created). One live run per month is a partial unique constraint, so two
    concurrent requests cannot both create one. Refused (MonthNotOver, 409) until the month
    and its grace have passed; the existing run is still returned, whatever its month.
    """
    existing = PayoutRun.objects.exclude(status=Status.FAILED).filter(month=month).first()
    if existing is not None:
        return existing, False
    month_over_check(month)
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
    return add_months(month_of(now or datetime.now(UTC)), -1)


def scheduled_run_open(*, now: datetime | None = None) -> PayoutRun | None:
    """The schedule's part: once last month and its grace are over, open its run, unless
    the month has a run already (of any status: a failed one waits for an operator,
    rather than being started again every hour)."""
    moment = now or timezone.now()
    month = previous_month(moment)
    if run_opens_at(month) > moment or PayoutRun.objects.filter(month=month).exists():
        return None
    run, _ = payout_run_start(month=month, requested_by="schedule")
    return run


# ---------------------------------------------------------------------------- screening

THRESHOLD_NAMES = ("streams_per_day", "track_plays_per_day", "listeners_per_device")


def run_screen(*, run_id: int, dispatch: bool = True) -> str:
    """Take the data cut and screen the month.

    PostgreSQL: snapshot the catalog and send the listener chunks, which screen and
    compute in one pass (`run_review` follows). SQLite: screen with portable queries and
    hold flagged listeners; with holds the run waits in `review`, without it computes.
    """
    with transaction.atomic():
        run = _locked(run_id)
        if run.status not in (Status.QUEUED, Status.SCREENING):
            return f"skipped ({run.status})"
        run.status, run.progress = Status.SCREENING, PROGRESS_SCREENING
        run.save(update_fields=["status", "progress", "updated_at"])
    policy = RunPolicy.from_data(run.policy)
    cut = screening.data_cut()
    if uses_sql():
        with transaction.atomic():
            run = _locked(run_id)
            if run.status != Status.SCREENING or run.chunks.exists():
                return f"skipped ({run.status}, chunks already sent)"
            _set_cut(run, cut, policy)
            compute_sql.catalog_snapshot(run_id=run.pk)
            compute_sql.scratch_create(run_id=run.pk, buckets=policy.chunks)
            ranges = compute_sql.listener_ranges(chunks=policy.chunks)
            now = timezone.now()
            RunChunk.objects.bulk_create(
                RunChunk(run=run, stage=RunChunk.Stage.LISTENERS, index=index, lo=lo, hi=hi, enqueued_at=now)
                for index, (lo, hi) in enumerate(ranges)
            )
            run.save()
            if dispatch:
                for index in range(len(ranges)):
                    _enqueue("payouts.compute_run_chunk", run.pk, index)
        return f"screening in {len(ranges)} chunks"
    scope = screening.Scope(month=run.month, min_play_ms=policy.min_play_ms, event_cut=cut.event_id)
    with screening.roomy_queries():
        flags = screening.screen(scope=scope, policy=policy)
        flagged = sorted(flags)
        evidence = screening.evidence(scope=scope, listeners=flagged)
    with transaction.atomic():
        run = _locked(run_id)
        if run.status != Status.SCREENING:
            return f"skipped ({run.status})"
        _set_cut(run, cut, policy)
        compute_sql.catalog_snapshot(run_id=run.pk)
        reasons = {listener: (sorted(flags[listener].rules), flags[listener].details) for listener in flagged}
        _hold(run, policy, reasons, evidence)
        return _after_screening(run, dispatch=dispatch)


def _set_cut(run: PayoutRun, cut: screening.DataCut, policy: RunPolicy) -> None:
    run.cutoff_event_id, run.cutoff_revenue_at = cut.event_id, cut.revenue_at
    run.pools_exact = screening.pools_total(
        month=run.month, revenue_at=cut.revenue_at, rights_share=policy.rights_share
    )
    run.pools_minor = half_even_minor(run.pools_exact, policy.scale)


def _hold(
    run: PayoutRun,
    policy: RunPolicy,
    flags: dict[str, tuple[list[str], list[str]]],
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
    pools = screening.pools_of(
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
                rules=rules,
                reason="; ".join(details),
                evidence={**evidence[listener], "thresholds": thresholds},
                streams=evidence[listener]["streams"],
                pool_exact=pools.get(listener),
            )
            for listener, (rules, details) in sorted(flags.items())
        ],
        ignore_conflicts=True,
    )


def _after_screening(run: PayoutRun, *, dispatch: bool) -> str:
    """Review when listeners are held, else compute. Caller holds the run's lock."""
    run.screened_at = timezone.now()
    if run.holds.exists():
        run.status, run.progress = Status.REVIEW, PROGRESS_REVIEW
        run.save()
        logger.info("payout run %s: %s listeners held for review", run.pk, run.holds.count())
        return "review"
    run.save()
    _compute_begin(run, dispatch=dispatch)
    return "computing"


def run_review(*, run_id: int, dispatch: bool = True) -> str:
    """After the listener chunks (PostgreSQL): the shared-device rule across chunks, holds
    with evidence, then review or computing."""
    with transaction.atomic():
        run = _locked(run_id)
        if run.status != Status.SCREENING:
            return f"skipped ({run.status})"
        if run.chunks.filter(stage=RunChunk.Stage.LISTENERS).exclude(status=RunChunk.Status.DONE).exists():
            return "waiting for chunks"
        policy = RunPolicy.from_data(run.policy)
        findings, devices = compute_sql.screening_findings(run_id=run.pk, policy=policy)
        flags: dict[str, tuple[list[str], list[str]]] = {}
        for flag in findings:
            rules, details = flags.setdefault(flag.listener, ([], []))
            if flag.rule not in rules:
                rules.append(flag.rule)
            details.append(flag.detail)
        if run.cutoff_event_id is None:
            raise RuntimeError(f"Run {run.pk} reviews without a data cut.")
        scope = screening.Scope(
            month=run.month, min_play_ms=policy.min_play_ms, event_cut=run.cutoff_event_id
        )
        evidence = screening.evidence(scope=scope, listeners=sorted(flags), device_counts=devices)
        reasons = {listener: (sorted(rules), details) for listener, (rules, details) in flags.items()}
        _hold(run, policy, reasons, evidence)
        return _after_screening(run, dispatch=dispatch)


def _compute_begin(run: PayoutRun, *, dispatch: bool) -> None:
    """Screening is over and every hold decided: compute. Caller holds the run's lock.

    PostgreSQL: chunks holding a rejected listener are computed again without it (the
    first pass counted everyone); then, or straight away, the ISRC buckets merge.
    SQLite: one step computes everything.
    """
    run.status, run.progress = Status.COMPUTING, PROGRESS_COMPUTING
    run.save(update_fields=["status", "progress", "updated_at"])
    if not uses_sql():
        if dispatch:
            _enqueue("payouts.settle_run", run.pk)
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
        if dispatch:
            for index in again:
                _enqueue("payouts.compute_run_chunk", run.pk, index)
        return
    _merge_begin(run, dispatch=dispatch)


def _merge_begin(run: PayoutRun, *, dispatch: bool) -> None:
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
    if dispatch:
        for index in range(buckets):
            _enqueue("payouts.settle_run_part", run.pk, index)


# ---------------------------------------------------------------------------- holds


def hold_decide(*, run_id: int, hold_id: int, decision: str, decided_by: str, dispatch: bool = True) -> Hold:
    """Release (counted normally) or reject (streams count nowhere, pool retained) a hold.

    Deciding the same way again is a no-op; changing a decision is refused here (see
    `payouts.hold_decisions.decide`). When the last hold of a run in review is decided, the
    run goes on computing by itself. Every decision is recorded in the audit trail.
    """
    from payouts import hold_decisions  # it builds on this module's locking and computing

    return hold_decisions.decide_one(
        run_id=run_id, hold_id=hold_id, decision=decision, decided_by=decided_by, dispatch=dispatch
    )


# ---------------------------------------------------------------------------- computing


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


def run_chunk_compute(*, run_id: int, index: int, dispatch: bool = True) -> str:
    """Screen and compute one listener chunk (PostgreSQL). Safe to run twice or
    concurrently: its advisory lock lets one session work, and its parts are replaced."""
    stage = RunChunk.Stage.LISTENERS
    claimed = _claim(run_id, stage, index, Status.SCREENING) or _claim(run_id, stage, index, Status.COMPUTING)
    if claimed is None:
        return "nothing to do"
    with transaction.atomic():
        if not compute_sql.try_lock(stage=stage, run_id=run_id, index=index):
            return "busy: another worker computes it"
        chunk = RunChunk.objects.select_related("run").get(pk=claimed.pk)
        run = chunk.run
        if chunk.status == RunChunk.Status.DONE or run.status not in (Status.SCREENING, Status.COMPUTING):
            return "done before"
        if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
            raise RuntimeError(f"Run {run_id} computes without a data cut.")
        policy = RunPolicy.from_data(run.policy)
        totals = compute_sql.chunk_compute(
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
            pools_exact=totals.pools,
            unallocated_exact=totals.unallocated,
            rejected_exact=totals.rejected,
            streams=totals.streams,
            listeners=totals.listeners,
        )
        # Counted under the run's lock, so exactly one chunk sees the last one finish.
        run = _locked(run_id)
        if run.status not in (Status.SCREENING, Status.COMPUTING):
            return f"computed, but the run is {run.status} now"
        chunks = run.chunks.filter(stage=stage)
        remaining = chunks.exclude(status=RunChunk.Status.DONE).count()
        if run.status == Status.SCREENING:
            run.progress = PROGRESS_SCREENING + PROGRESS_CHUNKS * (1 - remaining / chunks.count())
            run.save(update_fields=["progress", "updated_at"])
            if remaining == 0 and dispatch:
                _enqueue("payouts.review_run", run_id)
        elif remaining == 0:
            _merge_begin(run, dispatch=dispatch)
    return f"computed ({remaining} left)"


def run_merge(*, run_id: int, index: int, dispatch: bool = True) -> str:
    """Merge one ISRC bucket (PostgreSQL); the last one sends the finish."""
    stage = RunChunk.Stage.ISRCS
    claimed = _claim(run_id, stage, index, Status.COMPUTING)
    if claimed is None:
        return "nothing to do"
    with transaction.atomic():
        if not compute_sql.try_lock(stage=stage, run_id=run_id, index=index):
            return "busy: another worker merges it"
        chunk = RunChunk.objects.select_related("run").get(pk=claimed.pk)
        run = chunk.run
        if chunk.status == RunChunk.Status.DONE or run.status != Status.COMPUTING:
            return "done before"
        policy = RunPolicy.from_data(run.policy)
        compute_sql.bucket_merge(run_id=run_id, bucket=index, policy=policy, totals=_chunk_totals(run))
        RunChunk.objects.filter(pk=chunk.pk).update(status=RunChunk.Status.DONE, finished_at=timezone.now())
        run = _locked(run_id)
        merges = run.chunks.filter(stage=stage)
        remaining = merges.exclude(status=RunChunk.Status.DONE).count()
        run.progress = PROGRESS_COMPUTING + PROGRESS_MERGES * (1 - remaining / merges.count())
        run.save(update_fields=["progress", "updated_at"])
        if remaining == 0 and dispatch:
            _enqueue("payouts.settle_run", run_id)
    return f"merged ({remaining} left)"


def _chunk_totals(run: PayoutRun) -> compute_sql.SettleTotals:
    sums = run.chunks.filter(stage=RunChunk.Stage.LISTENERS).aggregate(
        pools=Sum("pools_exact"),
        unallocated=Sum("unallocated_exact"),
        rejected=Sum("rejected_exact"),
        streams=Sum("streams"),
    )
    return compute_sql.SettleTotals(
        pools=Decimal(sums["pools"] or 0),
        unallocated=Decimal(sums["unallocated"] or 0),
        rejected=Decimal(sums["rejected"] or 0),
        streams=int(sums["streams"] or 0),
    )


def run_settle(*, run_id: int) -> str:
    """Round once and write the results: from the merged buckets (PostgreSQL) or, on
    SQLite, from the whole month with the pure maths."""
    with transaction.atomic():
        run = _locked(run_id)
        if run.status != Status.COMPUTING:
            return f"skipped ({run.status})"
        policy = RunPolicy.from_data(run.policy)
        if uses_sql():
            if (
                not run.chunks.filter(stage=RunChunk.Stage.ISRCS).exists()
                or run.chunks.exclude(status=RunChunk.Status.DONE).exists()
            ):
                return "waiting for merges"
            totals = _chunk_totals(run)
            settled = compute_sql.finish(run_id=run.pk, policy=policy, totals=totals)
            run.pools_exact, run.unallocated_exact = totals.pools, totals.unallocated
            run.rejected_exact, run.retained_exact = totals.rejected, settled.retained_exact
            run.pools_minor, run.allocated_minor = settled.pools_minor, settled.allocated_minor
            run.suspense_minor, run.retained_minor = settled.suspense_minor, settled.retained_minor
            listeners = run.chunks.filter(stage=RunChunk.Stage.LISTENERS).aggregate(n=Sum("listeners"))["n"]
            run.streams, run.listeners = totals.streams, int(listeners or 0)
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
    """The run's catalog snapshot: ISRC -> artist, ISRC -> [(payee, share)] (the artist's
    100% for a track without splits)."""
    artists = dict(RunTrack.objects.filter(run_id=run_id).values_list("isrc", "artist"))
    payees: dict[str, list[tuple[str, Decimal]]] = {}
    splits = RunSplit.objects.filter(run_id=run_id).order_by("isrc", "payee")
    for isrc, payee, share in splits.values_list("isrc", "payee", "share"):
        payees.setdefault(isrc, []).append((payee, share))
    for isrc, artist in artists.items():
        payees.setdefault(isrc, [(artist, Decimal(1))])
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


UNFINISHED = (Status.QUEUED, Status.SCREENING, Status.REVIEW, Status.COMPUTING)


def run_fail(*, run_id: int, reason: str) -> None:
    """A step could not go on: mark the run failed (its month may then be started again),
    unless it got past computing meanwhile. Its scratch tables go; its holds stay as a record."""
    _mark_failed(run_id, reason, unfinished=UNFINISHED)


def run_abandon(*, run_id: int, by: str) -> PayoutRun:
    """An operator gives up on a run that is not finalized (stuck, disputed by `verify_run`,
    or computed before late data came in), so that its month can be started again.

    The run becomes `failed` with who abandoned it as the reason; nothing of it was paid
    (only finalizing writes the ledger). Abandoning a failed run changes nothing.
    """
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        raise RunNotFound(f"No payout run {run_id}.")
    if run.status == Status.FINALIZED:
        raise RunProblem(f"Payout run {run_id} is finalized: a finalized month is never computed again.")
    _mark_failed(
        run_id,
        f"abandoned by {by or 'an operator'} in {run.status}",
        unfinished=(*UNFINISHED, Status.COMPUTED),
    )
    run.refresh_from_db()
    if run.status == Status.FINALIZED:  # finalized meanwhile, by someone else
        raise RunProblem(f"Payout run {run_id} is finalized: a finalized month is never computed again.")
    return run


def _mark_failed(run_id: int, reason: str, *, unfinished: tuple[str, ...]) -> None:
    with transaction.atomic():
        run = PayoutRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in unfinished:
            return
        run.status, run.failure_reason = Status.FAILED, reason[:2000]
        run.save(update_fields=["status", "failure_reason", "updated_at"])
    # After the row lock is released: a step still running holds the scratch tables and
    # asks for that lock before it commits, so dropping them under it could deadlock.
    if uses_sql():
        compute_sql.scratch_drop(run_id=run_id)
    logger.error("payout run %s for %s failed: %s", run_id, f"{run.month:%Y-%m}", reason)


def payout_run_restart(
    *, month: date, requested_by: str = "", dispatch: bool = True
) -> tuple[PayoutRun | None, PayoutRun, bool]:
    """Start a month again from scratch: abandon its run that is not finalized, if any,
    then start a new one (fresh data cut, screening, holds to decide, computation).

    Returns (the abandoned run or None, the month's run, created). Refused for a
    finalized month.
    """
    month_over_check(month)  # before abandoning anything: a month going on is not rerun either
    current = PayoutRun.objects.exclude(status=Status.FAILED).filter(month=month).first()
    abandoned = run_abandon(run_id=current.pk, by=requested_by) if current is not None else None
    run, created = payout_run_start(month=month, requested_by=requested_by, dispatch=dispatch)
    return abandoned, run, created


def last_failed_run(month: date) -> PayoutRun | None:
    return PayoutRun.objects.filter(month=month, status=Status.FAILED).order_by("-id").first()


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
        # Checked again: a run started by an older version, or before a clock was set
        # right, must still not pay a month that is going on.
        month_over_check(run.month)
        ledger.settlement_write(run=run)
        month_close(month=run.month, run_id=run.pk)
        run.status, run.finalized_at, run.finalized_by = Status.FINALIZED, timezone.now(), finalized_by[:200]
        run.save(update_fields=["status", "finalized_at", "finalized_by", "updated_at"])
    logger.info("payout run %s finalized by %s", run_id, finalized_by or "-")
    return run


# ---------------------------------------------------------------------------- recovery


STEP_TASKS = {
    RunChunk.Stage.LISTENERS: "payouts.compute_run_chunk",
    RunChunk.Stage.ISRCS: "payouts.settle_run_part",
}


def runs_resume(*, older_than_seconds: float = 60.0) -> dict[str, int]:
    """Send again the work of runs that stopped moving (lost message, killed worker).

    A broker redelivers a dead worker's unacknowledged task only after its visibility
    timeout (an hour); this sends it within a minute. Queued or screening runs get their
    screening again; steps nobody works on (no advisory lock held) are sent again; runs
    whose steps are all done get their next step. Every step is idempotent, so a
    duplicate costs a lookup.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    sent = {"screen": 0, "steps": 0, "review": 0, "settle": 0}

    def send(task: str, *args: Any) -> None:
        with transaction.atomic():
            _enqueue(task, *args)

    for run in PayoutRun.objects.filter(status__in=[Status.QUEUED, Status.SCREENING, Status.COMPUTING]):
        steps = list(run.chunks.all())
        if run.status == Status.QUEUED or (run.status == Status.SCREENING and not steps):
            if run.updated_at <= cutoff:
                send("payouts.screen_run", run.pk)
                sent["screen"] += 1
            continue
        if not uses_sql():
            if run.status == Status.COMPUTING and run.updated_at <= cutoff:
                send("payouts.settle_run", run.pk)
                sent["settle"] += 1
            continue
        stale = [
            step
            for step in steps
            if step.status != RunChunk.Status.DONE
            and (step.started_at or step.enqueued_at or cutoff) <= cutoff
            and not compute_sql.is_locked(stage=step.stage, run_id=run.pk, index=step.index)
        ]
        for step in stale:
            RunChunk.objects.filter(pk=step.pk).update(enqueued_at=timezone.now())
            send(STEP_TASKS[RunChunk.Stage(step.stage)], run.pk, step.index)
            sent["steps"] += 1
        if stale or run.updated_at > cutoff or any(step.status != RunChunk.Status.DONE for step in steps):
            continue
        if run.status == Status.SCREENING:
            send("payouts.review_run", run.pk)
            sent["review"] += 1
        elif any(step.stage == RunChunk.Stage.ISRCS for step in steps):
            send("payouts.settle_run", run.pk)
            sent["settle"] += 1
        else:
            with transaction.atomic():
                _merge_begin(_locked(run.pk), dispatch=True)
            sent["steps"] += 1
    return sent


def run_drive(*, run_id: int, on_progress: Callable[[PayoutRun], None] | None = None) -> PayoutRun:
    """Take a run as far as it can go in this process, without a broker.

    Stops in `review` when listeners are held (decide them, then call again). Failures are
    treated as the workers treat them: a lost database connection leaves the run as it is
    (drive it again to resume), any other error fails the run with its reason.
    """
    try:
        return _drive(run_id=run_id, on_progress=on_progress)
    except (OperationalError, InterfaceError, RunProblem):
        raise
    except Exception as exc:
        logger.exception("payout run %s step failed", run_id)
        run_fail(run_id=run_id, reason=failure_reason(exc))
        return PayoutRun.objects.get(pk=run_id)


def failure_reason(exc: BaseException) -> str:
    """What an operator reads on a failed run."""
    return f"{type(exc).__name__}: {exc}"


def _drive(*, run_id: int, on_progress: Callable[[PayoutRun], None] | None) -> PayoutRun:
    def report() -> PayoutRun:
        run = PayoutRun.objects.get(pk=run_id)
        if on_progress is not None:
            on_progress(run)
        return run

    def steps(stage: str) -> list[int]:
        pending = RunChunk.objects.filter(run_id=run_id, stage=stage).exclude(status=RunChunk.Status.DONE)
        return list(pending.values_list("index", flat=True))

    run = report()
    if run.status in (Status.QUEUED, Status.SCREENING):
        run_screen(run_id=run_id, dispatch=False)
        for index in steps(RunChunk.Stage.LISTENERS):
            run_chunk_compute(run_id=run_id, index=index, dispatch=False)
            report()
        if uses_sql():
            run_review(run_id=run_id, dispatch=False)
        run = report()
    if run.status == Status.COMPUTING:
        for index in steps(RunChunk.Stage.LISTENERS):
            run_chunk_compute(run_id=run_id, index=index, dispatch=False)
            report()
        for index in steps(RunChunk.Stage.ISRCS):
            run_merge(run_id=run_id, index=index, dispatch=False)
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
