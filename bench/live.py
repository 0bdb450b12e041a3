"""Event-to-estimate freshness: how long after a batch's 202 its plays show in `earnings`.

`python -m bench.live [--quick] [--rate 5000] [--seconds 60]` starts the service (gunicorn)
and one Celery worker on a fresh PostgreSQL database (BENCH_LIVE_DATABASE_URL, default
kalipxo_bench_live) and a Redis database of its own (BENCH_LIVE_REDIS_URL, default db 9,
flushed first), sends
stream events at a steady rate through the HTTP API, and polls one artist's `earnings`.
Every batch carries exactly one play of a probe track, so the probe artist's `streams`
counts the batches applied; batch i is visible once that count reaches i. The baseline is
the HTTP round trip of an `earnings` read itself (the fastest a change could be seen).
Afterwards every artist's estimate is compared with an exact recomputation.
"""

import argparse
import http.client
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import redis

from bench.common import (
    ROOT,
    BenchError,
    GunicornConfig,
    Headline,
    Result,
    bench_targets,
    create_token,
    default_output,
    live_worker,
    machine_summary,
    manage,
    percentile,
    recreate_database,
    running_service,
    service_env,
    source_revision,
    update_doc_section,
)

DATABASE_URL, REDIS_URL = bench_targets("live", database="kalipxo_bench_live", redis_db=9)
QUICK_SECONDS = 10
GOAL_P50_S = 0.5
GOAL_P95_S = 2.0
PROBE_ISRC = "QZPRB2600001"
TRACKS = 2_000
LISTENERS = 20_000


@dataclass
class Timeline:
    sent: list[float] = field(default_factory=list)  # 202 time of each batch, in order of answer
    seen: list[tuple[float, int]] = field(default_factory=list)  # (time, probe streams)
    queue: list[tuple[float, int]] = field(default_factory=list)  # (time, live queue length)
    errors: list[str] = field(default_factory=list)


def _catalog(port: int, token: str) -> None:
    tracks = [
        {"isrc": f"QZBLV26{n:05d}", "title": f"Track {n}", "duration_ms": 200_000,
         "artist": {"id": f"lv-{n % 500}", "name": f"Live Artist {n % 500}"}}
        for n in range(TRACKS)
    ]  # fmt: skip
    tracks.append(
        {
            "isrc": PROBE_ISRC,
            "title": "Probe",
            "duration_ms": 200_000,
            "artist": {"id": "probe", "name": "Probe"},
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for first in range(0, len(tracks), 1000):
        body = orjson.dumps(tracks[first : first + 1000])
        conn.request("POST", "/api/v1/catalog/tracks", body, _headers(token))
        answer = conn.getresponse()
        if answer.status != 200:
            raise BenchError(f"catalog upload failed: {answer.status} {answer.read()[:300]!r}")
        answer.read()


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _bodies(batches: int, size: int) -> list[bytes]:
    """Pre-built request bodies: `size - 1` ordinary plays and one probe play each."""
    start = datetime.now(UTC) - timedelta(minutes=10)
    if start.month != datetime.now(UTC).month:
        start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=1)
    stamp = start.isoformat()
    bodies = []
    for b in range(batches):
        events = [
            {"event_id": uuid.uuid4().hex, "listener": f"LL{(b * size + i) % LISTENERS}",
             "isrc": f"QZBLV26{(b * 7 + i * 13) % TRACKS:05d}", "started_at": stamp, "duration_ms": 180_000,
             "country": "US", "tier": "premium"}
            for i in range(size - 1)
        ]  # fmt: skip
        events.append(
            {"event_id": uuid.uuid4().hex, "listener": f"probe-{b}", "isrc": PROBE_ISRC, "started_at": stamp,
             "duration_ms": 180_000, "country": "US", "tier": "premium"}
        )  # fmt: skip
        bodies.append(orjson.dumps(events))
    return bodies


def _send(port: int, token: str, bodies: list[bytes], rate_batches: float, timeline: Timeline) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.monotonic()
    for i, body in enumerate(bodies):
        due = started + i / rate_batches
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        conn.request("POST", "/api/v1/streams", body, _headers(token))
        answer = conn.getresponse()
        payload = answer.read()
        if answer.status != 202:
            timeline.errors.append(f"{answer.status} {payload[:200]!r}")
            continue
        timeline.sent.append(time.monotonic())


def _poll(port: int, token: str, month: str, stop: threading.Event, timeline: Timeline) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = f"/api/v1/artists/probe/earnings?month={month}"
    while not stop.is_set():
        conn.request("GET", path, headers=_headers(token))
        answer = conn.getresponse()
        data = orjson.loads(answer.read())
        timeline.seen.append((time.monotonic(), int(data.get("streams", 0))))
        time.sleep(0.02)


def _watch_queue(stop: threading.Event, timeline: Timeline) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    while not stop.is_set():
        timeline.queue.append((time.monotonic(), int(client.llen("live"))))  # type: ignore[arg-type]
        time.sleep(0.5)


def _latencies(timeline: Timeline) -> list[float]:
    out = []
    seen = timeline.seen
    j = 0
    for i, sent_at in enumerate(sorted(timeline.sent)):
        while j < len(seen) and seen[j][1] < i + 1:
            j += 1
        if j == len(seen):
            break
        out.append(max(0.0, seen[j][0] - sent_at))
    return out


def _measure(port: int, *, ingest: str, admin: str, month: str, bodies: list[bytes], rate: float) -> Timeline:
    """Send the batches at `rate` a second while polling the probe's earnings; wait until all show."""
    timeline = Timeline()
    stop = threading.Event()
    watchers = [
        threading.Thread(target=_poll, args=(port, admin, month, stop, timeline)),
        threading.Thread(target=_watch_queue, args=(stop, timeline)),
    ]
    for thread in watchers:
        thread.start()
    try:
        _send(port, ingest, bodies, rate, timeline)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            not timeline.seen or timeline.seen[-1][1] < len(timeline.sent)
        ):
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in watchers:
            thread.join()
    return timeline


