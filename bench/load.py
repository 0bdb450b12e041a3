"""Load test: steady ingestion while artists watch their dashboards, on loopback only.

    python -m bench.load [--quick] [--plays 200] [--seconds 60] [--rate 5000] [--batch 500] [--artists 50]

Starts a redis-server of its own (broker and live pools), the service (gunicorn, 2 workers
x 2 threads) and one Celery worker on the `live` queue, on a fresh PostgreSQL database
(BENCH_LOAD_DATABASE_URL, default kalipxo_bench_load), with the service's real rate limits
(INGEST_RATE and friends as the environment sets them, else their defaults).

The month first holds N plays per listener (bench/prefill.py: by default a mid-month,
10,000 listeners × 200 plays, heavy-tailed; COPY, then `manage.py rebuild_live_pools`);
the events sent are more plays of those listeners, and the artists reading are spread
over the popularity ranks, the most popular first. `--plays 0` (or `--no-prefill`) is the
run before the prefill existed: an empty month of 2,000 tracks uploaded over the API.

First the artists read for one polling period with nothing else running: the baseline.
Then, for `--seconds` (10 with --quick):

- stream events are sent at a steady rate, in batches, by a few sender threads;
- `--artists` simulated artists, each with its own artist token, read
  `GET /api/v1/artists/{id}/earnings` and `/fans` every 5 s, as the dashboard does.

It stops by itself: senders stop at the deadline, readers too, and every request has a
timeout. Reported: requests, 5xx, 429 and p50/p95/p99 latency per endpoint, the ingestion
rate achieved, whether every event sent was accepted, and the live queue (events accepted
whose ingestion batch is not applied yet, from PostgreSQL) at 10 s, at the end of the
load and when the readers stopped. Goal in a prefilled month: earnings and fans reads p99
< 100 ms during the load (reported as met or missed, never a failure). Exit status 1 on
any 5xx, connection error or lost event.
"""

import argparse
import http.client
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench import prefill
from bench.common import (
    CORES,
    LIVE_WORKER_PROCESSES,
    BenchError,
    GunicornConfig,
    Headline,
    OtherWork,
    Result,
    bench_targets,
    create_token,
    default_output,
    live_worker,
    machine_summary,
    manage,
    met,
    percentile,
    private_redis,
    recreate_database,
    running_service,
    service_env,
    source_revision,
    update_doc_section,
)
from bench.prefill import QueueWatch

DATABASE_URL, _ = bench_targets("load", database="kalipxo_bench_load", redis_db=10)
TRACKS = 2_000
ARTISTS = 500
LISTENERS = 20_000
POLL_S = 5.0
QUICK_SECONDS = 10
WARM_UP_READS = 8  # artists whose reads go unmeasured first, spread over the workers
TIMEOUT_S = 30.0
GUNICORN = GunicornConfig(workers=2, threads=2)
GOAL_READ_P99_MS = 100.0
WORKER_LOG = Path("/tmp/kalipxo-bench-load-worker.log")  # noqa: S108 - a log for the operator


