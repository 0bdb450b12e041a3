"""Dashboard API latency for an artist with 100,000 fans, against floors measured in the same run.

    python -m bench.dashboard [--quick] [--fans N] [--output FILE | --no-output]

On a fresh PostgreSQL database (BENCH_DASHBOARD_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/kalipxo_bench_dash) and a Redis database of its own
(BENCH_DASHBOARD_REDIS_URL, default db 11, flushed first):

1. Two months are loaded with COPY: last month and this month up to a minute ago. In each,
   one artist (`star`, 8 tracks) is played by the same N listeners (100,000; 5,000 with
   --quick), each 1 to 4 times, beside N/4 listeners who never play it and other artists'
   tracks (2 each) played by everyone; some plays are too short to count.
2. Last month's payout run is computed and finalized (`manage.py payout_run --in-process
   --finalize`); this month's live pools are rebuilt in Redis (`manage.py rebuild_live_pools`).
3. The service runs under gunicorn (2 workers x 2 threads, as in bench.load). One client
   reads with the artist's token, one request at a time on a new connection each (the
   dashboard polls every 4 s, longer than gunicorn keeps a connection open): earnings and
   top fans of this month (live, from Redis) and of last month (final, from the run), and
   the dashboard page with the artist's login. Requests go round-robin; an endpoint stops
   after its rounds or its time budget, whichever comes first.

Baselines from the same run: the HTTP floor, the same request refused at its `month`
parameter (token, artist lookup and access check, no data read); for the page, the landing
page with the same login. The data floor: the Redis commands or one SQL statement that
fetch the same figures, timed from this process without HTTP; their figures must equal
the API's.

Exit status: 0 when every answer was as expected, 1 otherwise.
"""

import argparse
import http.client
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg
import redis

from bench.bulk import (
    copy_artists,
    copy_events,
    copy_listeners,
    copy_revenue,
    copy_tracks,
    events_unindexed,
    timestamp,
)
from bench.common import (
    BenchError,
    GunicornConfig,
    Headline,
    Result,
    bench_targets,
    default_output,
    machine_summary,
    manage,
    markdown_table,
    percentile,
    postgres_version,
    recreate_database,
    redis_version,
    running_service,
    service_env,
    source_revision,
    text_table,
    update_doc_section,
)

DATABASE_URL, REDIS_URL = bench_targets("dashboard", database="kalipxo_bench_dash", redis_db=11)
GUNICORN = GunicornConfig(workers=2, threads=2)
STAR = "star"
STAR_TRACKS = 8
FANS_SHOWN = 10  # the API's default `limit`, what the dashboard shows
SHORT_RATE = 0.05  # plays of other artists' tracks too short to count
WARMUP = 2  # unmeasured requests per endpoint first, so both workers have likely served it
MIN_SAMPLES = 5
TIMEOUT_S = 120.0
UNITS = 10**9  # live amounts in Redis are integers of 1e-9 currency units
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Size:
    fans: int  # listeners of the star, in both months
    others: int  # listeners who never play the star
    artists: int  # other artists, two tracks each
    rounds: int  # requests per endpoint at most
    budget_s: float  # seconds of requests per endpoint at most: slow endpoints get fewer


FULL = Size(fans=100_000, others=25_000, artists=2_000, rounds=300, budget_s=30.0)
QUICK = Size(fans=5_000, others=1_250, artists=300, rounds=30, budget_s=1.0)


# --- The data ----------------------------------------------------------------------------


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def played_seconds(month: date, now: datetime) -> int:
    """How much of `month` has plays: all of a past month, up to a minute ago for this one."""
    end = min(month_start(add_months(month, 1)), now - timedelta(minutes=1))
    return max(1, int((end - month_start(month)).total_seconds()))


@dataclass(frozen=True)
class Catalog:
    star: list[str]
    others: list[str]
    listeners: list[str]  # the star's fans first

    @classmethod
    def make(cls, size: Size) -> "Catalog":
        return cls(
            star=[f"QZSTR{n:07d}" for n in range(1, STAR_TRACKS + 1)],
            others=[f"QZOTH{n:07d}" for n in range(1, 2 * size.artists + 1)],
            listeners=[f"F{n:07d}" for n in range(size.fans)] + [f"O{n:07d}" for n in range(size.others)],
        )

    def is_fan(self, listener: str) -> bool:
        return listener.startswith("F")

    @staticmethod
    def tier(index: int) -> str:
        return "free" if index % 5 == 0 else "premium"