def run(*, rate: int, seconds: int, batch: int, concurrency: int, output: Path | None) -> int:
    recreate_database(DATABASE_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = service_env(DATABASE_URL)
    env["REDIS_URL"] = REDIS_URL
    manage("migrate", "--no-input", env=env)
    month = datetime.now(UTC).strftime("%Y-%m")
    worker_log = Path("/tmp/kalipxo-bench-live-worker.log")  # noqa: S108 - a log for the operator
    with live_worker(env, concurrency=concurrency, log=worker_log) as worker_ready:
        ingest = create_token(name="bench-ingest", role="ingest", env=env)
        admin = create_token(name="bench-admin", role="admin", env=env)
        bodies = _bodies(rate * seconds // batch, batch)
        with running_service(GunicornConfig(workers=2, threads=2), env) as service:
            _catalog(service.port, admin)
            worker_ready()
            timeline = _measure(
                service.port, ingest=ingest, admin=admin, month=month, bodies=bodies, rate=rate / batch
            )
            read_rtt = _read_round_trip(service.port, admin, month)
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_live_pools", month], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    latencies = _latencies(timeline)
    table = _table(
        timeline, latencies, read_rtt=read_rtt, batch=batch, rate=rate, seconds=seconds, verify=verify
    )
    print(table)
    if timeline.errors:
        print(f"{len(timeline.errors)} failed requests, e.g. {timeline.errors[0]}", file=sys.stderr)
    command = (
        f"python -m bench.live --rate {rate} --seconds {seconds} --batch {batch} --concurrency {concurrency}"
    )
    ok = not timeline.errors and verify.returncode == 0
    Result(name="live", command=command, headlines=headlines(latencies, read_rtt), ok=ok).save()
    if output is not None:
        body = (
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {source_revision()} on "
            f"{machine_summary()}.\n"
            f"Command: `{command}`: gunicorn 2 workers x 2 threads, one Celery worker "
            f"(concurrency {concurrency}) on the `live` queue, Redis, PostgreSQL and the load generator on "
            f"the same cores. Goal: p50 < {GOAL_P50_S} s, p95 < {GOAL_P95_S:.0f} s, the queue does not grow, "
            "and every estimate equal to an exact recomputation within 0.0001.\n\n" + table
        )
        update_doc_section(
            output, name="live", title="Live estimates: event-to-estimate freshness", body=body
        )
    return 0 if ok else 1


def headlines(latencies: list[float], read_rtt: float) -> list[Headline]:
    return [
        Headline.latency(
            f"Event-to-estimate freshness, {name} (202 to visible in earnings)",
            1000 * percentile(latencies, q),
            baseline="one earnings read",
            baseline_ms=1000 * read_rtt,
            goal=f"< {goal} s: {'met' if percentile(latencies, q) < goal else 'missed'}",
        )
        for name, q, goal in (("p50", 0.5, GOAL_P50_S), ("p95", 0.95, GOAL_P95_S))
    ]


def _table(
    timeline: Timeline,
    latencies: list[float],
    *,
    read_rtt: float,
    batch: int,
    rate: int,
    seconds: int,
    verify: subprocess.CompletedProcess[str],
) -> str:
    queue = [depth for _, depth in timeline.queue] or [0]
    third = max(1, len(queue) // 3)
    baseline = f"{read_rtt * 1000:.1f} ms"
    verdict = verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr[-200:]
    rows = [
        (
            "events accepted over HTTP",
            f"{len(timeline.sent) * batch:,} in {seconds} s ({rate:,}/s target)",
            "",
        ),
        ("batches visible in earnings", f"{len(latencies):,} of {len(timeline.sent):,}", ""),
        ("202 → visible, p50", f"{percentile(latencies, 0.5) * 1000:.0f} ms", baseline),
        ("202 → visible, p95", f"{percentile(latencies, 0.95) * 1000:.0f} ms", baseline),
        ("202 → visible, max", f"{max(latencies, default=float('nan')) * 1000:.0f} ms", ""),
        (
            "live queue depth, median of first → last third",
            f"{statistics.median(queue[:third]):.0f} → {statistics.median(queue[-third:]):.0f}",
            "",
        ),
        ("estimates vs exact recomputation", verdict, ""),
    ]
    lines = ["| measure | value | baseline (one earnings read) |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def _read_round_trip(port: int, token: str, month: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(50):
        started = time.monotonic()
        conn.request("GET", f"/api/v1/artists/probe/earnings?month={month}", headers=_headers(token))
        conn.getresponse().read()
        times.append(time.monotonic() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=5000, help="events per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=250, help="events per request")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS} seconds instead of 60")
    parser.add_argument(
        "--output", type=Path, help="default docs/benchmarks.md; with --quick bench/results/quick.md"
    )
    parser.add_argument("--no-output", action="store_true", help="print only; write no report")
    args = parser.parse_args()
    seconds = QUICK_SECONDS if args.quick else args.seconds
    output = None if args.no_output else args.output or default_output(args.quick)
    try:
        status = run(
            rate=args.rate, seconds=seconds, batch=args.batch, concurrency=args.concurrency, output=output
        )
    except BenchError as exc:
        print(f"bench.live: {exc}", file=sys.stderr)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