@dataclass
class Endpoint:
    """What one endpoint answered: latencies of every answer, counts by status."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # connection errors, timeouts
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(seconds)

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


@dataclass
class Load:
    streams: Endpoint = field(default_factory=lambda: Endpoint("POST /api/v1/streams"))
    earnings: Endpoint = field(default_factory=lambda: Endpoint("GET /api/v1/artists/{id}/earnings"))
    fans: Endpoint = field(default_factory=lambda: Endpoint("GET /api/v1/artists/{id}/fans"))
    accepted: int = 0
    sent_events: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoints(self) -> list[Endpoint]:
        return [self.streams, self.earnings, self.fans]


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _upload_catalog(port: int, token: str) -> None:
    tracks = [
        {"isrc": f"QZLOD26{n:05d}", "title": f"Track {n}", "duration_ms": 200_000,
         "artist": {"id": f"ld-{n % ARTISTS}", "name": f"Load Artist {n % ARTISTS}"}}
        for n in range(TRACKS)
    ]  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for first in range(0, len(tracks), 1000):
        conn.request(
            "POST", "/api/v1/catalog/tracks", orjson.dumps(tracks[first : first + 1000]), _headers(token)
        )
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise BenchError(f"catalog upload failed: {answer.status} {body[:300]!r}")


def _artist_tokens(env: dict[str, str], artists: list[str]) -> dict[str, str]:
    """An artist token per artist id, made in one `manage.py shell` (not one process each)."""
    script = (
        "from artists.tokens import api_client_create\n"
        f"for n, artist in enumerate({artists!r}):\n"
        "    client = api_client_create(name=f'load-artist-{n}', role='artist', artist_id=artist)\n"
        "    print('token', artist, client[1])\n"
    )
    rows = [line.split() for line in manage("shell", "-c", script, env=env).splitlines()]
    tokens = {row[1]: row[2] for row in rows if len(row) == 3 and row[0] == "token"}
    if len(tokens) != len(artists):
        raise BenchError(f"expected {len(artists)} artist tokens, got {len(tokens)}")
    return tokens


def _bodies(batches: int, size: int) -> list[bytes]:
    """Request bodies made before the clock starts: plays of this month, a few minutes ago."""
    stamp = prefill.recent_stamp()
    rng = random.Random(7)
    return [
        orjson.dumps([
            {"event_id": uuid.uuid4().hex, "listener": f"LL{rng.randrange(LISTENERS)}",
             "isrc": f"QZLOD26{rng.randrange(TRACKS):05d}", "started_at": stamp, "duration_ms": 180_000,
             "country": "US", "tier": "premium"}
            for _ in range(size)
        ])
        for _ in range(batches)
    ]  # fmt: skip


def _send(port: int, token: str, bodies: list[bytes], share: range, batch_rate: float, started: float,
          load: Load, size: int) -> None:  # fmt: skip
    """Send this thread's batches (indexes in `share`), each at its due time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    for i in share:
        due = started + i / batch_rate
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        body = bodies[i]
        while True:  # a 429 is retried after Retry-After, as clients/ingest_client.py does
            t0 = time.monotonic()
            try:
                conn.request("POST", "/api/v1/streams", body, _headers(token))
                answer = conn.getresponse()
                payload = answer.read()
            except (OSError, http.client.HTTPException) as exc:
                load.streams.fail(f"batch {i}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
                break
            load.streams.record(answer.status, time.monotonic() - t0)
            if answer.status == 429:
                time.sleep(float(answer.getheader("Retry-After") or 1))
                continue
            if answer.status == 202:
                with load.lock:
                    load.accepted += int(orjson.loads(payload)["accepted"])
                    load.sent_events += size
            break


def _read(port: int, artist: str, token: str, deadline: float, load: Load) -> None:
    """An artist's dashboard: earnings and top fans every POLL_S seconds until the deadline."""
    time.sleep(random.uniform(0, POLL_S))  # the artists did not all open the page at once
    while time.monotonic() < deadline:
        cycle = time.monotonic()
        # A new connection per poll: gunicorn closes keep-alive connections idle for 2 s,
        # and a browser, too, reconnects after five idle seconds.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        for endpoint, path in (
            (load.earnings, f"/api/v1/artists/{artist}/earnings"),
            (load.fans, f"/api/v1/artists/{artist}/fans?limit=10"),
        ):
            t0 = time.monotonic()
            try:
                conn.request("GET", path, headers=_headers(token))
                answer = conn.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException) as exc:
                endpoint.fail(f"{artist}: {exc!r}")
                conn.close()
                continue
            endpoint.record(answer.status, time.monotonic() - t0)
        conn.close()
        time.sleep(max(0.0, min(POLL_S - (time.monotonic() - cycle), deadline - time.monotonic())))


def _warm_up(port: int, tokens: dict[str, str]) -> None:
    """A few unmeasured reads, so no worker's first request of its life lands in the baseline."""
    for artist, token in list(tokens.items())[:WARM_UP_READS]:
        for path in (f"/api/v1/artists/{artist}/earnings", f"/api/v1/artists/{artist}/fans?limit=10"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            try:
                conn.request("GET", path, headers=_headers(token))
                conn.getresponse().read()
            finally:
                conn.close()


def _readers(port: int, tokens: dict[str, str], deadline: float, load: Load) -> list[threading.Thread]:
    return [
        threading.Thread(target=_read, args=(port, artist, token, deadline, load), daemon=True)
        for artist, token in tokens.items()
    ]


def _run_threads(threads: list[threading.Thread], seconds: float) -> None:
    """Start them and wait; bounded, as every request has a timeout and every thread a deadline."""
    deadline = time.monotonic() + seconds + 2 * TIMEOUT_S
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))


@dataclass(frozen=True)
class Queue:
    """The live queue (events accepted, not yet applied) during the load."""

    early: float  # at EARLY_S
    late: float  # when the senders' deadline passed
    end: float  # when the last reader stopped
    early_s: float
    late_s: float
    other_cores: float  # cores busy with work not this benchmark's during the load