def _month_events(catalog: Catalog, month: date, span: int, rng: random.Random) -> Iterator[str]:
    """A month of plays: each fan plays the star 1 to 4 times, everyone plays other tracks.

    Other tracks are picked with a skew (a few popular, a long tail); only those plays are
    ever too short, so the star has exactly as many listeners as there are fans.
    """
    n = 0
    others = catalog.others
    others_set = set(others)
    for index, listener in enumerate(catalog.listeners):
        picks = rng.choices(catalog.star, k=rng.randint(1, 4)) if catalog.is_fan(listener) else []
        other_plays = rng.randint(0, 12) if picks else rng.randint(1, 15)
        picks += [others[int(len(others) * rng.random() ** 2)] for _ in range(other_plays)]
        tail = f"US\t{Catalog.tier(index)}\td{listener}\n"  # country, tier, device
        for isrc in picks:
            ms = 10_000 if isrc in others_set and rng.random() < SHORT_RATE else 180_000
            when = timestamp(month, int(rng.random() * span))
            yield f"{month:%y%m}-{n}\t{listener}\t{isrc}\t{when}\t{ms}\t{tail}"
            n += 1


def _revenue(catalog: Catalog, month: date, rng: random.Random) -> Iterator[str]:
    """Last month's revenue: a subscription for premium listeners, a little ad money for free ones."""
    for index, listener in enumerate(catalog.listeners):
        if Catalog.tier(index) == "premium":
            yield f"r{listener}\t{listener}\t{month}\tsubscription\tpremium\tUS\t14.99\t0\t0.30\n"
        else:
            yield f"r{listener}\t{listener}\t{month}\tads\tfree\tUS\t{rng.randint(5, 150) / 100:.2f}\t0\t0\n"


