"""A month already well under way, for the benchmarks that feed the live pools.

`bench.live` and `bench.load` measure the live path on top of a month that already holds
N plays per listener (by default a mid-month: 10,000 listeners × 200 plays on average),
not on an empty one, since a play costs the live pools more the more its listener has
played already. The month:

- a catalog of 10,000 tracks by 1,500 artists (some artists with many tracks), a third of
  the tracks split 70/30 between the artist and one of 50 label payees;
- 10,000 listeners: 85% premium (most with a recorded subscription, the rest priced at
  their plan's list price until billing reports), 15% free with small ad revenue;
- plays per listener heavy-tailed (log-normal, σ = 1) around the mean, each listener
  replaying a library of Zipf-popular tracks;
- the plays arrive interleaved, in batches of 1,000 plays of ~900 different listeners
  (an ingestion batch row each, applied), spread from the month's start to a few minutes
  ago: the benchmarks' month is the current one, the only kind the live path keeps open.

It is written straight into PostgreSQL with COPY (bench/bulk.py), then priced into Redis
by `manage.py rebuild_live_pools`, both timed. The traffic the benchmarks then send over
HTTP is drawn the same way (`Month.traffic`): plays of the prefilled listeners, from their
libraries, the heavier listeners more often.

`QueueWatch` samples what is accepted but not yet live (unapplied ingestion batches), for
the queue depth over time.
"""

import argparse
import math
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, pairwise
from typing import Any
from urllib.parse import urlsplit

import psycopg

from bench.bulk import (
    BATCHED_EVENT_COLUMNS,
    copy_artists,
    copy_batches,
    copy_events,
    copy_label_payees,
    copy_listeners,
    copy_revenue,
    copy_splits,
    copy_tracks,
    events_unindexed,
    follow_event_ids,
    timestamp,
)
from bench.common import ROOT, BenchError, redis_cpu_s

BATCH = 1_000  # plays per ingestion batch, in the prefill and the backlog
SPLIT_SHARE = ("0.700000", "0.300000")  # artist, label
PREMIUM_RATE = 0.85
REVENUE_RATE = 0.75  # premium listeners whose subscription billing has reported
ADS_RATE = 0.8  # free listeners with some ad revenue
COUNTRIES = (("US", "0"), ("GB", "0.20"), ("DE", "0.19"), ("BR", "0"), ("SE", "0.25"))
PREMIUM_PRICE = Decimal("14.99")
CARD_FEE = Decimal("0.30")
SIGMA = 1.0  # spread of plays per listener (log-normal)
DEPTH_CAP = 50  # no listener beyond 50 times the mean
RECENT_S = 600  # the prefill ends this long before now; the benchmarks' own plays come after


@dataclass(frozen=True)
class Size:
    listeners: int
    plays: int  # qualifying plays per listener, on average
    tracks: int
    artists: int
    labels: int

    @property
    def label(self) -> str:
        return (
            f"{self.listeners:,} listeners × {self.plays:,} plays on average, {self.tracks:,} tracks "
            f"by {self.artists:,} artists (a third split with one of {self.labels} labels)"
        )


FULL = Size(listeners=10_000, plays=200, tracks=10_000, artists=1_500, labels=50)
QUICK = Size(listeners=1_000, plays=50, tracks=2_000, artists=300, labels=10)


MONTH_END = 5  # the month's end holds this many times the mid-month's plays per listener


def size(
    *, quick: bool, plays: int | None = None, listeners: int | None = None, month_end: bool = False
) -> Size:
    """The prefill: the mid-month by default, `month_end` five times as deep (1,000 plays per
    listener at full size), `plays` any depth."""
    base = QUICK if quick else FULL
    if month_end and plays is None:
        plays = base.plays * MONTH_END
    return Size(
        listeners=listeners or base.listeners,
        plays=base.plays if plays is None else plays,
        tracks=base.tracks,
        artists=base.artists,
        labels=base.labels,
    )


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The prefill's options, the same for every benchmark that has one (see `size_from`)."""
    parser.add_argument(
        "--plays",
        type=int,
        help="plays per listener already in the month, on average "
        f"(default {FULL.plays}, --quick {QUICK.plays}; 0: an empty month)",
    )
    parser.add_argument(
        "--month-end",
        action="store_true",
        help=f"the month's end: {MONTH_END} times the default plays per listener "
        f"({FULL.plays * MONTH_END:,}, --quick {QUICK.plays * MONTH_END:,})",
    )
    parser.add_argument("--no-prefill", action="store_true", help="the same as --plays 0")
    parser.add_argument(
        "--listeners",
        type=int,
        help=f"prefilled listeners (default {FULL.listeners:,}, --quick {QUICK.listeners:,})",
    )


