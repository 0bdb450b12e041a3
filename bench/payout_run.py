"""Payout run benchmark: a month-end run against a hand-written single-query floor.

    python -m bench.payout_run [--quick] [--streams N] [--listeners N] [--artists N]
                               [--workers 1,2] [--output FILE | --no-output]

The report goes to docs/benchmarks.md (with --quick to bench/results/quick.md) unless
--output names another file; the headline figures also go to bench/results/payout.json.

On a fresh PostgreSQL database (BENCH_PAYOUT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kalipxo_bench_run, dropped and recreated):

1. A month is generated and loaded with COPY: N qualifying streams (plus 5% too short to
   qualify) from L listeners over A artists, listeners with personal libraries (replays),
   Zipf-popular tracks, 0.5% of plays of ISRCs not in the catalog, paying listeners who play
   nothing, free listeners with small ad revenue, VAT and fees. No splits (each track pays
   its artist, so per-artist totals are per-payee totals on the recording side), and a
   work on every track (its artist and one or two songwriters), so the run computes both
   sides (docs/rules.md §2 Publishing). No listener crosses a fraud threshold, so the run
   never waits for a human.
2. The floor: one hand-written SQL statement computing both sides: every payee's exact
   user-centric recording and publishing amounts in integer minor units with the
   largest-remainder method per side (plus suspense, mechanical suspense and retained),
   timed twice, the faster counts.
3. For each worker count: real `celery worker` processes (one process each, `-c 1`) on
   Redis (BENCH_REDIS_URL, default db 6), the run started through the service layer,
   timed to `computed` and to `finalized` from the run's own timestamps; the peak resident
   memory of every worker process (VmHWM) is read from /proc. Every payee amount must equal
   the floor's, to the cent, or the benchmark fails.

Exit status: 0 when the run behaved (whether or not the goal is met), 1 otherwise.
"""

import argparse
import dataclasses
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

import psycopg