def load_months(url: str, size: Size, *, last: date, this: date, now: datetime) -> None:
    """The catalog, the listeners, last month's revenue and both months' plays, with COPY."""
    rng = random.Random(2026)
    catalog = Catalog.make(size)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        artists = [f"B{n:05d}" for n in range(size.artists)]
        copy_artists(conn, [STAR, *artists])
        copy_tracks(conn, [(isrc, STAR) for isrc in catalog.star])
        copy_tracks(conn, [(isrc, artists[i // 2]) for i, isrc in enumerate(catalog.others)])
        copy_listeners(conn, catalog.listeners)
        copy_revenue(conn, _revenue(catalog, last, rng))
        with events_unindexed(conn):
            for month in (last, this):
                copy_events(conn, _month_events(catalog, month, played_seconds(month, now), rng))


def credentials(env: dict[str, str]) -> tuple[str, str]:
    """An artist token for the star and a logged-in session of its dashboard login."""
    script = (
        "from django.conf import settings\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        "from artists.models import PortalAccount\n"
        "from artists.tokens import api_client_create\n"
        f"print('token', api_client_create(name='dash-star', role='artist', artist_id='{STAR}')[1])\n"
        "user = get_user_model().objects.create_user('star-login')\n"
        f"PortalAccount.objects.create(user=user, artist_id='{STAR}')\n"
        "client = Client()\n"
        "client.force_login(user)\n"
        "name = settings.SESSION_COOKIE_NAME\n"
        "print('cookie', name + '=' + client.cookies[name].value)\n"
    )
    found = dict(
        line.split(" ", 1) for line in manage("shell", "-c", script, env=env).splitlines() if " " in line
    )
    if "token" not in found or "cookie" not in found:
        raise BenchError("could not create the star's token and login")
    return found["token"], found["cookie"]


@dataclass(frozen=True)
class Setup:
    env: dict[str, str]
    token: str
    cookie: str
    last: date
    this: date
    seconds: dict[str, float]  # what each step took


def prepare(size: Size) -> Setup:
    now = datetime.now(UTC)
    this = now.date().replace(day=1)
    last = add_months(this, -1)
    recreate_database(DATABASE_URL)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = service_env(DATABASE_URL)
    env["REDIS_URL"] = REDIS_URL
    seconds: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("migrate", lambda: manage("migrate", "--no-input", env=env)),
        ("load both months", lambda: load_months(DATABASE_URL, size, last=last, this=this, now=now)),
        (
            f"payout run of {last:%Y-%m}",
            lambda: manage(
                "payout_run", f"{last:%Y-%m}", "--in-process", "--finalize", env=env, timeout=3600
            ),
        ),
        (
            f"live pools of {this:%Y-%m}",
            lambda: manage("rebuild_live_pools", f"{this:%Y-%m}", env=env, timeout=3600),
        ),
    ]
    for name, step in steps:
        began = time.monotonic()
        step()
        seconds[name] = time.monotonic() - began
        print(f"  {name}: {seconds[name]:.1f} s", flush=True)
    token, cookie = credentials(env)
    return Setup(env=env, token=token, cookie=cookie, last=last, this=this, seconds=seconds)


# --- Requests ----------------------------------------------------------------------------------


@dataclass
class Probe:
    """One request, repeated: its latencies and anything unexpected it answered."""

    name: str
    path: str
    headers: dict[str, str]
    status: int = 200
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    body: bytes = b""  # the last answer, for the checks
    first: float = 0.0  # the first request of all: cold caches in the worker that served it

    def ms(self, q: float) -> float:
        return 1000 * percentile(self.times, q)

    def json(self) -> Any:
        return orjson.loads(self.body)


def fetch(port: int, probe: Probe) -> float:
    """One request on a new connection; its latency, the answer kept on the probe."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    began = time.perf_counter()
    try:
        conn.request("GET", probe.path, headers=probe.headers)
        answer = conn.getresponse()
        probe.body = answer.read()
    except (OSError, http.client.HTTPException) as exc:
        probe.failures.append(f"{probe.name}: {exc!r}")
        return 0.0
    finally:
        conn.close()
    if answer.status != probe.status:
        probe.failures.append(f"{probe.name}: HTTP {answer.status} {probe.body[:200]!r}")
    return time.perf_counter() - began


def measure(port: int, probes: Sequence[Probe], size: Size) -> None:
    """Warm up, then round-robin until each probe has its rounds or has used its time budget."""
    for probe in probes:
        probe.first = fetch(port, probe)
        for _ in range(WARMUP - 1):
            fetch(port, probe)
    for _ in range(size.rounds):
        active = [p for p in probes if len(p.times) < MIN_SAMPLES or sum(p.times) < size.budget_s]
        if not active:
            break
        for probe in active:
            probe.times.append(fetch(port, probe))


@dataclass(frozen=True)
class Reads:
    """The dashboard's reads of one month, and the request that stops short of the data."""

    earnings: Probe
    fans: Probe


def api_probes(setup: Setup) -> tuple[Probe, list[Reads]]:
    auth = {"Authorization": f"Bearer {setup.token}"}
    base = f"/api/v1/artists/{STAR}"
    floor = Probe("HTTP floor: earnings refused at ?month=", f"{base}/earnings?month=none", auth, 400)
    months = []
    for label, month in (("this month, live", setup.this), ("last month, final", setup.last)):
        months.append(
            Reads(
                earnings=Probe(f"earnings, {label}", f"{base}/earnings?month={month:%Y-%m}", auth),
                fans=Probe(f"top {FANS_SHOWN} fans, {label}", f"{base}/fans?month={month:%Y-%m}", auth),
            )
        )
    return floor, months


# --- Data floors: the same figures without HTTP ----------------------------------------------


@dataclass
class DataFloor:
    """A direct read of the figures one endpoint shows, timed, and what it read."""

    name: str
    times: list[float] = field(default_factory=list)
    value: Any = None

    @classmethod
    def timed(cls, name: str, read: Callable[[], Any], size: Size) -> "DataFloor":
        """`read` after its warm-up, as often as the size allows; keeps what it read last."""
        floor = cls(name)
        for _ in range(WARMUP):
            read()
        while len(floor.times) < MIN_SAMPLES or (
            len(floor.times) < size.rounds and sum(floor.times) < size.budget_s
        ):
            began = time.perf_counter()
            floor.value = read()
            floor.times.append(time.perf_counter() - began)
        return floor

    def ms(self, q: float) -> float:
        return 1000 * percentile(self.times, q)


def _live_pricing() -> Any:
    """This process's view of the live pools (streams/live/pricing.py), on the bench's Redis,
    computing at every read: the floor is the computation, not a shared copy of it."""
    os.environ["REDIS_URL"] = os.environ["LIVE_REDIS_URL"] = REDIS_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalipxo.settings_test")
    import django

    django.setup()
    from django.conf import settings

    from streams.live import pricing, store

    settings.LIVE_REDIS_URL = REDIS_URL
    settings.LIVE_READ_CACHE_SECONDS = 0
    store.reset_client()
    return pricing


def live_earnings(pricing: Any, month: date) -> int:
    """What the live earnings read computes: the artist's money from its listeners, over the
    16 shards (streams/live/artist.lua), and its streams."""
    return int(pricing.read_artist(month=month, artist_id=STAR).streams)  # to check against the API


def live_fans(pricing: Any, month: date) -> list[tuple[Decimal, int]]:
    """What the live top-fans read computes: the same pass, keeping the top fans."""
    money = pricing.artist_money(month=month, artist_id=STAR, fans=FANS_SHOWN)
    return [((Decimal(units) / UNITS).quantize(CENT), streams) for _, units, streams in money.fans]


FINAL_EARNINGS_SQL = """
SELECT r.streams, r.listeners, r.gross_exact, r.pro_rata_minor, p.amount_minor
FROM payouts_payoutrun run
JOIN payouts_artistresult r ON r.run_id = run.id AND r.artist = %(artist)s
LEFT JOIN payouts_payeeresult p ON p.run_id = run.id AND p.payee = %(artist)s
WHERE run.month = %(month)s AND run.status = 'finalized'
"""

# The top fans of a finalized month in one statement, from the raw tables as the run saw
# them: plays up to its cut, revenue recorded by its cut, rejected listeners left out.
FINAL_FANS_SQL = """
WITH run AS (
    SELECT id, cutoff_event_id, cutoff_revenue_at, (policy->>'min_play_ms')::int AS min_ms,
           (policy->>'rights_share')::numeric AS share
    FROM payouts_payoutrun WHERE month = %(month)s AND status = 'finalized'
), mine AS (
    SELECT t.isrc FROM payouts_runtrack t JOIN run ON t.run_id = run.id WHERE t.artist = %(artist)s
), counted AS (
    SELECT e.listener_id, e.isrc IN (SELECT isrc FROM mine) AS star
    FROM streams_streamevent e, run
    WHERE e.started_at >= %(start)s AND e.started_at < %(end)s AND e.duration_ms >= run.min_ms
      AND e.id <= run.cutoff_event_id
      AND e.listener_id NOT IN (
          SELECT h.listener_id FROM payouts_hold h WHERE h.run_id = run.id AND h.decision = 'reject')
), fans AS (
    SELECT listener_id, count(*) FILTER (WHERE star) AS mine, count(*) AS total
    FROM counted GROUP BY listener_id HAVING bool_or(star)
), pools AS (
    SELECT r.listener_id, sum(r.gross - r.tax - r.fees) * run.share AS pool
    FROM streams_revenuerecord r, run
    WHERE r.month = %(month)s AND r.created_at <= run.cutoff_revenue_at
    GROUP BY r.listener_id, run.share
)
SELECT coalesce(p.pool, 0) * f.mine / f.total AS amount, f.mine
FROM fans f LEFT JOIN pools p USING (listener_id)
ORDER BY amount DESC, f.listener_id LIMIT %(limit)s
"""


def final_earnings(conn: psycopg.Connection, month: date) -> int:
    row = conn.execute(FINAL_EARNINGS_SQL, {"artist": STAR, "month": month}).fetchone()
    return int(row[0]) if row else -1


def final_fans(conn: psycopg.Connection, month: date) -> list[tuple[Decimal, int]]:
    params = {
        "artist": STAR,
        "month": month,
        "start": month_start(month),
        "end": month_start(add_months(month, 1)),
        "limit": FANS_SHOWN,
    }
    return [
        (Decimal(amount).quantize(CENT), int(mine)) for amount, mine in conn.execute(FINAL_FANS_SQL, params)
    ]


def data_floors(setup: Setup, size: Size) -> list[DataFloor]:
    """Each endpoint's figures read straight from Redis or with one SQL statement."""
    pricing = _live_pricing()
    with psycopg.connect(DATABASE_URL) as conn:
        reads: list[tuple[str, Callable[[], Any]]] = [  # in the order of the API reads
            ("Redis: the artist's listeners priced, 16 shards", lambda: live_earnings(pricing, setup.this)),
            ("Redis: the same pass, with the top fans", lambda: live_fans(pricing, setup.this)),
            ("SQL: the run's stored results", lambda: final_earnings(conn, setup.last)),
            ("SQL: one statement ranking the fans", lambda: final_fans(conn, setup.last)),
        ]
        return [DataFloor.timed(name, read, size) for name, read in reads]


# --- Checks and report -------------------------------------------------------------------------


def _api_fans(probe: Probe) -> list[tuple[Decimal, int]]:
    return [(Decimal(fan["amount"]), int(fan["streams"])) for fan in probe.json()]


def check(months: list[Reads], floors: list[DataFloor], fans: int) -> list[str]:
    """The API's figures must equal the direct reads', and the star must have its fans."""
    problems = []
    for reads, earnings, top in ((months[0], floors[0], floors[1]), (months[1], floors[2], floors[3])):
        answer = reads.earnings.json()
        if answer.get("listeners") != fans:
            problems.append(f"{reads.earnings.name}: {answer.get('listeners')} listeners, expected {fans:,}")
        if answer.get("streams") != earnings.value:
            problems.append(
                f"{reads.earnings.name}: {answer.get('streams')} streams, {earnings.name} {earnings.value}"
            )
        api, direct = _api_fans(reads.fans), top.value
        if len(api) != FANS_SHOWN or any(
            abs(a[0] - d[0]) > CENT or a[1] != d[1] for a, d in zip(api, direct, strict=False)
        ):
            problems.append(
                f"{reads.fans.name}: the API showed {api[:3]}..., {top.name} read {direct[:3]}..."
            )
    return problems


@dataclass(frozen=True)
class Report:
    size: Size
    setup: Setup
    floor: Probe
    months: list[Reads]
    page: Probe
    landing: Probe
    floors: list[DataFloor]

    def rows(self) -> list[tuple[str, ...]]:
        header = (
            "read",
            "first ms",
            "requests",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "baseline p95 ms",
            "p95 / baseline",
            "data floor p50 ms",
        )
        rows: list[tuple[str, ...]] = [header]
        direct = iter(self.floors)
        for reads in self.months:
            for probe in (reads.earnings, reads.fans):
                rows.append(self._row(probe, self.floor, next(direct)))
        rows.append(self._row(self.floor, None, None))
        rows.append(self._row(self.page, self.landing, None))
        rows.append(self._row(self.landing, None, None))
        return rows

    @staticmethod
    def _row(probe: Probe, baseline: Probe | None, direct: DataFloor | None) -> tuple[str, ...]:
        base = baseline.ms(0.95) if baseline else 0.0
        return (
            probe.name,
            f"{1000 * probe.first:,.0f}",
            f"{len(probe.times):,}",
            f"{probe.ms(0.5):,.1f}",
            f"{probe.ms(0.95):,.1f}",
            f"{probe.ms(0.99):,.1f}",
            f"{base:,.1f}" if baseline else "",
            f"{probe.ms(0.95) / base:,.1f}x" if base else "",
            f"{direct.ms(0.5):,.2f} ({direct.name})" if direct else "",
        )

    def headlines(self) -> list[Headline]:
        pairs = [
            (f"Dashboard API, {p.name}", p, self.floor) for r in self.months for p in (r.earnings, r.fans)
        ]
        pairs.append(("Dashboard page", self.page, self.landing))
        return [
            Headline.latency(
                f"{measure}, {self.size.fans:,} fans, p95",
                probe.ms(0.95),
                baseline=f"{'HTTP floor' if baseline is self.floor else baseline.name} p95",
                baseline_ms=baseline.ms(0.95),
            )
            for measure, probe, baseline in pairs
        ]


def command(args: argparse.Namespace) -> str:
    """The command that measures the same thing: the size options only, never where it wrote."""
    return (
        "python -m bench.dashboard"
        + (" --quick" if args.quick else "")
        + (f" --fans {args.fans}" if args.fans else "")
    )


def markdown(report: Report, cmd: str, load: float) -> str:
    size, setup = report.size, report.setup
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in setup.seconds.items())
    return "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {source_revision()} on "
            f"{machine_summary()}; PostgreSQL {postgres_version(DATABASE_URL)} and Redis "
            f"{redis_version(REDIS_URL)} on the same machine; load average {load:.2f} when the run "
            "started. Command:",
            "",
            "```sh",
            cmd,
            "```",
            "",
            f"The artist `{STAR}` has {size.fans:,} fans in both months: last month (finalized by its "
            f"payout run) and this month (live pools in Redis), beside {size.others:,} other listeners and "
            f"{size.artists:,} other artists. Set up in {steps}. The service: gunicorn "
            f"{GUNICORN.label}; one client, one request at a time on a new connection each, "
            f"round-robin over the reads, each up to {size.rounds} requests or {size.budget_s:g} s.",
            "",
            markdown_table(report.rows()),
            "",
            "First: the very first request of each read, before its warm-up: a finalized month's "
            "top fans are ranked then (and cached per run and artist), and the page reads the "
            "month's streams per day from PostgreSQL (then shared between page loads for "
            "DASHBOARD_DAILY_CACHE_SECONDS); the rest of the page comes from the live pools. "
            "The percentiles come after the warm-up. "
            "Baselines, measured in the same run: for the API reads, the HTTP floor: the same "
            "earnings request refused at its `month` parameter, after the token, the artist lookup "
            "and the access check, before any data is read. For the page, the landing page with the "
            "same login. Data floor: the Redis commands or the one SQL statement that fetch the "
            "figures the endpoint shows, timed from the benchmark process without HTTP; the API's "
            "streams, listeners and top fans equal theirs.",
        ]
    )


