"""The live per-listener pools in Redis: one month's state under `kx:live:YYYY-MM:*`.

Writes go through one Lua script (`apply.lua`) so that a batch's increments and the
resulting changes to artist and payee totals land together, exactly once per batch.
Amounts are integers in units of 1e-9 of the settlement currency; PostgreSQL stays the
truth, and `rebuild` recreates a month from it.
"""

import functools
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import redis
from django.conf import settings

UNITS = 10**9  # live amounts are integers of 1e-9 currency units
SHARE_SCALE = 10**6  # split shares have at most 6 decimal places
_SCRIPT = (Path(__file__).with_name("apply.lua")).read_text()


def prefix(month: date) -> str:
    return f"kx:live:{month:%Y-%m}"


@functools.cache
def client() -> redis.Redis:
    """A shared client; fails fast so a Redis outage never stalls an API request."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        decode_responses=True,
    )


@functools.cache
def _apply_script() -> Any:
    return client().register_script(_SCRIPT)


def to_units(amount: Decimal) -> int:
    """An exact pool (net × rights share) in 1e-9 units; exact for up to 9 decimal places."""
    return int(amount * UNITS)


def apply_update(
    *,
    month: date,
    payload: dict[str, dict[str, Any]],
    marker: str = "",
    rebuild: str = "",
    existing: bool = False,
) -> str:
    """Run the apply script; returns 'ok', 'dup' (marker seen before), 'busy' (rebuilding)
    or 'lost': the month is gone although `existing` says it was written before, or the
    rebuild whose token is `rebuild` no longer holds the flag (Redis restarted or was
    flushed, the flag expired); nothing was written then."""
    if not payload:
        return "ok"
    now = datetime.now(UTC).isoformat()
    result = _apply_script()(
        args=[
            prefix(month),
            marker,
            orjson.dumps(payload),
            now,
            rebuild,
            "existing" if existing else "",
            str(reprice_step_ppm()),
            str(fans_step_ppm()),
        ]
    )
    return str(result)


def reprice_step_ppm() -> int:
    """LIVE_REPRICE_STEP in millionths, as the apply script takes it."""
    return int(Decimal(settings.LIVE_REPRICE_STEP) * SHARE_SCALE)


def fans_step_ppm() -> int:
    """LIVE_FANS_REPRICE_STEP in millionths."""
    return int(Decimal(settings.LIVE_FANS_REPRICE_STEP) * SHARE_SCALE)


def reprice_bound(stored: int, *, contributions: int, step: int | None = None) -> int:
    """The largest possible error (in units) of a lazily priced live figure made of
    `contributions` rounded contributions: each lies between the exact value x and
    x × (1 + step), so x ≥ stored / (1 + step); and each was rounded to a whole unit.
    `step` (millionths) is the one the month was priced with (LiveArtist.step)."""
    step = reprice_step_ppm() if step is None else step
    lazy = -(-max(stored, 0) * step // (SHARE_SCALE + step))
    return lazy + (contributions + 1) // 2


def month_keys(month: date) -> Iterator[str]:
    yield from client().scan_iter(match=prefix(month) + ":*", count=5000)


_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def take_rebuild_flag(month: date) -> str | None:
    """The month's rebuild flag, as a token only its holder knows; None if another holds it."""
    token = secrets.token_hex(8)
    # Expires by itself, so a crashed rebuild cannot freeze the month's estimates.
    taken = client().set(prefix(month) + ":rebuilding", token, ex=3600, nx=True)
    return token if taken else None


def release_rebuild_flag(month: date, token: str) -> None:
    """Release the flag if this token still holds it (it may have expired and gone to another)."""
    client().eval(_RELEASE, 1, prefix(month) + ":rebuilding", token)


_REVENUE_SWEPT = "kx:live:revenue-swept-until"


def revenue_swept_until() -> datetime | None:
    """Up to when the sweep has re-applied recorded revenue (None: never, or Redis restarted)."""
    value = client().get(_REVENUE_SWEPT)
    return datetime.fromisoformat(str(value)) if value else None


def set_revenue_swept_until(moment: datetime) -> None:
    client().set(_REVENUE_SWEPT, moment.isoformat())


def rebuilding(month: date) -> bool:
    return bool(client().exists(prefix(month) + ":rebuilding"))


def month_exists(month: date) -> bool:
    """Whether Redis holds any state for the month (it may have restarted empty)."""
    return bool(client().exists(prefix(month) + ":totals"))


def clear_month(month: date) -> None:
    """Delete a month's live state, except the rebuild flag that guards the operation."""
    flag = prefix(month) + ":rebuilding"
    batch: list[str] = []
    for key in month_keys(month):
        if key != flag:
            batch.append(key)
        if len(batch) >= 5000:
            client().unlink(*batch)
            batch = []
    if batch:
        client().unlink(*batch)


def mark_batches(month: date, batch_ids: list[str]) -> None:
    """Record batches as already included (used by a rebuild, which read them from the truth)."""
    pipe = client().pipeline(transaction=False)
    for batch_id in batch_ids:
        pipe.set(f"{prefix(month)}:b:{batch_id}", "1", ex=3_456_000)
    pipe.execute()


@dataclass(frozen=True)
class LiveArtist:
    """An artist's live figures in 1e-9 units, before the unallocated spread."""

    gross: int
    amount: int
    streams: int
    listeners: int
    payee_weight: int  # streams × share × 1e6, summed over the artist's tracks as a payee
    payee_listeners: int  # listeners of the tracks that pay the artist by a split
    step: int  # the repricing step (millionths) the month is priced with
    month_pools: int
    month_streams: int
    month_unallocated: int
    updated_at: datetime | None