def run(
    *, size: prefill.Size, quick: bool, seconds: int, rate: int, batch: int, artists: int, senders: int,
    output: Path | None,
) -> int:  # fmt: skip
    load_average = os.getloadavg()[0]
    batches = rate * seconds // batch
    load, alone = Load(), Load()  # alone: the same reads before ingestion starts, the baseline
    with private_redis() as redis_url:
        recreate_database(DATABASE_URL)
        env = service_env(DATABASE_URL)
        env["REDIS_URL"] = redis_url
        if "INGEST_RATE" not in os.environ:
            env.pop("INGEST_RATE", None)  # the service's own default, not the benchmarks' out-of-reach one
        manage("migrate", "--no-input", env=env)
        month, prefilled = None, ""
        if size.plays:
            month = prefill.Month(size)
            print(f"prefill: {size.label}; {month.depth_summary()}", flush=True)
            loaded = prefill.load(DATABASE_URL, month)
            rebuilt = prefill.rebuild(env, month, redis_url=redis_url)
            prefilled = (
                f" Prefill: {month.depth_summary()}; COPY {loaded.seconds:.1f} s "
                f"({loaded.rate:,.0f} events/s), "
                f"`rebuild_live_pools` {rebuilt.seconds:.1f} s ({rebuilt.rate(loaded.events):,.0f} events/s)."
            )
            print(prefilled.strip(), flush=True)
            stamp = prefill.recent_stamp()
            bodies = [orjson.dumps(events) for events in month.traffic(batches, batch, stamp=stamp)]
            readers = month.readers(artists)
        else:
            bodies = _bodies(batches, batch)
            readers = [f"ld-{n}" for n in range(artists)]
        with live_worker(env, concurrency=LIVE_WORKER_PROCESSES, log=WORKER_LOG) as worker_ready:
            ingest = create_token(name="load-ingest", role="ingest", env=env)
            admin = create_token(name="load-admin", role="admin", env=env)
            with running_service(GUNICORN, env) as service, QueueWatch(DATABASE_URL) as watch:
                if month is None:
                    _upload_catalog(service.port, admin)
                tokens = _artist_tokens(env, readers)
                worker_ready()
                _warm_up(service.port, tokens)
                _run_threads(_readers(service.port, tokens, time.monotonic() + POLL_S, alone), POLL_S)
                started, other = time.monotonic(), OtherWork(service.database)
                threads = [
                    threading.Thread(
                        target=_send,
                        args=(service.port, ingest, bodies, range(k, batches, senders), rate / batch, started,
                              load, batch),
                        daemon=True,
                    )
                    for k in range(senders)
                ]  # fmt: skip
                _run_threads(threads + _readers(service.port, tokens, started + seconds, load), seconds)
                elapsed, other_cores = time.monotonic() - started, other.cores()
                early_s = min(10.0, seconds / 6)
                queue = Queue(
                    early=watch.at(started + early_s),
                    late=watch.at(started + seconds),
                    end=watch.last,
                    early_s=early_s,
                    late_s=float(seconds),
                    other_cores=other_cores,
                )
    table = _table(load, alone, seconds=seconds, elapsed=elapsed, rate=rate, batch=batch, queue=queue)
    print(table)
    failures = [f for e in load.endpoints + alone.endpoints for f in e.failures]
    lost = batches * batch - load.accepted
    for failure in failures[:5]:
        print(failure, file=sys.stderr)
    server_errors = sum(e.server_errors for e in load.endpoints + alone.endpoints)
    ok = not (failures or lost or server_errors)
    command = (
        f"python -m bench.load{' --quick' if quick else ''} --plays {size.plays}"
        + (f" --listeners {size.listeners}" if size.plays else "")
        + f" --seconds {seconds} --rate {rate} --batch {batch} --artists {artists}"
    )
    where = f", month at {size.plays:,} plays/listener" if size.plays else ""
    rows = headlines(load, alone, rate, elapsed=elapsed, queue=queue, where=where, goals=bool(size.plays))
    Result(name=prefill.result_name("load", size, quick=quick), command=command, headlines=rows, ok=ok).save()
    if output is not None:
        month_text = (
            f"The month holds {size.label} before the clock starts (bench/prefill.py); the events are more "
            "plays of those listeners, the readers artists spread over the popularity ranks, the most "
            f"popular first.{prefilled} Goal: earnings and fans reads p99 < {GOAL_READ_P99_MS:.0f} ms during "
            "the load."
            if size.plays
            else "An empty month: 2,000 tracks uploaded over the API, no plays before the clock starts."
        )
        intro = (
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {source_revision()} on "
            f"{machine_summary()}; load average {load_average:.2f} when the run started (anything else "
            f"running on the cores lowers every figure). Command: `{command}`: gunicorn {GUNICORN.label}, "
            f"one Celery worker ({LIVE_WORKER_PROCESSES} processes) on the `live` queue, a redis-server "
            "of the benchmark's own, PostgreSQL and the "
            f"load generator on the same cores; the service's default rate limits. {month_text} {senders} "
            f"sender threads post batches of {batch} "
            f"at {rate:,} events/s while {artists} artists (each with an artist token) read their "
            f"earnings and top fans every {POLL_S:.0f} s. Baseline: the same artists' reads during the "
            f"{POLL_S:.0f} s before ingestion starts, after a few unmeasured reads (rows marked alone). "
            "Goal: no 5xx, every event "
            "accepted, reads staying fast while ingestion runs.\n\n"
        )
        name = "load" if not size.plays else "load-month"
        if size.plays and size.plays != prefill.size(quick=quick).plays:
            name = f"load-month-{size.plays}"
        title = (
            f"Load in a month at {size.plays:,} plays per listener: ingestion while artists read"
            if size.plays
            else "Load: ingestion while artists read"
        )
        update_doc_section(output, name=name, title=title, body=intro + table)
    return 0 if ok else 1


