"""A demo month's stream events: ordinary listening, short plays, unknown ISRCs, and
what fraud screening must find (a shared device and a bot's burst)."""

import random
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from django.conf import settings

from demo.audience import Audience, ListenerProfile
from demo.base import demo_rng
from demo.catalog import TrackRef
from kalipxo.months import month_end, month_start

CHUNK = 20_000  # events built and inserted at a time, to keep memory flat

SHORT_PLAY_RATE = 0.05
UNMATCHED_RATE = 0.01
NO_DEVICE_RATE = 0.08  # web players send no device id
FAVORITE_RATE = 0.45  # share of a listener's plays that go to its favourite artists
BOT_EXCESS = 50  # the bot's plays over the daily limit on its one day


def month_window(month: date, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the month, cut a few minutes before now so nothing is in the future."""
    end = min(month_end(month), now - timedelta(minutes=5))
    return month_start(month), end


@dataclass
class MonthCounts:
    """What one month's load wrote; the revenue and the events add to it as they go."""

    streams: int = 0
    short_plays: int = 0
    unmatched_plays: int = 0
    revenue_records: int = 0
    without_revenue: int = 0
    idle: int = 0


# No batch_id: demo events come from no ingestion batch; the live pools are rebuilt instead.
EVENT_COLUMNS = (
    "event_id", "listener_id", "isrc", "started_at", "duration_ms",
    "country", "tier", "device", "received_at",
)  # fmt: skip
EventRow = tuple[str, str, str, datetime, int, str, str, str | None, datetime]
MakeEvent = Callable[[ListenerProfile, TrackRef, datetime, int, str | None], EventRow]


def demo_events_generate(
    audience: Audience,
    *,
    seed: int,
    month: date,
    count: int,
    now: datetime,
    idle: set[str],
    suspicious: bool,
    counts: MonthCounts,
) -> Iterator[list[EventRow]]:
    """`count` stream events (rows in EVENT_COLUMNS order) inside the month and before `now`,
    in chunks of at most CHUNK."""
    rng = demo_rng(seed, "events", month)
    start, end = month_window(month, now)
    span = int((end - start).total_seconds())
    min_ms = settings.MIN_PLAY_MS
    random = rng.random  # the hot loop below runs once per event

    def event(p: ListenerProfile, track: TrackRef, at: datetime, ms: int, device: str | None) -> EventRow:
        counts.streams += 1
        counts.short_plays += ms < min_ms
        counts.unmatched_plays += not track.artist_id
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        received = min(at + timedelta(milliseconds=ms + 1_000 + int(random() * 59_000)), now)
        return (event_id, p.id, track.isrc, at, ms, p.country, p.plan, device, received)

    chunk: list[EventRow] = []
    if suspicious:
        chunk.extend(_suspicious_plays(audience, rng=rng, start=start, end=end, count=count, make=event))

    active = [p for p in audience.profiles if p.id not in idle] or audience.profiles
    listener_weights = list(accumulate(p.activity for p in active))
    unmatched_top = audience.unmatched_weights[-1] if audience.unmatched else 0.0
    remaining = count - len(chunk)
    while remaining > 0:
        size = min(CHUNK - len(chunk), remaining)
        remaining -= size
        who = rng.choices(active, cum_weights=listener_weights, k=size)
        popular = rng.choices(audience.tracks, cum_weights=audience.track_weights, k=size)
        for p, track in zip(who, popular, strict=True):
            roll = random()
            if roll < UNMATCHED_RATE and audience.unmatched:
                at_rank = bisect_right(audience.unmatched_weights, random() * unmatched_top)
                track = audience.unmatched[at_rank]
            elif roll < UNMATCHED_RATE + FAVORITE_RATE:
                track = rng.choice(audience.artist_tracks[rng.choice(p.favorites)])
            roll = random()
            if roll < SHORT_PLAY_RATE:
                ms = 1_000 + int(roll / SHORT_PLAY_RATE * (min_ms - 1_000))
            elif roll < 0.7:
                ms = track.duration_ms
            else:
                ms = min_ms + int(random() * max(track.duration_ms - min_ms, 1))
            device = None if random() < NO_DEVICE_RATE else rng.choice(p.devices)
            chunk.append(event(p, track, start + timedelta(seconds=int(random() * span)), ms, device))
        yield chunk
        chunk = []
    if chunk:
        yield chunk


def _suspicious_plays(
    audience: Audience, *, rng: random.Random, start: datetime, end: datetime, count: int, make: MakeEvent
) -> list[EventRow]:
    """Something for fraud screening to find: the shared device's plays and the bot's burst,
    as far as `count` leaves room for them (see `planted`)."""
    plays: list[EventRow] = []
    span = int((end - start).total_seconds())
    by_id = {p.id: p for p in audience.profiles}
    shared, burst = planted(audience, count)
    for listener in audience.shared_by[: shared // 2]:
        for track in rng.sample(audience.tracks[:50], min(2, len(audience.tracks))):
            at = start + timedelta(seconds=rng.randrange(span))
            plays.append(make(by_id[listener], track, at, track.duration_ms, audience.shared_device))
    if not burst or audience.bot is None:
        return plays
    # Just over the daily limit in one UTC day, spread over a few obscure tracks so that
    # only the streams-per-day rule fires, each play barely long enough to qualify.
    middle = start + (end - start) / 2
    day = datetime(middle.year, middle.month, middle.day, tzinfo=UTC)
    first, last = max(day, start), min(day + timedelta(days=1), end)
    seconds = max(1, int((last - first).total_seconds()))
    per_track = max(1, settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY * 2 // 3)
    targets = audience.tracks[-(-burst // per_track) :]
    bot = by_id[audience.bot]
    for i in range(burst):
        at = first + timedelta(seconds=rng.randrange(seconds))
        ms = settings.MIN_PLAY_MS + rng.randrange(1_000, 10_000)
        plays.append(make(bot, targets[i % len(targets)], at, ms, bot.devices[0]))
    return plays


def planted(audience: Audience, count: int) -> tuple[int, int]:
    """How many of `count` plays go to the shared device and to the bot's burst: none when
    the month is too small to carry them without crowding out ordinary listening."""
    shared = 2 * len(audience.shared_by) if count >= 100 else 0
    burst = settings.FRAUD_MAX_STREAMS_PER_DAY + BOT_EXCESS
    return shared, burst if audience.bot and count >= 2 * burst else 0