def gross_bound(live: LiveArtist) -> int:
    """The largest possible error of an artist's live gross (units): a listener's plays reach
    it through up to two targets (tracks split and not), each rounded once."""
    return reprice_bound(live.gross, contributions=2 * live.listeners, step=live.step)


def amount_bound(live: LiveArtist) -> int:
    """The same for its amount as a payee, which its split tracks' listeners add to."""
    return reprice_bound(live.amount, contributions=2 * live.listeners + live.payee_listeners, step=live.step)


def read_artist(*, month: date, artist_id: str) -> LiveArtist:
    p = prefix(month)
    pipe = client().pipeline(transaction=True)
    pipe.hget(p + ":gross", artist_id)
    pipe.hget(p + ":amount", artist_id)
    pipe.hget(p + ":streams", artist_id)
    pipe.hget(p + ":listeners", artist_id)
    pipe.hget(p + ":pweights", artist_id)
    pipe.hget(p + ":plisteners", artist_id)
    pipe.hmget(p + ":totals", "pools", "streams", "unallocated", "updated_at", "step")
    gross, amount, streams, listeners, weight, payee_listeners, totals = pipe.execute()
    updated = totals[3]
    return LiveArtist(
        gross=int(gross or 0),
        amount=int(amount or 0),
        streams=int(streams or 0),
        listeners=int(listeners or 0),
        payee_weight=int(weight or 0),
        payee_listeners=int(payee_listeners or 0),
        step=int(totals[4] or reprice_step_ppm()),
        month_pools=int(totals[0] or 0),
        month_streams=int(totals[1] or 0),
        month_unallocated=int(totals[2] or 0),
        updated_at=datetime.fromisoformat(updated) if updated else None,
    )


@dataclass(frozen=True)
class LiveTrack:
    """A catalog track's live figures in 1e-9 units, before the unallocated spread."""

    gross: int
    streams: int
    listeners: int


def read_tracks(*, month: date, isrcs: list[str]) -> tuple[dict[str, LiveTrack], int, int]:
    """Live figures of these tracks (zeros for tracks nobody played yet), with the month's
    unallocated pools and streams for the spread."""
    p = prefix(month)
    pipe = client().pipeline(transaction=True)
    pipe.hmget(p + ":totals", "unallocated", "streams")
    for name in (":tgross", ":tstreams", ":tlisteners"):
        if isrcs:
            pipe.hmget(p + name, isrcs)
    totals, *columns = pipe.execute()
    gross, streams, listeners = columns or ([], [], [])
    tracks = {
        isrc: LiveTrack(gross=int(g or 0), streams=int(n or 0), listeners=int(u or 0))
        for isrc, g, n, u in zip(isrcs, gross, streams, listeners, strict=True)
    }
    return tracks, int(totals[0] or 0), int(totals[1] or 0)


@dataclass(frozen=True)
class LivePlays:
    """The month's qualifying plays per artist and per unmatched ISRC, and its pools (units)."""

    by_artist: dict[str, int]
    unmatched: dict[str, int]
    pools: int


def read_month_plays(month: date) -> LivePlays:
    p = prefix(month)
    pipe = client().pipeline(transaction=True)
    pipe.hgetall(p + ":streams")
    pipe.hgetall(p + ":sstreams")
    pipe.hget(p + ":totals", "pools")
    by_artist, unmatched, pools = pipe.execute()
    return LivePlays(
        by_artist={artist: int(n) for artist, n in by_artist.items() if int(n)},
        unmatched={isrc: int(n) for isrc, n in unmatched.items() if int(n)},
        pools=int(pools or 0),
    )


FANS_PAGE = 200  # fans read and priced per round trip


def read_top_fans(*, month: date, artist_id: str, limit: int) -> list[tuple[str, int, int]]:
    """(listener, contribution in 1e-9 units, streams of the artist) for the top fans,
    priced exactly from each fan's pool and streams.

    A stored score is never below the exact contribution by more than its rounding (a unit
    per target kind), so walking the fans by descending score and pricing each one, the
    walk can stop at the first score that even rounded up falls short of the `limit`-th
    exact amount found so far: no fan further down can reach the top.
    """
    p = prefix(month)
    key = f"{p}:fans:{artist_id}"
    priced: list[tuple[str, int, int]] = []
    start = 0
    while True:
        page: list[tuple[str, float]] = client().zrevrange(  # type: ignore[assignment]
            key, start, start + FANS_PAGE - 1, withscores=True
        )
        if not page:
            break
        pipe = client().pipeline(transaction=False)
        for listener, _ in page:
            pipe.hmget(f"{p}:l:{listener}", "P", "T", f"w:a:{artist_id}", f"w:b:{artist_id}")
        for (listener, _), (pool, streams, own_a, own_b) in zip(page, pipe.execute(), strict=True):
            own, total = int(own_a or 0) + int(own_b or 0), int(streams or 0)
            if own and total:
                priced.append((listener, (2 * int(pool or 0) * own + total) // (2 * total), own))
        priced.sort(key=lambda fan: (-fan[1], fan[0]))
        del priced[limit:]
        lowest_score = int(page[-1][1])
        if len(page) < FANS_PAGE or (len(priced) == limit and lowest_score + 2 < priced[-1][1]):
            break
        start += FANS_PAGE
    return [fan for fan in priced if fan[1] > 0]


def read_all_gross(month: date) -> dict[str, int]:
    """Every artist's live gross (for reconciliation)."""
    gross: dict[str, str] = client().hgetall(prefix(month) + ":gross")  # type: ignore[assignment]
    return {artist: int(units) for artist, units in gross.items()}