def headlines(
    load: Load, alone: Load, rate: int, *, elapsed: float, queue: Queue, where: str, goals: bool
) -> list[Headline]:
    rows = []
    for busy, quiet in ((load.earnings, alone.earnings), (load.fans, alone.fans)):
        p99 = busy.percentile(0.99)
        rows.append(
            Headline.latency(
                f"Load test{where}, `{busy.name}` p99 while ingesting {rate:,} events/s",
                p99,
                baseline="the same reads alone: p99",
                baseline_ms=quiet.percentile(0.99),
                goal=f"< {GOAL_READ_P99_MS:.0f} ms: {met(p99 < GOAL_READ_P99_MS)}" if goals else "",
            )
        )
    achieved = load.sent_events / elapsed if elapsed else 0.0
    rows.append(
        Headline(
            measure=f"Load test{where}, ingestion achieved (events/s)",
            value=f"{achieved:,.0f}",
            baseline=f"target {rate:,}",
            versus=f"{achieved / rate:.0%}",
        )
    )
    rows.append(
        Headline(
            measure=f"Load test{where}, live queue at {queue.late_s:.0f} s (events)",
            value=f"{queue.late:,.0f}",
            baseline=f"at {queue.early_s:.0f} s: {queue.early:,.0f}",
        )
    )
    requests = sum(sum(e.statuses.values()) for e in load.endpoints)
    errors = sum(e.server_errors for e in load.endpoints)
    rows.append(
        Headline(
            measure=f"Load test{where}, 5xx answers",
            value=f"{errors:,}",
            baseline=f"of {requests:,} requests",
            goal=f"none: {met(errors == 0)}",
        )
    )
    return rows


def _table(
    load: Load, alone: Load, *, seconds: int, elapsed: float, rate: int, batch: int, queue: Queue
) -> str:
    lines = [
        "| endpoint | requests | 5xx | 429 | other 4xx | errors | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [(f"`{e.name}`, alone", e) for e in (alone.earnings, alone.fans)]
    rows += [(f"`{e.name}`", e) for e in load.endpoints]
    for name, e in rows:
        other = sum(n for status, n in e.statuses.items() if 400 <= status < 500 and status != 429)
        cells = [name, f"{sum(e.statuses.values()):,}", e.server_errors, e.statuses[429], other]
        cells += [len(e.failures), *(f"{e.percentile(p):.1f}" for p in (0.50, 0.95, 0.99))]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    sent = rate * seconds // batch * batch
    lines += [
        "",
        f"Events: {sent:,} sent in {elapsed:.1f} s ({sent / elapsed:,.0f}/s for a {rate:,}/s target), "
        f"{load.accepted:,} accepted. Live queue (events accepted, not applied yet): {queue.early:,.0f} at "
        f"{queue.early_s:.0f} s, {queue.late:,.0f} at {queue.late_s:.0f} s, {queue.end:,.0f} when the last "
        f"request ended. Other work on the machine (not this benchmark's) meanwhile: {queue.other_cores:.2f} "
        f"of {CORES} cores.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    prefill.add_size_arguments(parser)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS} seconds instead of 60")
    parser.add_argument("--rate", type=int, default=5000, help="events per second")
    parser.add_argument(
        "--batch", type=int, default=500, help="events per request (the service takes up to 1,000)"
    )
    parser.add_argument("--artists", type=int, default=50, help="simulated artists reading their dashboards")
    parser.add_argument("--senders", type=int, default=2, help="threads posting batches")
    parser.add_argument(
        "--output", type=Path, help="default docs/benchmarks.md; with --quick bench/results/quick.md"
    )
    parser.add_argument("--no-output", action="store_true", help="print only; write no report")
    args = parser.parse_args()
    if args.artists > ARTISTS or not 1 <= args.batch <= 1000:
        parser.error(f"--artists at most {ARTISTS}; --batch from 1 to 1000.")
    seconds = QUICK_SECONDS if args.quick else args.seconds
    size = prefill.size_from(args)
    output = None if args.no_output else args.output or default_output(args.quick)
    try:
        status = run(size=size, quick=args.quick, seconds=seconds, rate=args.rate, batch=args.batch,
                     artists=args.artists, senders=args.senders, output=output)  # fmt: skip
    except BenchError as exc:
        print(f"bench.load: {exc}", file=sys.stderr)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