from bench.bulk import (
    copy_artists,
    copy_events,
    copy_listeners,
    copy_revenue,
    copy_tracks,
    copy_works,
    events_unindexed,
    timestamp,
)
from bench.common import (
    ROOT,
    BenchError,
    Headline,
    Result,
    default_output,
    machine_summary,
    postgres_version,
    recreate_database,
    source_revision,
    update_doc_section,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kalipxo_bench_run"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
MONTH = date(2026, 1, 1)
MONTH_SECONDS = 31 * 86400
FULL = (10_000_000, 100_000, 50_000)
QUICK = (500_000, 10_000, 5_000)
GOAL_RATIO = 2.0
DEFAULT_WORKERS = "1,2"
QUICK_WORKERS = "2"  # the quick size times one run, not the comparison of worker counts
GOAL_RSS_MIB = 1024
SHORT_RATE = 0.05
UNMATCHED_RATE = 0.005
UNMATCHED_ISRCS = 500
IDLE_RATE = 0.02  # paying listeners with no qualifying play: their pool is unallocated
NO_REVENUE_RATE = 0.03  # premium listeners whose billing has not reported
PREMIUM_RATE = 0.75
SECOND_DEVICE_RATE = 0.2
NO_DEVICE_RATE = 0.08
MAX_STREAMS = 3000  # per listener and month: under the 1,000-a-day screening limit
COUNTRIES = {"US": ("30", "0"), "GB": ("12", "0.20"), "DE": ("12", "0.19"), "FR": ("8", "0.20"),
             "BR": ("8", "0"), "MX": ("6", "0.16"), "CA": ("6", "0.05"), "IN": ("6", "0.18"),
             "JP": ("6", "0.10"), "SE": ("6", "0.25")}  # fmt: skip
PREMIUM_PRICE = Decimal("14.99")
CARD_FEE = Decimal("0.30")
RIGHTS_SHARE = Decimal("0.85")
PUBLISHING_RATE = Decimal("0.153")
WRITERS_PER_ARTIST = 0.5  # writers who are not artists, shared among many works


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Sizes:
    streams: int
    listeners: int
    artists: int


@dataclass
class Generated:
    events: int = 0
    qualifying: int = 0
    listeners_paying: int = 0
    tracks: int = 0
    seconds: float = 0.0


def _stream_counts(sizes: Sizes, rng: random.Random) -> list[int]:
    """Qualifying plays per listener: log-normal around the mean, some idle, summing to N."""
    mean = sizes.streams / (sizes.listeners * (1 - IDLE_RATE))
    raw = [0 if rng.random() < IDLE_RATE else rng.lognormvariate(0, 1.0) for _ in range(sizes.listeners)]
    scale = mean / (sum(raw) / max(1, sum(1 for r in raw if r))) if any(raw) else 0
    counts = [min(MAX_STREAMS, max(1, round(r * scale))) if r else 0 for r in raw]
    gap = sizes.streams - sum(counts)
    order = [i for i, c in enumerate(counts) if c]
    index = 0
    while gap and order:  # spread the rounding difference one play at a time
        i = order[index % len(order)]
        step = 1 if gap > 0 else -1
        if 1 <= counts[i] + step <= MAX_STREAMS:
            counts[i] += step
            gap -= step
        index += 1
    return counts


def generate(url: str, sizes: Sizes, *, seed: int = 1) -> Generated:
    """Load the catalog, listeners, revenue and the month's events with COPY."""
    started = time.monotonic()
    rng = random.Random(seed)
    out = Generated()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        artists = [f"A{n:06d}" for n in range(1, sizes.artists + 1)]
        copy_artists(conn, artists)
        tracks: list[tuple[str, str]] = []
        for artist in artists:
            for _ in range(rng.choices((1, 2, 3, 4, 5, 6), weights=(25, 20, 20, 15, 10, 10))[0]):
                tracks.append((f"QZBNC{len(tracks) + 1:07d}", artist))
        copy_tracks(conn, tracks)
        # A work on every track: its artist writes half, a songwriter the other half (a
        # quarter of them a three-way split with a second songwriter).
        writers = [f"W{n:06d}" for n in range(1, max(2, int(sizes.artists * WRITERS_PER_ARTIST)) + 1)]

        def shares(artist: str) -> list[tuple[str, str]]:
            one, two = rng.sample(writers, 2)
            if rng.random() < 0.25:
                return [(artist, "0.4"), (one, "0.35"), (two, "0.25")]
            return [(artist, "0.5"), (one, "0.5")]

        copy_works(conn, writers, ((f"K{isrc}", isrc, shares(artist)) for isrc, artist in tracks))
        isrcs = [isrc for isrc, _ in tracks]
        out.tracks = len(isrcs)
        popularity = isrcs[:]
        rng.shuffle(popularity)
        cumulative = list(accumulate(1 / (rank**0.8) for rank in range(1, len(popularity) + 1)))
        unmatched = [f"QZXXX{n:07d}" for n in range(UNMATCHED_ISRCS)]

        listeners = [f"L{n:07d}" for n in range(1, sizes.listeners + 1)]
        copy_listeners(conn, listeners)
        countries = list(COUNTRIES)
        weights = [int(COUNTRIES[c][0]) for c in countries]
        profile = {
            listener: (rng.choices(countries, weights=weights)[0], rng.random() < PREMIUM_RATE)
            for listener in listeners
        }
        counts = _stream_counts(sizes, rng)

        def revenue() -> Iterator[str]:
            for n, listener in enumerate(listeners):
                country, premium = profile[listener]
                if premium and rng.random() < NO_REVENUE_RATE:
                    continue
                vat = Decimal(COUNTRIES[country][1])
                if premium:
                    gross, fees, source, plan = PREMIUM_PRICE, CARD_FEE, "subscription", "premium"
                else:
                    gross, fees, source, plan = Decimal(rng.randint(5, 150)) / 100, Decimal(0), "ads", "free"
                tax = (gross * vat / (1 + vat)).quantize(Decimal("0.0001"))
                out.listeners_paying += 1
                yield f"r{n}\t{listener}\t{MONTH}\t{source}\t{plan}\t{country}\t{gross}\t{tax}\t{fees}\n"

        copy_revenue(conn, revenue())

        def events() -> Iterator[str]:
            n = 0
            for listener, plays in zip(listeners, counts, strict=True):
                country, premium = profile[listener]
                tier = "premium" if premium else "free"
                roll = rng.random()
                devices = (
                    ["\\N"]
                    if roll < NO_DEVICE_RATE
                    else [f"d{listener}", f"e{listener}"]
                    if roll < NO_DEVICE_RATE + SECOND_DEVICE_RATE
                    else [f"d{listener}"]
                )
                short = sum(1 for _ in range(plays) if rng.random() < SHORT_RATE)
                if not plays and not short:
                    continue
                library = rng.choices(popularity, cum_weights=cumulative, k=max(1, plays // 3 + 1))
                picks = rng.choices(library, k=plays + short)
                for i, isrc in enumerate(picks):
                    if rng.random() < UNMATCHED_RATE:
                        isrc = unmatched[int(rng.random() * UNMATCHED_ISRCS)]
                    duration = 180000 if i < plays else 5000 + int(rng.random() * 24000)
                    device = devices[int(rng.random() * len(devices))]
                    when = timestamp(MONTH, int(rng.random() * MONTH_SECONDS))
                    yield f"e{n}\t{listener}\t{isrc}\t{when}\t{duration}\t{country}\t{tier}\t{device}\n"
                    n += 1
            out.events = n

        with events_unindexed(conn):
            copy_events(conn, events())
        out.qualifying = sum(counts)
    out.seconds = time.monotonic() - started
    return out


def remember(url: str, sizes: Sizes, generated: Generated) -> None:
    """Note in the database what was loaded, so `--reuse` can skip loading it again."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_meta (sizes text, generated text)")
        conn.execute(
            "INSERT INTO bench_meta VALUES (%s, %s)",
            [json.dumps(dataclasses.asdict(sizes)), json.dumps(dataclasses.asdict(generated))],
        )


def loaded(url: str, sizes: Sizes) -> Generated | None:
    """What an earlier run of the same size loaded, if the database still holds it."""
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT sizes, generated FROM bench_meta").fetchone()
    except psycopg.Error:
        return None
    try:
        if row is None or json.loads(row[0]) != dataclasses.asdict(sizes):
            return None
        return Generated(**json.loads(row[1]))
    except (ValueError, TypeError):  # written by an older version: load again
        return None


# --------------------------------------------------------------------------- the floor

FLOOR_SQL = """
WITH plays AS MATERIALIZED (
    SELECT listener_id, isrc, count(*) AS c FROM streams_streamevent
    WHERE started_at >= %(start)s AND started_at < %(end)s AND duration_ms >= %(min_ms)s
    GROUP BY listener_id, isrc
), per_listener AS MATERIALIZED (
    SELECT listener_id, sum(c) AS t FROM plays GROUP BY listener_id
), pools AS MATERIALIZED (
    SELECT listener_id, sum(gross - tax - fees) AS net
    FROM streams_revenuerecord WHERE month = %(month)s GROUP BY listener_id
), totals AS (
    SELECT (SELECT coalesce(sum(net), 0) FROM pools) AS net,
           (SELECT coalesce(sum(net), 0) FROM pools p
             WHERE NOT EXISTS (SELECT 1 FROM per_listener t WHERE t.listener_id = p.listener_id))
               AS unallocated,
           (SELECT coalesce(sum(t), 0) FROM per_listener) AS streams
), per_isrc AS MATERIALIZED (
    -- net revenue per ISRC, the listeners' own and the unallocated spread: each side is a share of it
    SELECT p.isrc, coalesce(sum((pl.net * p.c)::numeric(1000, 40) / t.t), 0) + CASE WHEN m.streams > 0
             THEN (m.unallocated * sum(p.c))::numeric(1000, 40) / m.streams ELSE 0 END AS net
    FROM plays p JOIN per_listener t ON t.listener_id = p.listener_id
    LEFT JOIN pools pl ON pl.listener_id = p.listener_id CROSS JOIN totals m
    GROUP BY p.isrc, m.streams, m.unallocated
), linked AS (
    SELECT track_id AS isrc, sum(share) AS share FROM artists_recordinglink GROUP BY track_id
), lines AS (
    SELECT 'recording' AS side, CASE WHEN tr.artist_id IS NULL THEN 'suspense' ELSE 'payee' END AS kind,
           coalesce(tr.artist_id, i.isrc) AS key, round(sum(i.net * %(recording)s), 30) AS exact
    FROM per_isrc i LEFT JOIN artists_track tr ON tr.isrc = i.isrc
    GROUP BY 2, 3
    UNION ALL
    SELECT 'publishing', 'payee', s.payee_id, round(sum(i.net * %(publishing)s * l.share * s.share), 30)
    FROM per_isrc i JOIN artists_recordinglink l ON l.track_id = i.isrc
    JOIN artists_workshare s ON s.work_id = l.work_id GROUP BY 3
    UNION ALL
    SELECT 'publishing', 'suspense', i.isrc, round(i.net * %(publishing)s * (1 - coalesce(k.share, 0)), 30)
    FROM per_isrc i LEFT JOIN linked k ON k.isrc = i.isrc WHERE coalesce(k.share, 0) < 1
    UNION ALL
    SELECT side, 'retained', '', CASE WHEN m.streams > 0 THEN 0 ELSE m.unallocated * f END FROM totals m,
           (VALUES ('recording', %(recording)s::numeric), ('publishing', %(publishing)s)) AS s(side, f)
), floors AS (
    SELECT side, kind, key, floor(exact * 100) AS fl, exact * 100 - floor(exact * 100) AS rem FROM lines
), ranked AS (
    SELECT side, kind, key, fl,
           row_number() OVER (PARTITION BY side ORDER BY rem DESC, kind COLLATE "C", key COLLATE "C") AS rk,
           sum(fl) OVER (PARTITION BY side) AS floors FROM floors
), total AS (
    -- each side's pools rounded half-even to the cent: what the run distributes on that side
    SELECT side, CASE WHEN x - floor(x) > 0.5 OR (x - floor(x) = 0.5 AND mod(floor(x), 2) = 1)
                THEN floor(x) + 1 ELSE floor(x) END AS cents
    FROM (SELECT s.side, m.net * s.f * 100 AS x FROM totals m,
          (VALUES ('recording', %(recording)s::numeric), ('publishing', %(publishing)s)) AS s(side, f)) s
)
SELECT r.side, r.kind, r.key, (r.fl + CASE WHEN r.rk <= t.cents - r.floors THEN 1 ELSE 0 END)::bigint
FROM ranked r JOIN total t ON t.side = r.side
"""


FloorKey = tuple[str, str, str]  # (side, kind, key): ("recording", "payee", "A000001"), ...


def floor_query(url: str) -> tuple[float, dict[FloorKey, int]]:
    """Seconds and (side, kind, key) -> minor units of the single-statement floor."""
    start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
    end = datetime(MONTH.year + MONTH.month // 12, MONTH.month % 12 + 1, 1, tzinfo=UTC)
    params = {
        "start": start, "end": end, "min_ms": 30000, "month": MONTH,
        "recording": RIGHTS_SHARE - PUBLISHING_RATE, "publishing": PUBLISHING_RATE,
    }  # fmt: skip
    with psycopg.connect(url) as conn:
        conn.execute("SET work_mem = '256MB'")
        began = time.monotonic()
        rows = conn.execute(FLOOR_SQL, params).fetchall()
        seconds = time.monotonic() - began
    return seconds, {(side, kind, key): int(minor) for side, kind, key, minor in rows}


# --------------------------------------------------------------------------- workers


@dataclass
class Workers:
    """Real `celery worker` processes, each in its own process group."""

    count: int
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def __enter__(self) -> "Workers":
        for index in range(self.count):
            log = Path(tempfile.mkstemp(prefix=f"kalipxo-bench-worker{index}-", suffix=".log")[1])
            command = [
                sys.executable, "-m", "celery", "-A", "kalipxo", "worker", "-Q", "payouts", "-c", "1",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"bench{index}-{os.getpid()}@%h",
            ]  # fmt: skip
            with log.open("ab") as out:
                self.processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=self.env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            self.logs.append(log)
        deadline = time.monotonic() + 60
        for process, log in zip(self.processes, self.logs, strict=True):
            while b"ready." not in log.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text()[-3000:]
                    self.__exit__()  # never leave a worker behind
                    raise BenchError(f"worker did not start:\n{tail}")
                time.sleep(0.1)
        return self

    def peak_rss_mib(self) -> float:
        """The largest VmHWM (peak resident set) of any process of any worker, in MiB."""
        groups = {process.pid for process in self.processes}
        peak = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                pgid = int(stat[stat.rindex(")") + 2 :].split()[2])
                if pgid not in groups:
                    continue
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                continue
        return peak / 1024

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for log in self.logs:
            log.unlink(missing_ok=True)


@dataclass
class RunTiming:
    workers: int
    computed_s: float
    finalized_s: float
    finalize_s: float
    chunks: int
    peak_rss_mib: float
    payees: int
    verify_s: float


def _django(env: dict[str, str]) -> None:
    """Set this process up as a Django client of the benchmark database."""
    os.environ.update(env)
    import django

    django.setup()


def timed_run(env: dict[str, str], workers: int, floor: dict[FloorKey, int]) -> RunTiming:
    from django.db import connection

    from payouts.models import PayeeResult, PayoutRun, SuspenseResult
    from payouts.run import finalize, start

    with connection.cursor() as cursor:  # a clean slate for each worker count
        cursor.execute(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename LIKE 'payouts\\_%%'"
        )
        (tables,) = cursor.fetchone()
        cursor.execute(f"TRUNCATE {tables}, streams_closedmonth")
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).delete("payouts")  # only our queue
    with Workers(workers, env) as pool:
        run, _ = start.payout_run_start(month=MONTH, requested_by="bench")
        deadline = time.monotonic() + 3600
        while True:
            run.refresh_from_db()
            if run.status in (PayoutRun.Status.COMPUTED, PayoutRun.Status.FAILED, PayoutRun.Status.REVIEW):
                break
            if time.monotonic() > deadline:
                raise BenchError("the run did not compute within an hour")
            time.sleep(0.05)
        if run.status != PayoutRun.Status.COMPUTED:
            raise BenchError(f"run ended {run.status}: {run.failure_reason}")
        began = time.monotonic()
        run = finalize.payout_run_finalize(run_id=run.pk, finalized_by="bench")
        finalize_s = time.monotonic() - began
        peak = pool.peak_rss_mib()
    got: dict[FloorKey, int] = {}
    for payee, recording, publishing in PayeeResult.objects.filter(run=run).values_list(
        "payee", "recording_minor", "publishing_minor"
    ):
        got[("recording", "payee", payee)] = recording
        got[("publishing", "payee", payee)] = publishing
    suspense = SuspenseResult.objects.filter(run=run).values_list("side", "isrc", "amount_minor")
    for side, isrc, minor in suspense:
        got[(side, "suspense", isrc)] = minor
    got[("publishing", "retained", "")] = run.publishing_retained_minor or 0
    got[("recording", "retained", "")] = (run.retained_minor or 0) - (run.publishing_retained_minor or 0)
    differ = {key for key in set(got) | set(floor) if got.get(key, 0) != floor.get(key, 0)}
    if differ:
        sample = sorted(differ)[:5]
        raise BenchError(
            f"{len(differ)} amounts differ from the floor, e.g. "
            + ", ".join(f"{k}: run {got.get(k)} floor {floor.get(k)}" for k in sample)
        )
    if run.computed_at is None or run.finalized_at is None:
        raise BenchError("the run has no computed or finalized time")
    from payouts.verify import run_verify

    began = time.monotonic()
    verified = run_verify(run_id=run.pk, method="sql")  # recomputed independently, ledger checked
    verify_s = time.monotonic() - began
    if not verified.ok:
        raise BenchError(f"verify_run found differences: {verified.problems[:5]}")
    return RunTiming(
        workers=workers,
        computed_s=(run.computed_at - run.created_at).total_seconds(),
        finalized_s=(run.computed_at - run.created_at).total_seconds() + finalize_s,
        finalize_s=finalize_s,
        chunks=run.chunks.filter(stage="listeners").count(),
        peak_rss_mib=peak,
        payees=PayeeResult.objects.filter(run=run).count(),
        verify_s=verify_s,
    )


# --------------------------------------------------------------------------- report


def report(
    *,
    sizes: Sizes,
    generated: Generated,
    floor_s: float,
    floors: list[float],
    runs: list[RunTiming],
    url: str,
    command: str,
    load: float,
) -> str:
    best = min(runs, key=lambda r: r.computed_s)
    ratio = best.computed_s / floor_s if floor_s else float("inf")
    two = {r.workers: r.computed_s for r in runs}
    peak = max(r.peak_rss_mib for r in runs)
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {source_revision()} on "
        f"{machine_summary()}; "
        f"PostgreSQL {postgres_version(url)} on the same machine (default configuration); load average "
        f"{load:.2f} when the run started (anything else running on the cores slows every figure). Command:",
        "",
        "```sh",
        command,
        "```",
        "",
        f"The month: {generated.qualifying:,} qualifying streams ({generated.events:,} events with "
        "the short plays) "
        f"from {sizes.listeners:,} listeners ({generated.listeners_paying:,} paying) over {sizes.artists:,} "
        f"artists and {generated.tracks:,} tracks; generated and loaded in {generated.seconds:.0f} s.",
        "",
        "| Measure | Seconds | Against the floor |",
        "|---|---:|---:|",
        f"| Floor: one hand-written SQL statement, exact per-artist totals with largest remainder "
        f"(best of {', '.join(f'{f:.1f}' for f in floors)} s) | {floor_s:.1f} | 1.00x |",
    ]
    for r in runs:
        lines.append(
            f"| Run to `computed`, {r.workers} worker{'s' if r.workers > 1 else ''} "
            f"({r.chunks} listener chunks, {r.chunks} ISRC buckets) | "
            f"{r.computed_s:.1f} | {r.computed_s / floor_s:.2f}x |"
        )
        lines.append(
            f"| Run to `finalized`, {r.workers} worker{'s' if r.workers > 1 else ''} (finalize itself "
            f"{r.finalize_s:.1f} s) | {r.finalized_s:.1f} | {r.finalized_s / floor_s:.2f}x |"
        )
    lines.append(
        f"| `verify_run` after the run: one independent statement, conservation and ledger checks "
        f"(OK every time) | {best.verify_s:.1f} | {best.verify_s / floor_s:.2f}x |"
    )
    lines += [
        "",
        f"Goal (set for the full month of {FULL[0]:,} streams):",
        "",
        f"- run computed within {GOAL_RATIO:.0f}x the floor: {ratio:.2f}x "
        f"({'met' if ratio <= GOAL_RATIO else 'missed'})",
    ]
    if 1 in two and 2 in two:
        faster = two[2] < two[1]
        lines.append(
            f"- two workers faster than one: {two[2]:.1f} s against {two[1]:.1f} s "
            f"({'met' if faster else 'missed'})"
        )
    lines += [
        f"- worker memory under {GOAL_RSS_MIB} MiB: peak {peak:.0f} MiB "
        f"({'met' if peak < GOAL_RSS_MIB else 'missed'})",
        "",
        f"Every one of the {best.payees:,} payee amounts, every suspense amount and the retained "
        "amount equal "
        "the floor's to the cent, in every run. How: the floor is timed twice after the load (VACUUM "
        "ANALYZE, CHECKPOINT) and the faster counts; each run starts from empty run tables with the month "
        "in the page cache, the workers are `celery worker -c 1` processes started before the run; times "
        "to `computed` are the run's own `created_at` to `computed_at`, and finalizing (ledger, month "
        "closed) is timed around the service call. Peak memory is the largest VmHWM of any worker "
        "process. The floor and the workers' PostgreSQL sessions share the machine's cores.",
    ]
    return "\n".join(lines)


def headlines(runs: list[RunTiming], floor_s: float, generated: Generated) -> list[Headline]:
    best = min(runs, key=lambda r: r.computed_s)
    ratio = best.computed_s / floor_s if floor_s else float("inf")
    workers = f"{best.workers} worker{'s' if best.workers > 1 else ''}"
    verdict = "met" if ratio <= GOAL_RATIO else "missed"
    if generated.qualifying < FULL[0]:  # a run's fixed costs weigh more on a small month
        verdict = f"set for {FULL[0]:,} streams, not judged on {generated.qualifying:,}"
    return [
        Headline(
            measure=f"Month-end run to `computed`, {workers} (s)",
            value=f"{best.computed_s:.1f}",
            baseline=f"SQL floor {floor_s:.1f} s",
            versus=f"{ratio:.2f}x",
            goal=f"within {GOAL_RATIO:.0f}x: {verdict}",
        )
    ]


def canonical_command(args: argparse.Namespace) -> str:
    """The command that measures the same thing: the size options only, never where it wrote."""
    shown = ["python", "-m", "bench.payout_run"]
    if args.quick:
        shown.append("--quick")
    for option in ("streams", "listeners", "artists", "chunks"):
        if getattr(args, option):
            shown += [f"--{option}", str(getattr(args, option))]
    if args.workers:
        shown += ["--workers", args.workers]
    return " ".join(shown)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK[0]:,} streams instead of {FULL[0]:,}.")
    parser.add_argument("--streams", type=int)
    parser.add_argument("--listeners", type=int)
    parser.add_argument("--artists", type=int)
    parser.add_argument(
        "--workers",
        help=f"Comma-separated worker counts (default {DEFAULT_WORKERS}; --quick {QUICK_WORKERS}).",
    )
    parser.add_argument(
        "--chunks", type=int, help="Listener chunks and ISRC buckets per run (PAYOUT_RUN_CHUNKS)."
    )
    parser.add_argument(
        "--output", type=Path, help="default docs/benchmarks.md; with --quick bench/results/quick.md"
    )
    parser.add_argument("--no-output", action="store_true", help="print only; write no report")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the month a previous run of the same size loaded (development).",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    base = QUICK if args.quick else FULL
    sizes = Sizes(args.streams or base[0], args.listeners or base[1], args.artists or base[2])
    url = os.environ.get("BENCH_PAYOUT_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "kalipxo.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # The floor computes with these; stated, so that a changed default cannot skew it.
        "RIGHTS_SHARE": str(RIGHTS_SHARE),
        "PUBLISHING_RATES": f"{MONTH.year}={PUBLISHING_RATE}",
        "PUBLISHING_ALLOCATION": "user_centric",
        "UNALLOCATED_POLICY": "pro_rata",
    }
    command = canonical_command(args)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"Note: load average {load:.2f} before starting; other work will skew the figures.", flush=True)
    try:
        generated = loaded(url, sizes) if args.reuse else None
        if generated is None:
            print(f"Database {url}: recreating, migrating, loading {sizes.streams:,} streams...", flush=True)
            recreate_database(url)
            done = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=False
            )
            if done.returncode:
                raise BenchError("migrate failed")
            generated = generate(url, sizes)
            remember(url, sizes, generated)
            print(f"  loaded {generated.events:,} events in {generated.seconds:.0f} s", flush=True)
        else:
            print(f"Database {url}: reusing the month already loaded", flush=True)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
            )
        first, floor = floor_query(url)
        again, _ = floor_query(url)
        floors = [first, again]
        floor_s = min(floors)
        print(f"  floor: {floor_s:.1f} s", flush=True)
        _django(env)
        if args.chunks:
            from django.conf import settings

            settings.PAYOUT_RUN_CHUNKS = args.chunks  # snapshotted on the run when it starts
        runs = []
        workers = args.workers or (QUICK_WORKERS if args.quick else DEFAULT_WORKERS)
        for count in [int(w) for w in workers.split(",") if w.strip()]:
            timing = timed_run(env, count, floor)
            print(
                f"  {count} worker(s): computed {timing.computed_s:.1f} s, finalized "
                f"{timing.finalized_s:.1f} s, "
                f"peak RSS {timing.peak_rss_mib:.0f} MiB",
                flush=True,
            )
            runs.append(timing)
    except BenchError as exc:
        print(f"bench.payout_run: {exc}", file=sys.stderr)
        return 1
    body = report(
        sizes=sizes,
        generated=generated,
        floor_s=floor_s,
        floors=floors,
        runs=runs,
        url=url,
        command=command,
        load=load,
    )
    print(body)
    Result(name="payout", command=command, headlines=headlines(runs, floor_s, generated)).save()
    if not args.no_output:
        output = args.output or default_output(args.quick)
        update_doc_section(output, name="payout", title="Payout run", body=body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