def size_from(args: argparse.Namespace) -> Size:
    """The prefill the options of `add_size_arguments` (and --quick) ask for."""
    plays = 0 if args.no_prefill else args.plays
    return size(quick=args.quick, plays=plays, listeners=args.listeners, month_end=args.month_end)


def result_name(base: str, prefilled: Size, *, quick: bool) -> str:
    """Where a benchmark leaves its headlines: `base` for the mid-month (and an empty month),
    `base-end` for the month's end (the names `python -m bench` reads), `base-N` for other
    depths."""
    default = size(quick=quick).plays
    if prefilled.plays in (0, default):
        return base
    return f"{base}-end" if prefilled.plays == default * MONTH_END else f"{base}-{prefilled.plays}"


def this_month(now: datetime) -> date:
    return date(now.year, now.month, 1)


class Month:
    """The synthetic month: catalog, audience, each listener's depth and library."""

    def __init__(self, size: Size, *, now: datetime | None = None, seed: int = 11) -> None:
        self.size = size
        self.now = now or datetime.now(UTC)
        self.month = this_month(self.now)
        self.random = random.Random(seed)
        rng = self.random
        self.artists = [f"pa-{n}" for n in range(size.artists)]
        self.labels = [f"PLBL{n:03d}" for n in range(size.labels)]
        self.isrcs = [f"QZPFL{n % 100:02d}{n // 100:05d}" for n in range(size.tracks)]
        # Every artist has a track; the rest go mostly to a few (a heavy tail of catalogs).
        artist_weights = list(accumulate(1 / (a + 1) ** 0.7 for a in range(size.artists)))
        self.track_artist = [
            t if t < size.artists else rng.choices(range(size.artists), cum_weights=artist_weights)[0]
            for t in range(size.tracks)
        ]
        # Zipf popularity over a shuffled catalog, so popular tracks are not one artist's.
        ranks = list(range(size.tracks))
        rng.shuffle(ranks)
        self.track_weight = [1 / (ranks[t] + 1) ** 0.9 for t in range(size.tracks)]
        popularity = list(accumulate(self.track_weight))
        self.listeners = [f"PL{n:06d}" for n in range(size.listeners)]
        self.premium = [rng.random() < PREMIUM_RATE for _ in self.listeners]
        self.country = [rng.choice(COUNTRIES) for _ in self.listeners]
        raw = [rng.lognormvariate(0, SIGMA) for _ in self.listeners]
        scale = size.plays / (sum(raw) / len(raw)) if size.plays else 0.0
        cap = max(1, DEPTH_CAP * size.plays)
        self.depth = [min(cap, max(1, round(r * scale))) if size.plays else 0 for r in raw]
        # A library of about a third as many tracks as plays: listeners replay what they like.
        self.library = [
            rng.choices(range(size.tracks), cum_weights=popularity, k=depth // 3 + 1) for depth in self.depth
        ]
        # Who plays next: the heavier listeners more often, as in real traffic.
        self.listener_weight = list(accumulate(raw))
        elapsed = (self.now - datetime(self.month.year, self.month.month, 1, tzinfo=UTC)).total_seconds()
        self.span = max(1, int(elapsed - min(RECENT_S, elapsed / 2)))  # prefill: [0, span) s into the month

    @property
    def plays(self) -> int:
        return sum(self.depth)

    def depth_summary(self) -> str:
        ordered = sorted(self.depth)
        if not ordered:
            return "no plays"
        return (
            f"{self.plays:,} plays; per listener median {ordered[len(ordered) // 2]:,}, "
            f"p99 {ordered[int(0.99 * len(ordered))]:,}, max {ordered[-1]:,}"
        )

    def splits(self) -> list[tuple[str, str, str]]:
        out = []
        for t, isrc in enumerate(self.isrcs):
            if t % 3 == 0:
                out.append((isrc, self.artists[self.track_artist[t]], SPLIT_SHARE[0]))
                out.append((isrc, self.labels[t % len(self.labels)], SPLIT_SHARE[1]))
        return out

    def artists_by_popularity(self) -> list[str]:
        """Artist ids, the most played first (their tracks' Zipf weights summed)."""
        weight = [0.0] * len(self.artists)
        for t, w in enumerate(self.track_weight):
            weight[self.track_artist[t]] += w
        return [self.artists[a] for a in sorted(range(len(self.artists)), key=lambda a: -weight[a])]

    def readers(self, count: int) -> list[str]:
        """`count` artists spread over the popularity ranks, the most popular one first."""
        ranked = self.artists_by_popularity()
        count = min(count, len(ranked))
        return [ranked[int(i * len(ranked) / count)] for i in range(count)]

    def _tier(self, listener: int) -> str:
        return "premium" if self.premium[listener] else "free"

    def event(self, listener: int, stamp: str) -> dict[str, Any]:
        """One play over the API: a track from the listener's library, started at `stamp`."""
        library = self.library[listener]
        return {
            "event_id": uuid.UUID(int=self.random.getrandbits(128), version=4).hex,
            "listener": self.listeners[listener],
            "isrc": self.isrcs[library[int(self.random.random() * len(library))]],
            "started_at": stamp,
            "duration_ms": 180_000,
            "country": self.country[listener][0],
            "tier": self._tier(listener),
        }

    def traffic(self, batches: int, size: int, *, stamp: str) -> Iterator[list[dict[str, Any]]]:
        """`batches` batches of `size` plays, interleaved: the listeners drawn by how much they play."""
        for _ in range(batches):
            who = self.random.choices(range(len(self.listeners)), cum_weights=self.listener_weight, k=size)
            yield [self.event(listener, stamp) for listener in who]

    # --- COPY rows -----------------------------------------------------------------

    def revenue_lines(self) -> list[str]:
        lines = []
        for n, listener in enumerate(self.listeners):
            country, vat_text = self.country[n]
            vat = Decimal(vat_text)
            if self.premium[n]:
                if self.random.random() >= REVENUE_RATE:
                    continue  # priced at the plan's list price until billing reports
                gross, fees, source, plan = PREMIUM_PRICE, CARD_FEE, "subscription", "premium"
            else:
                if self.random.random() >= ADS_RATE:
                    continue
                gross, fees = Decimal(self.random.randint(5, 150)) / 100, Decimal(0)
                source, plan = "ads", "free"
            tax = (gross * vat / (1 + vat)).quantize(Decimal("0.0001"))
            lines.append(
                f"pf-rev-{n}\t{listener}\t{self.month}\t{source}\t{plan}\t{country}\t{gross}\t{tax}\t{fees}\n"
            )
        return lines

    def event_lines(self, batches: list[str]) -> Iterator[str]:
        """The prefill's events, interleaved, in batches of BATCH; appends each batch's row."""
        rng = self.random
        order = [n for n, depth in enumerate(self.depth) for _ in range(depth)]
        rng.shuffle(order)
        total = len(order)
        count = math.ceil(total / BATCH)
        event_id = 0
        for b in range(count):
            batch_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            arrived = int(self.span * (b + 1) / count)
            first = event_id + 1
            for listener in order[b * BATCH : (b + 1) * BATCH]:
                event_id += 1
                library = self.library[listener]
                isrc = self.isrcs[library[int(rng.random() * len(library))]]
                started = timestamp(self.month, max(0, arrived - int(rng.random() * 300)))
                country = self.country[listener][0]
                yield (
                    f"{event_id}\tpf-{event_id}\t{self.listeners[listener]}\t{isrc}\t{started}\t180000\t"
                    f"{country}\t{self._tier(listener)}\td{listener}\t{batch_id}\n"
                )
            when = timestamp(self.month, arrived)
            batches.append(f"{batch_id}\t{first}\t{event_id}\t{event_id - first + 1}\t{when}\t{when}\n")


@dataclass(frozen=True)
class Loaded:
    events: int
    batches: int
    seconds: float  # COPY of everything, the event indexes rebuilt, VACUUM ANALYZE

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def load(url: str, month: Month) -> Loaded:
    """Write the month into a migrated, empty database with COPY."""
    started = time.monotonic()
    batches: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        copy_artists(conn, month.artists)
        copy_label_payees(conn, month.labels)
        copy_tracks(
            conn, [(isrc, month.artists[month.track_artist[t]]) for t, isrc in enumerate(month.isrcs)]
        )
        copy_splits(conn, month.splits())
        copy_listeners(conn, month.listeners)
        copy_revenue(conn, month.revenue_lines())
        with events_unindexed(conn):
            copy_events(conn, month.event_lines(batches), columns=BATCHED_EVENT_COLUMNS)
        copy_batches(conn, batches)
        follow_event_ids(conn)
        conn.execute("ANALYZE streams_ingestbatch")
    return Loaded(events=month.plays, batches=len(batches), seconds=time.monotonic() - started)


@dataclass(frozen=True)
class Rebuilt:
    seconds: float  # the whole `manage.py rebuild_live_pools`, Django's start included
    redis_cpu_s: float
    output: str

    def rate(self, events: int) -> float:
        return events / self.seconds if self.seconds else 0.0

    def cpu_ms_per_1000(self, events: int) -> float:
        return 1000 * self.redis_cpu_s / (events / 1000) if events else 0.0


def rebuild(env: dict[str, str], month: Month, *, redis_url: str) -> Rebuilt:
    """Price the month into the live pools: `manage.py rebuild_live_pools`, timed."""
    cpu, started = redis_cpu_s(redis_url), time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", "rebuild_live_pools", f"{month.month:%Y-%m}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise BenchError(f"rebuild_live_pools failed:\n{done.stderr[-3000:]}")
    return Rebuilt(seconds=seconds, redis_cpu_s=redis_cpu_s(redis_url) - cpu, output=done.stdout.strip())


def recent_stamp(now: datetime | None = None) -> str:
    """A start time for the benchmarks' own plays: a few minutes ago, in this month."""
    now = now or datetime.now(UTC)
    start = now - timedelta(minutes=5)
    if start.month != now.month:
        start = now.replace(day=1, hour=0, minute=0, second=1, microsecond=0)
    return start.isoformat()


# --- The queue: accepted, not yet live -----------------------------------------------------

PENDING_SQL = "SELECT coalesce(sum(events), 0) FROM streams_ingestbatch WHERE applied_at IS NULL"


def pending_events(conn: psycopg.Connection) -> int:
    row = conn.execute(PENDING_SQL).fetchone()
    return int(row[0]) if row else 0


@dataclass
class QueueWatch:
    """Events accepted over HTTP but not yet in the live pools (their ingestion batch is not
    marked applied), sampled every `every` seconds from PostgreSQL in a thread of its own."""

    database_url: str
    every: float = 0.25
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, events)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "QueueWatch":
        conn = psycopg.connect(self.database_url, autocommit=True)
        self.samples.append((time.monotonic(), pending_events(conn)))
        self._thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self, conn: psycopg.Connection) -> None:
        with conn:
            while not self._stop.wait(self.every):
                self.samples.append((time.monotonic(), pending_events(conn)))

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    @property
    def last(self) -> int:
        return self.samples[-1][1]

    def wait_empty(self, timeout: float) -> float | None:
        """Wait until nothing is pending; the time it was first seen empty, None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen, depth = self.samples[-1]
            if depth == 0:
                return seen
            time.sleep(self.every / 2)
        return None

    def at(self, moment: float) -> float:
        """The depth at `moment`, interpolated between the samples around it."""
        return depth_at(self.samples, moment)


def depth_at(samples: list[tuple[float, int]], moment: float) -> float:
    if not samples:
        return float("nan")
    if moment <= samples[0][0]:
        return float(samples[0][1])
    for (t0, d0), (t1, d1) in pairwise(samples):
        if t0 <= moment <= t1:
            return d0 + (d1 - d0) * ((moment - t0) / (t1 - t0) if t1 > t0 else 1.0)
    return float(samples[-1][1])


def depth_timeline(samples: list[tuple[float, int]], start: float, end: float, points: int = 7) -> str:
    """The depth at `points` moments from `start` to `end`, as "0 s: 200,000 → 10 s: ..."."""
    if end <= start:
        return f"0 s: {depth_at(samples, start):,.0f}"
    step = (end - start) / (points - 1)
    digits = 0 if end - start >= 60 else 1
    return " → ".join(
        f"{i * step:.{digits}f} s: {depth_at(samples, start + i * step):,.0f}" for i in range(points)
    )
