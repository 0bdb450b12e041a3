"""Live estimates in a month under way: the backlog apply rate and event-to-estimate freshness.

`python -m bench.live [--quick] [--plays 200] [--backlog 200000] [--rate 5000] [--seconds 60]`
starts a redis-server of its own (the broker and the live pools; nothing else uses it, so
its CPU is the live path's), the service (gunicorn) and one Celery worker on a fresh
PostgreSQL database (BENCH_LIVE_DATABASE_URL, default kalipxo_bench_live).

The month first holds N plays per listener (bench/prefill.py: by default a mid-month,
10,000 listeners × 200 plays, heavy-tailed), written with COPY and priced into Redis by
`manage.py rebuild_live_pools`, both timed. Then:

(a) Backlog. With the live worker stopped, `--backlog` events are sent over HTTP, as
    interleaved batches of 1,000 plays of ~900 different prefilled listeners, as fast as
    `--senders` threads can: the same run's HTTP ingestion rate. Then the worker starts
    and absorbs them: events per second from its first applied batch until the queue is
    empty (also over the first and the last 10 s), the queue depth over time and Redis
    CPU (INFO cpu of the redis-server) per 1,000 events applied.
(b) Steady rate. Events at `--rate` for `--seconds`: every batch carries one play of a
    probe track, so the probe artist's `streams` counts the batches applied; batch i is
    visible once that count reaches i (the probe method). Freshness is the time from a
    batch's 202 to it showing in `earnings`, beside the HTTP round trip of one `earnings`
    read (the fastest a change could be seen); the queue depth at 10 s and at 60 s tells
    whether the worker keeps up.

The queue is what was accepted but is not live yet: the events of ingestion batches not
marked applied, sampled from PostgreSQL. Afterwards, once the queue is empty, every
artist's estimate is compared with an exact recomputation (`manage.py verify_live_pools`).

`--plays 0` (or `--no-prefill`) is the run before the prefill existed: an empty month,
2,000 tracks uploaded over the API, no backlog phase, only (b). Timing goals are reported
as met or missed, never as a failure; the exit status is 1 only when requests failed or an
estimate differs from the recomputation.
"""

import argparse
import http.client
import math
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import prefill
from bench.common import (
    CORES,
    LIVE_WORKER_PROCESSES,
    ROOT,
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
    redis_cpu_s,
    running_service,
    service_env,
    source_revision,
    update_doc_section,
)
from bench.prefill import QueueWatch

DATABASE_URL, _ = bench_targets("live", database="kalipxo_bench_live", redis_db=9)
QUICK_SECONDS = 10
GOAL_P50_S = 0.5
GOAL_P95_S = 2.0
GOAL_APPLY_SHARE = 0.5  # of the same run's HTTP ingestion rate
GOAL_QUEUE_GROWTH = 1_000  # events: the queue at the end at most this above its depth at 10 s
PROBE_ISRC = "QZPRB2600001"
TRACKS = 2_000  # the empty month's catalog (--plays 0)
LISTENERS = 20_000
BACKLOG = 200_000
QUICK_BACKLOG = 20_000
SENDERS = 3
STEADY_SENDERS = 2  # threads sending at the steady rate, so one slow answer does not hold it back
DRAIN_TIMEOUT_S = 600
QUICK_DRAIN_TIMEOUT_S = 120
VISIBLE_WAIT_S = 60  # after the steady phase, how long to wait for its last batches to show
GUNICORN = GunicornConfig(workers=2, threads=2)
WORKER_LOG = Path("/tmp/kalipxo-bench-live-worker.log")  # noqa: S108 - a log for the operator


@dataclass
class Timeline:
    sent: list[float] = field(default_factory=list)  # 202 time of each batch, in order of answer
    seen: list[tuple[float, int]] = field(default_factory=list)  # (time, probe streams)
    errors: list[str] = field(default_factory=list)
    started: float = 0.0  # the first batch's due time
    finished: float = 0.0  # the last batch answered


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _probe_track() -> dict[str, Any]:
    return {"isrc": PROBE_ISRC, "title": "Probe", "duration_ms": 200_000,
            "artist": {"id": "probe", "name": "Probe"}}  # fmt: skip


