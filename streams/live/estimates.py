"""An artist's estimate for an open month, read from the live pools.

The live totals hold each listener's own contributions; the pools of listeners with no
qualifying stream (unallocated) are spread here, at read time, over the month's streams
when the policy is `pro_rata`, exactly as the month-end run will do.
"""

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from django.conf import settings

from streams.fans import fan_ids, fan_names
from streams.fans import fan_name as fan_name  # where it was first: kept for its importers
from streams.live import pricing, store


@dataclass(frozen=True)
class ArtistEstimate:
    """Exact amounts in currency units (Fractions); formatting happens at the API edge."""

    gross: Fraction
    amount: Fraction
    streams: int
    listeners: int
    pro_rata_amount: Fraction
    updated_at: datetime | None
    # The largest possible error of gross and amount (currency units): each listener's
    # contribution is computed exactly at read time, then rounded to 1e-9 of the currency.
    bound: Fraction = Fraction(0)


@dataclass(frozen=True)
class FanShare:
    fan: str
    fan_id: str  # streams/fans.py: the artist's handle for the fan, never the listener id
    streams: int
    amount: Fraction
    share: Fraction


def _spread(unallocated: int, weight: int, month_streams: int, scale: int = 1) -> Fraction:
    if settings.UNALLOCATED_POLICY != "pro_rata" or not month_streams:
        return Fraction(0)
    return Fraction(unallocated * weight, month_streams * scale)


def live_artist_estimate(*, artist_id: str, month: date) -> ArtistEstimate:
    live = pricing.read_artist(month=month, artist_id=artist_id)
    units = store.UNITS
    share_scale = store.SHARE_SCALE
    gross = Fraction(live.gross) + _spread(live.month_unallocated, live.streams, live.month_streams)
    amount = Fraction(live.amount) + _spread(
        live.month_unallocated, live.payee_weight, live.month_streams, share_scale
    )
    pro_rata = (
        Fraction(live.month_pools * live.payee_weight, live.month_streams * share_scale)
        if live.month_streams
        else Fraction(0)
    )
    bound = pricing.rounding_bound(live.contributions)
    return ArtistEstimate(
        gross=gross / units,
        amount=amount / units,
        streams=live.streams,
        listeners=live.listeners,
        pro_rata_amount=pro_rata / units,
        updated_at=live.updated_at,
        bound=Fraction(bound, units),
    )


@dataclass(frozen=True)
class TrackEstimate:
    gross: Fraction  # currency units, the unallocated spread included
    streams: int
    listeners: int
    bound: Fraction = Fraction(0)  # the most `gross` may be above the exact figure


def live_track_estimates(*, month: date, isrcs: list[str]) -> dict[str, TrackEstimate]:
    """Catalog tracks' estimates from the live pools, spread as for artists."""
    tracks, unallocated, month_streams = pricing.read_tracks(month=month, isrcs=isrcs)
    return {
        isrc: TrackEstimate(
            gross=(Fraction(live.gross) + _spread(unallocated, live.streams, month_streams)) / store.UNITS,
            streams=live.streams,
            listeners=live.listeners,
            bound=Fraction(pricing.rounding_bound(live.listeners), store.UNITS),
        )
        for isrc, live in tracks.items()
    }


def live_top_fans(*, artist_id: str, month: date, limit: int) -> list[FanShare]:
    """Top fans by money their own pools gave the artist's tracks this month."""
    money = pricing.artist_money(month=month, artist_id=artist_id, fans=limit)
    top = money.fans[:limit]
    if not top:
        return []
    total = Fraction(money.gross)
    listeners = [listener for listener, _, _ in top]
    names = fan_names(listeners)
    handles = fan_ids(artist_id=artist_id, listener_ids=listeners)
    return [
        FanShare(
            fan=names[listener],
            fan_id=handles[listener],
            streams=streams,
            amount=Fraction(units, store.UNITS),
            share=Fraction(units) / total if total else Fraction(0),
        )
        for listener, units, streams in top
    ]
