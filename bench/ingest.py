"""Ingestion benchmark: HTTP batches and single events against the raw PostgreSQL COPY ceiling.

    python -m bench.ingest [--events N] [--singles N] [--quick] [--gunicorn 2x1,3x1,...]
                           [--senders N] [--output FILE | --no-output]

The report goes to docs/benchmarks.md, or with --quick to bench/results/quick.md, unless
--output names another file; the headline figures also go to bench/results/ingest.json.
For each gunicorn configuration (WORKERSxTHREADS; the fastest is reported), on a fresh
PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kalipxo_bench, dropped and recreated each time):

1. COPY ceiling: the rows the HTTP run will send are COPYed into `bench_copy`, a table made
   `LIKE streams_streamevent INCLUDING ALL` (same columns, primary key, unique event id and
   (listener, started_at) index; no foreign key and no trigger, which LIKE does not copy).
2. The service runs under gunicorn on loopback; request bodies are generated before the clock
   starts and sent over HTTP/1.1 by a few sender threads (http.client spends its time in
   sendall/recv, which release the GIL, so threads are cheap here). Connections are kept
   alive where the server allows it: gunicorn's sync workers close after each response.
3. Batches of 1,000 events, then one event per request. Every answer must be 202 and the
   `accepted` counts, and the rows in the table, must add up to what was sent.

Exit status: 0 when the service behaved (whether or not the goal is met), 1 when it answered
anything but 202, lost events, or could not be started.
"""

import argparse
import http.client
import os
import random
import shlex
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg

from bench.common import (
    CORES,
    BenchError,
    CpuSample,
    CpuSnapshot,
    GunicornConfig,
    Headline,
    Result,
    Service,
    bench_database_url,
    create_token,
    default_output,
    machine_summary,
    manage,
    markdown_table,
    percentile,
    postgres_version,
    recreate_database,
    running_service,
    service_env,
    source_revision,
    text_table,
    update_doc_section,
)

PATH = "/api/v1/streams"
BATCH_SIZE = 1000
LISTENERS = 20_000
TRACKS = 4_000
DEVICES = 30_000
MAX_AGE_S = 3 * 24 * 3600
GOAL_RATIO = 0.40
GOAL_EVENTS_PER_S = 40_000
DEFAULT_CONFIGS = "2x1,3x1,4x1"
QUICK_CONFIGS = "3x1"  # the fastest of the full run's configurations on two cores
DISTURBED = 0.10  # share of the machine's CPU taken by other work that makes a phase suspect
WARMUP_EVENTS = 80  # 8 requests of 10, so every worker has served a request before the clock starts

FIELDS = ("event_id", "listener", "isrc", "started_at", "duration_ms", "country", "tier", "device")
COPY_SQL = (
    "COPY bench_copy (event_id, listener_id, isrc, started_at, duration_ms, country, tier, device, batch_id)"
    " FROM STDIN"
)

Row = tuple[str, str, str, str, int, str, str, str]


# --- Load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    """Request bodies ready to send, and the same events as rows for COPY."""

    bodies: list[bytes]
    events_per_body: int
    rows: list[tuple[object, ...]]

    @property
    def events(self) -> int:
        return len(self.bodies) * self.events_per_body


def _isrcs(count: int) -> list[str]:
    # QZ (country) BEN (registrant) 26 (year) 00001 (designation): a valid ISO 3901 shape.
    return [f"QZBEN26{n:05d}" for n in range(1, count + 1)]


def _events(count: int, rng: random.Random, now: float) -> list[Row]:
    isrcs = _isrcs(TRACKS)
    events: list[Row] = []
    for _ in range(count):
        started = time.gmtime(now - rng.randint(60, MAX_AGE_S))
        events.append(
            (
                str(uuid.uuid4()),
                f"L{rng.randrange(LISTENERS)}",
                rng.choice(isrcs),
                time.strftime("%Y-%m-%dT%H:%M:%SZ", started),
                rng.randint(5_000, 400_000),
                "US",
                "premium",
                f"d-{rng.randrange(DEVICES)}",
            )
        )
    return events


def make_payload(*, events: int, per_body: int, rng: random.Random) -> Payload:
    """`events` new events (fresh uuid4 ids) as JSON bodies of `per_body` events each."""
    if events % per_body:
        raise ValueError(f"{events} events do not split into bodies of {per_body}.")
    generated = _events(events, rng, time.time())
    bodies: list[bytes] = []
    rows: list[tuple[object, ...]] = []
    for start in range(0, events, per_body):
        chunk = generated[start : start + per_body]
        items = [dict(zip(FIELDS, event, strict=True)) for event in chunk]
        bodies.append(orjson.dumps(items[0] if per_body == 1 else items))
        batch_id = str(uuid.uuid4())
        rows.extend((*event, batch_id) for event in chunk)
    return Payload(bodies=bodies, events_per_body=per_body, rows=rows)