def _upload(port: int, token: str, tracks: list[dict[str, Any]]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for first in range(0, len(tracks), 1000):
        body = orjson.dumps(tracks[first : first + 1000])
        conn.request("POST", "/api/v1/catalog/tracks", body, _headers(token))
        answer = conn.getresponse()
        if answer.status != 200:
            raise BenchError(f"catalog upload failed: {answer.status} {answer.read()[:300]!r}")
        answer.read()


def _empty_month_catalog() -> list[dict[str, Any]]:
    tracks = [
        {"isrc": f"QZBLV26{n:05d}", "title": f"Track {n}", "duration_ms": 200_000,
         "artist": {"id": f"lv-{n % 500}", "name": f"Live Artist {n % 500}"}}
        for n in range(TRACKS)
    ]  # fmt: skip
    return [*tracks, _probe_track()]


def _probe_play(b: int, stamp: str) -> dict[str, Any]:
    return {"event_id": uuid.uuid4().hex, "listener": f"probe-{b}", "isrc": PROBE_ISRC, "started_at": stamp,
            "duration_ms": 180_000, "country": "US", "tier": "premium"}  # fmt: skip


def _empty_month_bodies(batches: int, size: int) -> list[bytes]:
    """Pre-built request bodies: `size - 1` ordinary plays and one probe play each."""
    stamp = prefill.recent_stamp()
    bodies = []
    for b in range(batches):
        events = [
            {"event_id": uuid.uuid4().hex, "listener": f"LL{(b * size + i) % LISTENERS}",
             "isrc": f"QZBLV26{(b * 7 + i * 13) % TRACKS:05d}", "started_at": stamp, "duration_ms": 180_000,
             "country": "US", "tier": "premium"}
            for i in range(size - 1)
        ]  # fmt: skip
        bodies.append(orjson.dumps([*events, _probe_play(b, stamp)]))
    return bodies


def _month_bodies(month: prefill.Month, batches: int, size: int) -> list[bytes]:
    """The same with the prefilled listeners' plays: `size - 1` of them and one probe play each."""
    stamp = prefill.recent_stamp()
    return [
        orjson.dumps([*events, _probe_play(b, stamp)])
        for b, events in enumerate(month.traffic(batches, size - 1, stamp=stamp))
    ]


# --- (a) The backlog ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ingested:
    events: int  # accepted
    seconds: float
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _send_fast(port: int, token: str, bodies: list[bytes], senders: int) -> Ingested:
    """Every body over HTTP from `senders` threads, each as fast as the service answers."""
    accepted, errors, lock = [0], [], threading.Lock()

    def send(share: range) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in share:
            try:
                conn.request("POST", "/api/v1/streams", bodies[i], _headers(token))
                answer = conn.getresponse()
                payload = answer.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"batch {i}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            with lock:
                if answer.status == 202:
                    accepted[0] += int(orjson.loads(payload)["accepted"])
                else:
                    errors.append(f"{answer.status} {payload[:200]!r}")

    threads = [threading.Thread(target=send, args=(range(k, len(bodies), senders),)) for k in range(senders)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Ingested(events=accepted[0], seconds=time.monotonic() - started, errors=errors)


@dataclass(frozen=True)
class Backlog:
    """The worker absorbing a backlog: when it started, when the queue was empty, Redis CPU."""

    ingested: Ingested
    broker_cpu_s: float  # Redis CPU while the backlog was received (broker only: no worker yet)
    launched: float  # the worker process was started
    began: float  # the last moment the backlog was whole (its first batch applied just after)
    drained: float | None  # the queue first seen empty; None: not within the timeout
    ended: float  # drained, or when the wait gave up
    apply_cpu_s: float  # Redis CPU from the worker's start to `ended`
    samples: list[tuple[float, int]]
    other_cores: float  # cores busy with work not this benchmark's meanwhile

    @property
    def initial(self) -> float:
        return prefill.depth_at(self.samples, self.began)

    @property
    def applied(self) -> float:
        return self.initial - prefill.depth_at(self.samples, self.ended)

    @property
    def seconds(self) -> float:
        return self.ended - self.began

    @property
    def rate(self) -> float:
        return self.applied / self.seconds if self.seconds > 0 else 0.0

    def _rate_between(self, start: float, end: float) -> float:
        start, end = max(start, self.began), min(end, self.ended)
        if end <= start:
            return self.rate
        gone = prefill.depth_at(self.samples, start) - prefill.depth_at(self.samples, end)
        return gone / (end - start)

    @property
    def first_10s(self) -> float:
        return self._rate_between(self.began, self.began + 10)

    @property
    def last_10s(self) -> float:
        return self._rate_between(self.ended - 10, self.ended)

    @property
    def cpu_ms_per_1000(self) -> float:
        return 1000 * self.apply_cpu_s / (self.applied / 1000) if self.applied else float("nan")

    @property
    def broker_cpu_ms_per_1000(self) -> float:
        events = self.ingested.events
        return 1000 * self.broker_cpu_s / (events / 1000) if events else float("nan")


def _backlog_whole_until(samples: list[tuple[float, int]], initial: int, launched: float) -> float:
    """The last sample after the worker's launch at which the queue still held all of it."""
    began = launched
    for moment, depth in samples:
        if moment < launched:
            continue
        if depth < initial:
            break
        began = moment
    return began


# --- (b) The steady rate, probe method ---------------------------------------------------------


def _send(
    port: int, token: str, bodies: list[bytes], share: range, rate_batches: float, timeline: Timeline
) -> None:
    """This thread's batches (indexes in `share`), each at its due time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in share:
        due = timeline.started + i / rate_batches
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        conn.request("POST", "/api/v1/streams", bodies[i], _headers(token))
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


def _latencies(timeline: Timeline) -> list[float]:
    """202 → visible of every batch answered; infinite for those never seen in the run."""
    out = []
    seen = timeline.seen
    j = 0
    for i, sent_at in enumerate(sorted(timeline.sent)):
        while j < len(seen) and seen[j][1] < i + 1:
            j += 1
        if j == len(seen):
            break
        out.append(max(0.0, seen[j][0] - sent_at))
    return out + [math.inf] * (len(timeline.sent) - len(out))


def _measure(
    port: int, *, admin: str, ingest: str, month: str, bodies: list[bytes], rate: float, senders: int
) -> Timeline:
    """Send the batches at `rate` a second from `senders` threads while polling the probe's
    earnings; wait until all show."""
    timeline = Timeline()
    stop = threading.Event()
    poller = threading.Thread(target=_poll, args=(port, admin, month, stop, timeline))
    poller.start()
    try:
        timeline.started = time.monotonic()
        threads = [
            threading.Thread(
                target=_send,
                args=(port, ingest, bodies, range(k, len(bodies), senders), rate, timeline),
            )
            for k in range(senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        timeline.finished = time.monotonic()
        deadline = time.monotonic() + VISIBLE_WAIT_S
        while time.monotonic() < deadline and (
            not timeline.seen or timeline.seen[-1][1] < len(timeline.sent)
        ):
            time.sleep(0.1)
    finally:
        stop.set()
        poller.join()
    return timeline


def _read_round_trip(port: int, token: str, month: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(50):
        started = time.monotonic()
        conn.request("GET", f"/api/v1/artists/probe/earnings?month={month}", headers=_headers(token))
        conn.getresponse().read()
        times.append(time.monotonic() - started)
    return statistics.median(times)


@dataclass(frozen=True)
class Steady:
    timeline: Timeline
    latencies: list[float]
    read_rtt: float
    queue_early: float  # events waiting at `early_s` into the phase
    queue_late: float  # and at its end
    early_s: float
    late_s: float
    redis_cpu_s: float
    events: int
    samples: list[tuple[float, int]]  # the queue's, during the phase
    other_cores: float  # cores busy with work not this benchmark's while sending

    @property
    def queue_kept_up(self) -> bool:
        return self.queue_late <= self.queue_early + GOAL_QUEUE_GROWTH

    @property
    def cpu_ms_per_1000(self) -> float:
        return 1000 * self.redis_cpu_s / (self.events / 1000) if self.events else float("nan")


def _steady(
    port: int, *, admin: str, ingest: str, month: str, bodies: list[bytes], options: "Options",
    watch: QueueWatch, redis_url: str,
) -> Steady:  # fmt: skip
    seconds, batch = options.seconds, options.batch
    cpu, other = redis_cpu_s(redis_url), OtherWork(watch.database_name)
    timeline = _measure(
        port, admin=admin, ingest=ingest, month=month, bodies=bodies, rate=options.rate / batch,
        senders=options.steady_senders,
    )  # fmt: skip
    cpu, other_cores = redis_cpu_s(redis_url) - cpu, other.cores()
    early_s = min(10.0, seconds / 6)
    late_s = float(seconds)
    return Steady(
        timeline=timeline,
        latencies=_latencies(timeline),
        read_rtt=_read_round_trip(port, admin, month),
        queue_early=watch.at(timeline.started + early_s),
        queue_late=watch.at(timeline.started + late_s),
        early_s=early_s,
        late_s=late_s,
        redis_cpu_s=cpu,
        events=len(timeline.sent) * batch,
        samples=list(watch.samples),
        other_cores=other_cores,
    )


def _verify(env: dict[str, str], month: str) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_live_pools", month], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return done.returncode == 0, verdict


def _verify_when(settled: bool, env: dict[str, str], month: str, options: "Options") -> tuple[bool, str]:
    """Verify once every batch is applied; before, estimates lag by design (not an error)."""
    if not settled:
        return True, f"not checked: the queue did not empty within {options.drain_timeout:.0f} s"
    return _verify(env, month)


# --- Runs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    size: prefill.Size
    rate: int
    seconds: int
    batch: int
    concurrency: int
    backlog: int
    senders: int
    steady_senders: int
    drain_timeout: float
    quick: bool

    @property
    def command(self) -> str:
        words = ["python -m bench.live", *(["--quick"] if self.quick else []), f"--plays {self.size.plays}"]
        if self.size.plays:
            words += [
                f"--listeners {self.size.listeners}",
                f"--backlog {self.backlog}",
                f"--senders {self.senders}",
            ]
        words += [f"--rate {self.rate}", f"--seconds {self.seconds}", f"--batch {self.batch}"]
        words += [f"--steady-senders {self.steady_senders}", f"--concurrency {self.concurrency}"]
        return " ".join(words)


def run(options: Options, output: Path | None) -> int:
    if not options.size.plays:
        return run_empty_month(options, output)
    return run_month(options, output)


def run_empty_month(options: Options, output: Path | None) -> int:
    """The run before the prefill: an empty month, the steady rate only."""
    load = os.getloadavg()[0]
    with private_redis() as redis_url:
        recreate_database(DATABASE_URL)
        env = service_env(DATABASE_URL)
        env["REDIS_URL"] = redis_url
        manage("migrate", "--no-input", env=env)
        month = prefill.this_month(datetime.now(UTC)).strftime("%Y-%m")
        with live_worker(env, concurrency=options.concurrency, log=WORKER_LOG) as worker_ready:
            ingest = create_token(name="bench-ingest", role="ingest", env=env)
            admin = create_token(name="bench-admin", role="admin", env=env)
            bodies = _empty_month_bodies(options.rate * options.seconds // options.batch, options.batch)
            with running_service(GUNICORN, env) as service, QueueWatch(DATABASE_URL) as watch:
                _upload(service.port, admin, _empty_month_catalog())
                worker_ready()
                steady = _steady(
                    service.port, admin=admin, ingest=ingest, month=month, bodies=bodies, options=options,
                    watch=watch, redis_url=redis_url,
                )  # fmt: skip
                settled = watch.wait_empty(options.drain_timeout) is not None
        verified, verdict = _verify_when(settled, env, month, options)
    rows = _steady_rows(steady, options)
    rows.append(("estimates vs exact recomputation", verdict, ""))
    table = _markdown(rows)
    print(table)
    errors = steady.timeline.errors
    if errors:
        print(f"{len(errors)} failed requests, e.g. {errors[0]}", file=sys.stderr)
    ok = not errors and verified
    Result(name="live", command=options.command, headlines=_freshness_headlines(steady, ""), ok=ok).save()
    if output is not None:
        body = (
            f"{_measured(load)}\n"
            f"Command: `{options.command}`: an empty month (2,000 tracks uploaded over the API, no plays "
            f"before the clock starts); gunicorn {GUNICORN.label}, one Celery worker (concurrency "
            f"{options.concurrency}) on the `live` queue, a redis-server of the benchmark's own, "
            "PostgreSQL and the load generator on the same cores. Goal: p50 < "
            f"{GOAL_P50_S} s, p95 < {GOAL_P95_S:.0f} s, the queue does not grow, and every estimate equal "
            "to an exact recomputation within its bound plus 0.0001.\n\n" + table
        )
        update_doc_section(
            output, name="live", title="Live estimates: event-to-estimate freshness", body=body
        )
    return 0 if ok else 1


def run_month(options: Options, output: Path | None) -> int:
    """The prefilled month: (a) the backlog, then (b) the steady rate."""
    load = os.getloadavg()[0]
    size = options.size
    with private_redis() as redis_url:
        recreate_database(DATABASE_URL)
        env = service_env(DATABASE_URL)
        env["REDIS_URL"] = redis_url
        manage("migrate", "--no-input", env=env)
        month = prefill.Month(size)
        label = f"{month.month:%Y-%m}"
        print(f"prefill: {size.label}; {month.depth_summary()}", flush=True)
        loaded = prefill.load(DATABASE_URL, month)
        print(f"prefill: COPY {loaded.events:,} events in {loaded.seconds:.1f} s", flush=True)
        rebuilt = prefill.rebuild(env, month, redis_url=redis_url)
        print(f"prefill: rebuild_live_pools in {rebuilt.seconds:.1f} s ({rebuilt.output})", flush=True)
        ingest = create_token(name="bench-ingest", role="ingest", env=env)
        admin = create_token(name="bench-admin", role="admin", env=env)
        stamp = prefill.recent_stamp()
        backlog_bodies, listeners = [], 0
        for events in month.traffic(options.backlog // prefill.BATCH, prefill.BATCH, stamp=stamp):
            backlog_bodies.append(orjson.dumps(events))
            listeners += len({event["listener"] for event in events})
        distinct = listeners / max(1, len(backlog_bodies))  # different listeners per batch, on average
        steady_bodies = _month_bodies(month, options.rate * options.seconds // options.batch, options.batch)
        with running_service(GUNICORN, env) as service, QueueWatch(DATABASE_URL) as watch:
            _upload(service.port, admin, [_probe_track()])
            cpu = redis_cpu_s(redis_url)
            ingested = _send_fast(service.port, ingest, backlog_bodies, options.senders)
            broker_cpu = redis_cpu_s(redis_url) - cpu
            print(f"(a) {ingested.events:,} events over HTTP in {ingested.seconds:.1f} s "
                  f"({ingested.rate:,.0f}/s); the worker starts", flush=True)  # fmt: skip
            time.sleep(2 * watch.every)  # a sample of the whole backlog before the worker starts
            initial = watch.last
            with live_worker(env, concurrency=options.concurrency, log=WORKER_LOG):
                launched, cpu, other = time.monotonic(), redis_cpu_s(redis_url), OtherWork(service.database)
                drained = watch.wait_empty(options.drain_timeout)
                ended = drained or time.monotonic()
                backlog = Backlog(
                    ingested=ingested,
                    broker_cpu_s=broker_cpu,
                    launched=launched,
                    began=_backlog_whole_until(watch.samples, initial, launched),
                    drained=drained,
                    ended=ended,
                    apply_cpu_s=redis_cpu_s(redis_url) - cpu,
                    samples=list(watch.samples),
                    other_cores=other.cores(),
                )
                print(f"(a) applied {backlog.applied:,.0f} events at {backlog.rate:,.0f}/s"
                      f"{'' if drained else ' (not drained)'}; (b) steady rate", flush=True)  # fmt: skip
                steady = _steady(
                    service.port, admin=admin, ingest=ingest, month=label, bodies=steady_bodies,
                    options=options, watch=watch, redis_url=redis_url,
                )  # fmt: skip
                settled = watch.wait_empty(options.drain_timeout) is not None
        verified, verdict = _verify_when(settled, env, label, options)
    rows = _month_rows(month, loaded, rebuilt, backlog, options) + _steady_rows(steady, options)
    rows.append(("estimates vs exact recomputation, once the queue is empty", verdict, ""))
    table = _markdown(rows)
    print(table)
    errors = ingested.errors + steady.timeline.errors
    if errors:
        print(f"{len(errors)} failed requests, e.g. {errors[0]}", file=sys.stderr)
    ok = not errors and verified
    headlines = _month_headlines(loaded, rebuilt, backlog, size) + _freshness_headlines(
        steady, f", month at {size.plays:,} plays/listener"
    )
    result = prefill.result_name("live", size, quick=options.quick)
    Result(name=result, command=options.command, headlines=headlines, ok=ok).save()
    if output is not None:
        body = (
            f"{_measured(load)}\n"
            f"Command: `{options.command}`: the month holds {size.label} before the clock starts "
            f"(bench/prefill.py); gunicorn {GUNICORN.label}, one Celery worker (concurrency "
            f"{options.concurrency}) on the `live` queue, a redis-server of the benchmark's own (broker and "
            "live pools: its CPU is theirs), PostgreSQL and the load generator on the same cores. (a) With "
            f"the worker stopped, {options.backlog:,} events in interleaved batches of {prefill.BATCH:,} "
            f"(plays of {distinct:,.0f} different prefilled listeners each on average, the heavier "
            "listeners playing more) are sent over HTTP by "
            f"{options.senders} threads as fast as they are answered; then the worker starts and absorbs "
            "them. (b) Then "
            f"{options.rate:,} events/s for {options.seconds} s in batches of {options.batch}, each with one "
            "play of a probe track whose artist's `earnings` is polled. The queue: events accepted whose "
            "ingestion batch is not applied yet (PostgreSQL). Goals: the live path absorbs at least "
            f"{GOAL_APPLY_SHARE:.0%} of the HTTP ingestion rate; at the steady rate freshness p95 < "
            f"{GOAL_P95_S:.0f} s (p50 < {GOAL_P50_S} s) and the queue at the end at most "
            f"{GOAL_QUEUE_GROWTH:,} events above its depth at 10 s.\n\n" + table
        )
        name = (
            "live-month"
            if size.plays == prefill.size(quick=options.quick).plays
            else f"live-month-{size.plays}"
        )
        title = f"Live estimates in a month at {size.plays:,} plays per listener: backlog and freshness"
        update_doc_section(output, name=name, title=title, body=body)
    return 0 if ok else 1


# --- Figures ----------------------------------------------------------------------------------


def _measured(load: float) -> str:
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {source_revision()} on "
        f"{machine_summary()}; load average {load:.2f} when the run started (anything else "
        "running on the cores lowers every figure)."
    )


def _ms(seconds: float) -> str:
    return "never seen" if math.isinf(seconds) else f"{seconds * 1000:,.0f} ms"


def _month_rows(
    month: prefill.Month, loaded: prefill.Loaded, rebuilt: prefill.Rebuilt, backlog: Backlog, options: Options
) -> list[tuple[str, str, str]]:
    ingested = backlog.ingested
    share = backlog.rate / ingested.rate if ingested.rate else 0.0
    drained = (
        f"empty {backlog.drained - backlog.began:.1f} s after the first batch applied"
        if backlog.drained
        else f"not empty after {options.drain_timeout:.0f} s"
    )
    end = backlog.ended
    return [
        ("prefill: the month before the clock starts", month.depth_summary(), ""),
        (
            "prefill: COPY into PostgreSQL (with the event indexes rebuilt)",
            f"{loaded.seconds:.1f} s, {loaded.rate:,.0f} events/s",
            "",
        ),
        (
            "prefill: `manage.py rebuild_live_pools`",
            f"{rebuilt.seconds:.1f} s, {rebuilt.rate(loaded.events):,.0f} events/s, Redis CPU "
            f"{rebuilt.cpu_ms_per_1000(loaded.events):,.1f} ms per 1,000",
            f"COPY {loaded.rate:,.0f} events/s",
        ),
        (
            "(a) backlog over HTTP, worker stopped",
            f"{ingested.events:,} events in {ingested.seconds:.1f} s: {ingested.rate:,.0f} events/s",
            f"Redis CPU (broker) {backlog.broker_cpu_ms_per_1000:,.1f} ms per 1,000",
        ),
        (
            "(a) live apply from the backlog",
            f"{backlog.rate:,.0f} events/s ({backlog.applied:,.0f} in {backlog.seconds:.1f} s; {drained})",
            f"HTTP ingestion {ingested.rate:,.0f} events/s: {share:.1%} (goal >= {GOAL_APPLY_SHARE:.0%}: "
            f"{met(share >= GOAL_APPLY_SHARE)})",
        ),
        (
            "(a) live apply, first 10 s → last 10 s",
            f"{backlog.first_10s:,.0f} → {backlog.last_10s:,.0f} events/s",
            f"worker start to its first batch: {backlog.began - backlog.launched:.1f} s",
        ),
        (
            "(a) Redis CPU per 1,000 events applied",
            f"{backlog.cpu_ms_per_1000:,.1f} ms",
            f"rebuild {rebuilt.cpu_ms_per_1000(loaded.events):,.1f} ms per 1,000",
        ),
        (
            "(a) other work on the machine meanwhile (not this benchmark's)",
            f"{backlog.other_cores:.2f} of {CORES} cores",
            "",
        ),
        (
            "(a) queue depth (events) from the first batch applied",
            prefill.depth_timeline(backlog.samples, backlog.began, end),
            "",
        ),
    ]


def _steady_rows(steady: Steady, options: Options) -> list[tuple[str, str, str]]:
    timeline, latencies = steady.timeline, steady.latencies
    seen = [x for x in latencies if not math.isinf(x)]
    baseline = f"{steady.read_rtt * 1000:.1f} ms (one earnings read)"
    sending = timeline.finished - timeline.started
    return [
        (
            "(b) events accepted over HTTP",
            f"{steady.events:,} in {sending:.1f} s: {steady.events / sending:,.0f}/s",
            f"target {options.rate:,}/s",
        ),
        ("(b) batches visible in earnings", f"{len(seen):,} of {len(timeline.sent):,}", ""),
        ("(b) 202 → visible, p50", _ms(percentile(latencies, 0.5)), baseline),
        ("(b) 202 → visible, p95", _ms(percentile(latencies, 0.95)), baseline),
        ("(b) 202 → visible, max seen", _ms(max(seen, default=float("nan"))), ""),
        (
            f"(b) queue depth at {steady.early_s:.0f} s → {steady.late_s:.0f} s (events)",
            f"{steady.queue_early:,.0f} → {steady.queue_late:,.0f}",
            f"goal: at most {GOAL_QUEUE_GROWTH:,} more: {met(steady.queue_kept_up)}",
        ),
        (
            "(b) other work on the machine meanwhile (not this benchmark's)",
            f"{steady.other_cores:.2f} of {CORES} cores",
            "",
        ),
        (
            "(b) queue depth (events) while sending",
            prefill.depth_timeline(steady.samples, timeline.started, timeline.finished),
            "",
        ),
        (
            "(b) Redis CPU per 1,000 events (broker, live pools, probe reads)",
            f"{steady.cpu_ms_per_1000:,.1f} ms",
            "",
        ),
    ]


def _markdown(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measure | value | beside it, same run |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def _freshness_headlines(steady: Steady, where: str) -> list[Headline]:
    rows = []
    for name, q, goal in (("p50", 0.5, GOAL_P50_S), ("p95", 0.95, GOAL_P95_S)):
        value = percentile(steady.latencies, q)
        measure = f"Event-to-estimate freshness{where}, {name} (202 to visible in earnings)"
        verdict = f"< {goal} s: {met(value < goal)}"
        if math.isinf(value):
            rows.append(Headline(measure=measure, value="never seen", baseline=f"one earnings read "
                                 f"{steady.read_rtt * 1000:,.1f} ms", goal=verdict))  # fmt: skip
        else:
            rows.append(
                Headline.latency(
                    measure, 1000 * value, baseline="one earnings read", baseline_ms=1000 * steady.read_rtt,
                    goal=verdict,
                )
            )  # fmt: skip
    rows.append(
        Headline(
            measure=f"Live queue at {steady.late_s:.0f} s of the steady rate{where} (events)",
            value=f"{steady.queue_late:,.0f}",
            baseline=f"at {steady.early_s:.0f} s: {steady.queue_early:,.0f}",
            goal=f"at most {GOAL_QUEUE_GROWTH:,} more: {met(steady.queue_kept_up)}",
        )
    )
    return rows


def _month_headlines(
    loaded: prefill.Loaded, rebuilt: prefill.Rebuilt, backlog: Backlog, size: prefill.Size
) -> list[Headline]:
    ingest = backlog.ingested.rate
    share = backlog.rate / ingest if ingest else 0.0
    rebuild_cpu = rebuilt.cpu_ms_per_1000(loaded.events)
    where = f"month at {size.plays:,} plays/listener"
    return [
        Headline(
            measure=f"Live apply from a backlog, {where} (events/s)",
            value=f"{backlog.rate:,.0f}",
            baseline=f"HTTP ingestion {ingest:,.0f} events/s",
            versus=f"{share:.1%}",
            goal=f">= {GOAL_APPLY_SHARE:.0%} of ingestion: {met(share >= GOAL_APPLY_SHARE)}",
        ),
        Headline(
            measure=f"Live apply, first → last 10 s of the backlog, {where} (events/s)",
            value=f"{backlog.first_10s:,.0f} → {backlog.last_10s:,.0f}",
            baseline=f"HTTP ingestion {ingest:,.0f} events/s",
        ),
        Headline(
            measure=f"Redis CPU per 1,000 events applied, {where}",
            value=f"{backlog.cpu_ms_per_1000:,.1f} ms",
            baseline=f"rebuild {rebuild_cpu:,.1f} ms",
            versus=f"{backlog.cpu_ms_per_1000 / rebuild_cpu:,.1f}x" if rebuild_cpu else "",
        ),
        Headline(
            measure=f"`rebuild_live_pools` of the prefill, {loaded.events:,} events (events/s)",
            value=f"{rebuilt.rate(loaded.events):,.0f}",
            baseline=f"COPY prefill {loaded.rate:,.0f} events/s",
            versus=f"{rebuilt.rate(loaded.events) / loaded.rate:.1%}" if loaded.rate else "",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    prefill.add_size_arguments(parser)
    parser.add_argument(
        "--backlog", type=int, help=f"events of phase (a) (default {BACKLOG:,}, --quick {QUICK_BACKLOG:,})"
    )
    parser.add_argument("--senders", type=int, default=SENDERS, help="threads sending the backlog")
    parser.add_argument("--drain-timeout", type=float, help=f"seconds to wait for the queue to empty "
                        f"(default {DRAIN_TIMEOUT_S}, --quick {QUICK_DRAIN_TIMEOUT_S})")  # fmt: skip
    parser.add_argument("--rate", type=int, default=5000, help="events per second of phase (b)")
    parser.add_argument(
        "--steady-senders", type=int, default=STEADY_SENDERS, help="threads sending at the rate of phase (b)"
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=250, help="events per request in phase (b)")
    parser.add_argument(
        "--concurrency", type=int, default=LIVE_WORKER_PROCESSES, help="the live worker's processes"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"a small prefill, {QUICK_SECONDS} s instead of 60"
    )
    parser.add_argument(
        "--output", type=Path, help="default docs/benchmarks.md; with --quick bench/results/quick.md"
    )
    parser.add_argument("--no-output", action="store_true", help="print only; write no report")
    args = parser.parse_args()
    if not 2 <= args.batch <= 1000 or min(args.senders, args.steady_senders) < 1:
        parser.error("--batch from 2 to 1000; --senders and --steady-senders at least 1.")
    options = Options(
        size=prefill.size_from(args),
        rate=args.rate,
        seconds=QUICK_SECONDS if args.quick else args.seconds,
        batch=args.batch,
        concurrency=args.concurrency,
        backlog=args.backlog or (QUICK_BACKLOG if args.quick else BACKLOG),
        senders=args.senders,
        steady_senders=args.steady_senders,
        drain_timeout=args.drain_timeout or (QUICK_DRAIN_TIMEOUT_S if args.quick else DRAIN_TIMEOUT_S),
        quick=args.quick,
    )
    output = None if args.no_output else args.output or default_output(args.quick)
    try:
        status = run(options, output)
    except BenchError as exc:
        print(f"bench.live: {exc}", file=sys.stderr)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