def run(size: Size, *, cmd: str, output: Path | None) -> int:
    load = os.getloadavg()[0]
    print(f"Database {DATABASE_URL}, Redis {REDIS_URL}: {size.fans:,} fans", flush=True)
    setup = prepare(size)
    floor, months = api_probes(setup)
    page = Probe("dashboard page", f"/dashboard/{STAR}/", {"Cookie": setup.cookie})
    landing = Probe("landing page, same login", "/", {"Cookie": setup.cookie})
    with running_service(GUNICORN, setup.env) as service:
        probes = [floor, *(p for reads in months for p in (reads.earnings, reads.fans)), page, landing]
        measure(service.port, probes, size)
    floors = data_floors(setup, size)
    report = Report(size, setup, floor, months, page, landing, floors)
    print(text_table(report.rows()))
    problems = [f for p in probes for f in p.failures]
    problems += check(months, floors, size.fans) if not problems else []
    if problems:
        print("\nUnexpected answers; figures are not recorded:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in problems[:10]), file=sys.stderr)
        return 1
    Result(name="dashboard", command=cmd, headlines=report.headlines()).save()
    if output is not None:
        update_doc_section(
            output,
            name="dashboard",
            title="Dashboard reads: an artist with many fans",
            body=markdown(report, cmd, load),
        )
        print(f"\nWrote the dashboard section of {output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.fans:,} fans and fewer requests.")
    parser.add_argument("--fans", type=int, help=f"The star's fans (default {FULL.fans:,}).")
    parser.add_argument(
        "--output", type=Path, help="default docs/benchmarks.md; with --quick bench/results/quick.md"
    )
    parser.add_argument("--no-output", action="store_true", help="print only; write no report")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    if args.fans:
        size = Size(args.fans, max(1, args.fans // 4), size.artists, size.rounds, size.budget_s)
    output = None if args.no_output else args.output or default_output(args.quick)
    try:
        return run(size, cmd=command(args), output=output)
    except BenchError as exc:
        print(f"bench.dashboard: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