# --- Sending -----------------------------------------------------------------------------


@dataclass
class SenderTally:
    requests: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, other: "SenderTally") -> None:
        self.requests += other.requests
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.latencies += other.latencies
        self.failures += other.failures


@dataclass(frozen=True)
class PhaseResult:
    name: str
    events: int
    seconds: float
    tally: SenderTally
    cpu: CpuSample

    @property
    def disturbance(self) -> float:
        """Share of the machine's CPU capacity that other work took during this phase."""
        return self.cpu.other / (self.seconds * CORES) if self.seconds else 0.0

    def cpu_ms_per_1000(self, seconds: float) -> float:
        return 1000 * seconds / self.events * 1000 if self.events else 0.0

    @property
    def cpu_split(self) -> str:
        """CPU milliseconds per 1,000 events: service / PostgreSQL / load generator / anything else."""
        parts = (self.cpu.service, self.cpu.postgres, self.cpu.generator, self.cpu.other)
        return " / ".join(f"{self.cpu_ms_per_1000(part):.0f}" for part in parts)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def latency_ms(self, quantile: float) -> float:
        return 1000 * percentile(self.tally.latencies, quantile) if self.tally.latencies else 0.0

    def problems(self) -> list[str]:
        found = list(self.tally.failures[:5])
        if len(self.tally.failures) > 5:
            found.append(f"... and {len(self.tally.failures) - 5} more failed requests")
        if self.tally.accepted != self.events:
            found.append(
                f"{self.name}: sent {self.events} new events, accepted {self.tally.accepted} "
                f"(duplicates {self.tally.duplicates}, rejected {self.tally.rejected})"
            )
        return found


