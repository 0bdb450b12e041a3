"""Live money, computed when it is read from the listeners of what is read.

The live pools only count (streams/live/apply.lua). An artist's gross, its amount as a payee
and its top fans are computed here from its own listeners' pools and streams as they are at
that moment (streams/live/artist.lua, one call per shard, summed), a track's gross the same
way (tracks.lua): each listener gives round(pool × weight / its streams) in units of 1e-9 of
the currency (docs/rules.md §2 Estimates vs finals), so a figure is exact up to one rounding
per contribution. Figures of artists with many listeners are shared (streams/live/
read_cache.py).
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings

from streams.live import read_cache, store

_HERE = Path(__file__).parent
_ARTIST = (_HERE / "artist.lua").read_text()
_TRACKS = (_HERE / "tracks.lua").read_text()
FANS_KEPT = 100  # the fans API's largest limit


@dataclass(frozen=True)
class ArtistMoney:
    """An artist's live money (units) and what it is made of, computed from its listeners."""

    gross: int
    amount: int
    payee_weight: int  # streams × share × 1e6, summed over the artist's tracks as a payee
    listeners: int
    contributions: int  # listeners' contributions added up, each rounded to a unit once
    fans: tuple[tuple[str, int, int], ...]  # (listener, units, streams), best first


def rounding_bound(contributions: int) -> int:
    """The largest possible error (units) of a sum of `contributions` live contributions,
    each rounded to a whole unit once (half a unit, and a margin for the script's floating
    point, which is exact to ~1e-6 of a unit at these sizes)."""
    return contributions


def _artist_money(month: date, artist_id: str, fans: int) -> list[object]:
    calls = [
        (
            f"{store.shard_prefix(month, s)}:m:{artist_id}",
            [store.shard_prefix(month, s), artist_id, str(fans)],
        )
        for s in range(store.SHARDS)
    ]
    sums = [0, 0, 0, 0, 0]
    top: list[tuple[str, int, int]] = []
    for answer in store.run_scripts(_ARTIST, calls):
        for i in range(5):
            sums[i] += int(answer[i])
        rest = answer[5:]
        top += [(rest[i], int(rest[i + 1]), int(rest[i + 2])) for i in range(0, len(rest), 3)]
    top.sort(key=lambda fan: (-fan[1], fan[0]))
    return [*sums, top[:fans]]


def artist_money(*, month: date, artist_id: str, fans: int = 0) -> ArtistMoney:
    """Gross, amount and the top `fans` of one artist, from its listeners in every shard;
    shared while fresh enough when it has at least LIVE_READ_CACHE_LISTENERS listeners.

    One pass gives the money and the FANS_KEPT top fans, so the earnings and the fans of an
    artist cost one computation between them."""
    values = read_cache.shared(
        f"{store.prefix(month)}:cache:a:{artist_id}",
        lambda: _artist_money(month, artist_id, FANS_KEPT),
        worth_keeping=lambda v: v[3] >= settings.LIVE_READ_CACHE_LISTENERS,
    )
    gross, amount, payee_weight, listeners, contributions, top = values
    shown = tuple((f, u, n) for f, u, n in top[: min(fans, FANS_KEPT)])
    return ArtistMoney(gross, amount, payee_weight, listeners, contributions, shown)


@dataclass(frozen=True)
class LiveArtist:
    """An artist's live figures in 1e-9 units, before the unallocated spread."""

    gross: int
    amount: int
    streams: int
    listeners: int
    payee_weight: int  # streams × share × 1e6, summed over the artist's tracks as a payee
    contributions: int  # rounded contributions that make up gross and amount
    month_pools: int
    month_streams: int
    month_unallocated: int
    updated_at: datetime | None


def read_artist(*, month: date, artist_id: str) -> LiveArtist:
    streams = store.read_artist_streams(month=month, artist_id=artist_id)
    totals = store.read_totals(month)
    money = artist_money(month=month, artist_id=artist_id)
    return LiveArtist(
        gross=money.gross,
        amount=money.amount,
        streams=streams,
        listeners=money.listeners,
        payee_weight=money.payee_weight,
        contributions=money.contributions,
        month_pools=totals.pools,
        month_streams=totals.streams,
        month_unallocated=totals.unallocated,
        updated_at=totals.updated_at,
    )


@dataclass(frozen=True)
class LiveTrack:
    """A catalog track's live figures in 1e-9 units, before the unallocated spread."""

    gross: int
    streams: int
    listeners: int


def _tracks_gross(month: date, isrcs: list[str]) -> dict[str, int]:
    calls = [
        (f"{store.shard_prefix(month, s)}:totals", [store.shard_prefix(month, s), *isrcs])
        for s in range(store.SHARDS)
    ]
    gross: dict[str, int] = defaultdict(int)
    for answer in store.run_scripts(_TRACKS, calls):
        for i, isrc in enumerate(isrcs):
            gross[isrc] += int(answer[2 * i])
    return dict(gross)


def read_tracks(*, month: date, isrcs: list[str]) -> tuple[dict[str, LiveTrack], int, int]:
    """Live figures of these tracks (zeros for tracks nobody played yet), with the month's
    unallocated pools and streams for the spread. The money costs as many reads as the
    tracks have listeners, so it is shared like an artist's when they have many."""
    totals = store.read_totals(month)
    counts = store.read_track_counts(month=month, isrcs=isrcs)
    gross: dict[str, int] = {}
    if isrcs:
        listed = hashlib.sha1("\n".join(sorted(isrcs)).encode()).hexdigest()  # noqa: S324 - a key, not security
        gross = read_cache.shared(
            f"{store.prefix(month)}:cache:t:{listed}",
            lambda: _tracks_gross(month, isrcs),
            worth_keeping=lambda _: sum(n for _, n in counts.values()) >= settings.LIVE_READ_CACHE_LISTENERS,
        )
    tracks = {
        isrc: LiveTrack(gross=gross.get(isrc, 0), streams=counts[isrc][0], listeners=counts[isrc][1])
        for isrc in isrcs
    }
    return tracks, totals.unallocated, totals.streams