def _send_share(
    port: int, headers: dict[str, str], bodies: Sequence[bytes], start: threading.Barrier, tally: SenderTally
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start.wait()
    try:
        for body in bodies:
            began = time.perf_counter()
            try:
                conn.request("POST", PATH, body, headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.failures.append(f"request failed: {exc!r}")
                conn.close()
                continue
            tally.latencies.append(time.perf_counter() - began)
            tally.requests += 1
            if response.status != 202:
                tally.failures.append(f"HTTP {response.status}: {answer[:300]!r}")
                continue
            result = orjson.loads(answer)
            tally.accepted += result["accepted"]
            tally.duplicates += result["duplicates"]
            tally.rejected += len(result["rejected"])
    finally:
        conn.close()


def send(*, name: str, service: Service, token: str, payload: Payload, senders: int) -> PhaseResult:
    """POST every body, over `senders` connections at a time; time from first to last."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    shares = [payload.bodies[i::senders] for i in range(senders)]
    tallies = [SenderTally() for _ in shares]
    start = threading.Barrier(senders + 1)
    threads = [
        threading.Thread(target=_send_share, args=(service.port, headers, share, start, tally), daemon=True)
        for share, tally in zip(shares, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    database = service.database
    began, cpu_began = time.perf_counter(), CpuSnapshot.take(database=database, service_pid=service.pid)
    for thread in threads:
        thread.join()
    cpu_ended = CpuSnapshot.take(database=database, service_pid=service.pid)
    seconds, cpu = time.perf_counter() - began, cpu_ended - cpu_began
    total = SenderTally()
    for tally in tallies:
        total.add(tally)
    return PhaseResult(name=name, events=payload.events, seconds=seconds, tally=total, cpu=cpu)


# --- COPY ceiling ----------------------------------------------------------------------------


def copy_ceiling(database_url: str, rows: Sequence[tuple[object, ...]]) -> PhaseResult:
    """COPY `rows` in one transaction into an empty copy of the stream table; time it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (LIKE streams_streamevent INCLUDING ALL)")
        conn.execute("CHECKPOINT")
        database = conn.info.dbname
        began, cpu_began = time.perf_counter(), CpuSnapshot.take(database=database)
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
            for row in rows:
                copy.write_row(row)
        seconds, cpu = time.perf_counter() - began, CpuSnapshot.take(database=database) - cpu_began
        counted = conn.execute("SELECT count(*) FROM bench_copy").fetchone()
    tally = SenderTally(requests=1, accepted=int(counted[0]) if counted else 0)
    return PhaseResult(name="COPY", events=len(rows), seconds=seconds, tally=tally, cpu=cpu)


def stored_events(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM streams_streamevent").fetchone()
    return int(row[0]) if row else 0


def checkpoint(database_url: str) -> None:
    """Start each timed phase with clean shared buffers, so one phase's dirt is not the next's bill."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# --- One run per gunicorn configuration ----------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What to run, from the command line."""

    events: int
    singles: int
    senders: int  # 0: one more than the service's concurrency, so no worker ever waits for work
    configs: list[GunicornConfig]
    output: Path | None
    command: str

    def senders_for(self, config: GunicornConfig) -> int:
        return self.senders or config.workers * config.threads + 1


@dataclass(frozen=True)
class ConfigResult:
    config: GunicornConfig
    ceiling: PhaseResult
    batches: PhaseResult
    singles: PhaseResult
    problems: list[str]
    senders: int

    @property
    def ratio(self) -> float:
        base = self.ceiling.events_per_s
        return self.batches.events_per_s / base if base else 0.0


def prepare(database_url: str) -> tuple[dict[str, str], str]:
    """A fresh, migrated database and an ingest token for it."""
    recreate_database(database_url)
    env = service_env(database_url)
    manage("migrate", "--no-input", env=env)
    token = create_token(name="bench-ingest", role="ingest", env=env)
    return env, token


def serve_and_send(
    config: GunicornConfig,
    *,
    settings: Settings,
    env: dict[str, str],
    token: str,
    batches: Payload,
    rng: random.Random,
) -> tuple[PhaseResult, PhaseResult]:
    """Start the service, warm every worker up, then time the batch and the single-event phase."""
    database_url = env["DATABASE_URL"]
    warmup = make_payload(events=WARMUP_EVENTS, per_body=10, rng=rng)
    singles = make_payload(events=settings.singles, per_body=1, rng=rng)
    senders = settings.senders_for(config)
    with running_service(config, env) as service:
        send(name="warm-up", service=service, token=token, payload=warmup, senders=senders)
        checkpoint(database_url)
        batch_result = send(name="batches", service=service, token=token, payload=batches, senders=senders)
        print(f"    HTTP batches of {BATCH_SIZE:,}: {batch_result.events_per_s:,.0f} events/s", flush=True)
        checkpoint(database_url)
        single_result = send(name="singles", service=service, token=token, payload=singles, senders=senders)
        print(f"    HTTP single events: {single_result.events_per_s:,.0f} events/s", flush=True)
    return batch_result, single_result


def run_config(
    config: GunicornConfig, *, settings: Settings, database_url: str, rng: random.Random
) -> ConfigResult:
    """One self-contained measurement on a fresh database: COPY, the service, COPY again.

    The COPY stores exactly the events that are then sent over HTTP, into an empty twin table
    in the same database. It runs before and after the HTTP phases and the faster run is the
    ceiling, so a burst of other work on the machine during one COPY does not flatter the ratio.
    """
    print(f"{config.label} (gunicorn {' '.join(config.args)}); fresh database {database_url}", flush=True)
    env, token = prepare(database_url)
    batches = make_payload(events=settings.events, per_body=BATCH_SIZE, rng=rng)
    checkpoint(database_url)
    before = copy_ceiling(database_url, batches.rows)
    print(f"    PostgreSQL COPY: {before.events_per_s:,.0f} rows/s", flush=True)
    batch_result, single_result = serve_and_send(
        config, settings=settings, env=env, token=token, batches=batches, rng=rng
    )
    checkpoint(database_url)
    after = copy_ceiling(database_url, batches.rows)
    print(f"    PostgreSQL COPY again: {after.events_per_s:,.0f} rows/s", flush=True)
    ceiling = max(before, after, key=lambda phase: phase.events_per_s)
    problems = [*batch_result.problems(), *single_result.problems()]
    expected = WARMUP_EVENTS + batch_result.events + single_result.events
    stored = stored_events(database_url)
    if stored != expected:
        problems.append(f"streams_streamevent holds {stored:,} rows; {expected:,} were sent")
    for copied in (before, after):
        if copied.tally.accepted != copied.events:
            problems.append(f"COPY stored {copied.tally.accepted:,} of {copied.events:,} rows")
    return ConfigResult(config, ceiling, batch_result, single_result, problems, settings.senders_for(config))


# --- Report ----------------------------------------------------------------------------------


def _pct(value: float, base: float) -> str:
    return f"{100 * value / base:.1f}%" if base else "n/a"


def report_table(best: ConfigResult) -> list[tuple[str, str, str, str]]:
    base = best.ceiling.events_per_s
    b, s = best.batches, best.singles
    baseline = f"COPY {base:,.0f} rows/s"
    return [
        ("Metric", "Value", "Baseline", "Ratio"),
        (
            f"HTTP batches of {BATCH_SIZE:,} (events/s)",
            f"{b.events_per_s:,.0f}",
            baseline,
            _pct(b.events_per_s, base),
        ),
        ("HTTP single events (events/s)", f"{s.events_per_s:,.0f}", baseline, _pct(s.events_per_s, base)),
        ("PostgreSQL COPY, same indexed table (rows/s)", f"{base:,.0f}", "ceiling", "100%"),
    ]


def goal_lines(best: ConfigResult) -> list[str]:
    rate = best.batches.events_per_s
    ratio_ok = "met" if best.ratio >= GOAL_RATIO else "missed"
    rate_ok = "met" if rate >= GOAL_EVENTS_PER_S else "missed"
    return [
        f"- HTTP batches at >= {GOAL_RATIO:.0%} of the COPY rate: {best.ratio:.1%} ({ratio_ok})",
        f"- HTTP batches at >= {GOAL_EVENTS_PER_S:,} events/s: {rate:,.0f} ({rate_ok})",
    ]


def disturbance_notes(results: list[ConfigResult]) -> list[str]:
    """Phases during which other work took a noticeable share of the cores."""
    notes = []
    for r in results:
        for phase in (r.ceiling, r.batches, r.singles):
            if phase.disturbance > DISTURBED:
                notes.append(
                    f"- Other work on the machine took {phase.disturbance:.0%} of the CPU during "
                    f"{phase.name} with `{' '.join(r.config.args)}`; that figure is low."
                )
    return notes


def config_rows(results: list[ConfigResult]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        (
            "gunicorn",
            "COPY rows/s",
            "COPY CPU",
            "batches events/s",
            "ratio",
            "batch p50 / p99 ms",
            "batches CPU",
            "singles events/s",
            "single p50 ms",
            "singles CPU",
        ),
    ]
    for r in results:
        rows.append(
            (
                f"`{' '.join(r.config.args)}`, {r.senders} senders",
                f"{r.ceiling.events_per_s:,.0f}",
                r.ceiling.cpu_split,
                f"{r.batches.events_per_s:,.0f}",
                f"{r.ratio:.1%}",
                f"{r.batches.latency_ms(0.5):.0f} / {r.batches.latency_ms(0.99):.0f}",
                r.batches.cpu_split,
                f"{r.singles.events_per_s:,.0f}",
                f"{r.singles.latency_ms(0.5):.1f}",
                r.singles.cpu_split,
            )
        )
    return rows


def markdown_section(
    *, settings: Settings, results: list[ConfigResult], best: ConfigResult, redis: bool, load: float
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    pg = postgres_version(bench_database_url())
    return "\n".join(
        [
            f"Measured {when} at commit {source_revision()} on {machine_summary()}; PostgreSQL {pg} "
            "on the same machine; "
            f"REDIS_URL {'set' if redis else 'unset (Celery tasks run in-process)'}; load average "
            f"{load:.2f} when the run started (anything else running on the cores lowers every figure). "
            "Command:",
            "",
            "```sh",
            settings.command,
            "```",
            "",
            f"Best service configuration: `gunicorn kalipxo.wsgi {' '.join(best.config.args)}` "
            f"({best.config.label}).",
            "",
            markdown_table(report_table(best)),
            "",
            "Goal:",
            "",
            *goal_lines(best),
            *(["", *notes] if (notes := disturbance_notes(results)) else []),
            "",
            "How: each gunicorn configuration gets a fresh database. The COPY ceiling is "
            f"{best.ceiling.events:,} rows in one `COPY` into an empty `bench_copy`, made `LIKE "
            "streams_streamevent INCLUDING ALL` (same primary key, unique `event_id` and (listener, "
            "started_at) index; LIKE copies no foreign key and no trigger); it runs before and after the "
            "HTTP phases and the faster of the two counts. The HTTP phases send the same events: bodies "
            f"are JSON made before the clock starts, {BATCH_SIZE:,} events per `POST /api/v1/streams`, from "
            "sender threads over HTTP/1.1 (one more than the workers x threads, unless "
            f"`--senders` says otherwise); then {settings.singles:,} one-event requests the same way. "
            "Every answer was 202, the "
            "`accepted` counts and the rows in `streams_streamevent` matched what was sent. The load "
            "generator runs on the same cores. CPU columns: milliseconds of CPU per 1,000 events "
            "spent by the service (gunicorn workers) / PostgreSQL (all its processes) / the load "
            "generator (or the COPY client) / anything else on the machine.",
            "",
            markdown_table(config_rows(results)),
        ]
    )


def headlines(best: ConfigResult) -> list[Headline]:
    base = best.ceiling.events_per_s
    baseline = f"PostgreSQL COPY {base:,.0f} rows/s"
    rate = best.batches.events_per_s
    met = best.ratio >= GOAL_RATIO and rate >= GOAL_EVENTS_PER_S
    return [
        Headline(
            measure=f"Ingestion, HTTP batches of {BATCH_SIZE:,} (events/s)",
            value=f"{rate:,.0f}",
            baseline=baseline,
            versus=_pct(rate, base),
            goal=f">= {GOAL_RATIO:.0%} of COPY and >= {GOAL_EVENTS_PER_S:,}/s: {'met' if met else 'missed'}",
        ),
        Headline(
            measure="Ingestion, single-event requests (events/s)",
            value=f"{best.singles.events_per_s:,.0f}",
            baseline=baseline,
            versus=_pct(best.singles.events_per_s, base),
        ),
    ]


def print_report(results: list[ConfigResult], best: ConfigResult) -> None:
    print()
    print(text_table(report_table(best)))
    print(f"(service: gunicorn {' '.join(best.config.args)}, the fastest of {len(results)} tried)")
    print("\n".join([*goal_lines(best), *disturbance_notes(results)]))
    if len(results) > 1:
        print()
        print(text_table([tuple(cell.replace("`", "") for cell in row) for row in config_rows(results)]))


# --- Main ------------------------------------------------------------------------------------


def parse_settings(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, help="Events sent in batches of 1,000 (default 200,000).")
    parser.add_argument("--singles", type=int, help="Single-event requests (default 3,000).")
    parser.add_argument(
        "--quick", action="store_true", help=f"50,000 batch events, 1,000 singles, gunicorn {QUICK_CONFIGS}."
    )
    parser.add_argument(
        "--senders", type=int, default=0, help="Concurrent connections (default: workers x threads + 1)."
    )
    parser.add_argument(
        "--gunicorn",
        help=f"Comma-separated WORKERSxTHREADS to try, e.g. 2x1,3x1,2x4 (default {DEFAULT_CONFIGS}).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="Markdown file whose Ingestion section is rewritten (default docs/benchmarks.md; "
        "with --quick bench/results/quick.md).",
    )
    parser.add_argument("--no-output", action="store_true", help="Print only; leave the docs alone.")
    args = parser.parse_args(argv)
    events = args.events or (50_000 if args.quick else 200_000)
    if events <= 0 or events % BATCH_SIZE:
        parser.error(f"--events must be a positive multiple of {BATCH_SIZE}.")
    singles = args.singles or (1_000 if args.quick else 3_000)
    gunicorn = args.gunicorn or (QUICK_CONFIGS if args.quick else DEFAULT_CONFIGS)
    try:
        configs = [GunicornConfig.parse(part) for part in gunicorn.split(",") if part.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    if not configs or args.senders < 0:
        parser.error("Need at least one gunicorn configuration and one sender.")
    return Settings(
        events=events,
        singles=singles,
        senders=args.senders,
        configs=configs,
        output=None if args.no_output else args.output or default_output(args.quick),
        command=canonical_command(args),
    )


def canonical_command(args: argparse.Namespace) -> str:
    """The command that measures the same thing: the size options only, never where it wrote."""
    shown = ["python", "-m", "bench.ingest"]
    for option, value in (
        ("--quick", args.quick),
        ("--events", args.events),
        ("--singles", args.singles),
        ("--gunicorn", args.gunicorn),
        ("--senders", args.senders),
    ):
        if value is True:
            shown.append(option)
        elif value:
            shown += [option, str(value)]
    return shlex.join(shown)


def run(settings: Settings) -> int:
    database_url = bench_database_url()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"Note: load average {load:.2f} before starting; other work will skew the figures.")
    rng = random.Random(2026)
    results = [
        run_config(config, settings=settings, database_url=database_url, rng=rng)
        for config in settings.configs
    ]
    best = max(results, key=lambda r: r.batches.events_per_s)
    print_report(results, best)
    problems = [f"{r.config.label}: {problem}" for r in results for problem in r.problems]
    if problems:
        print("\nThe service misbehaved; figures are not recorded:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    Result(name="ingest", command=settings.command, headlines=headlines(best)).save()
    if settings.output is not None:
        redis = bool(service_env(database_url).get("REDIS_URL"))
        section = markdown_section(settings=settings, results=results, best=best, redis=redis, load=load)
        update_doc_section(settings.output, name="ingest", title="Ingestion", body=section)
        print(f"\nWrote the Ingestion section of {settings.output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(argv)
    try:
        return run(settings)
    except BenchError as exc:
        print(f"bench.ingest: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
