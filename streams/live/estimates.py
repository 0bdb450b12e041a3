"""An artist's estimate for an open month, read from the live pools.

The live totals hold each listener's own contributions; the pools of listeners with no
qualifying stream (unallocated) are spread here, at read time, over the month's streams
when the policy is `pro_rata`, exactly as the month-end run will do.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from django.conf import settings

from streams.live import pricing, store
from streams.models import Listener


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


def fan_name(listener_id: str, display_name: str, shown: bool) -> str:
    """The display name of a fan who opted in, otherwise a stable pseudonym.

    The pseudonym is a keyed hash, so it is stable across months and artists but cannot
    be turned back into a listener id by anyone without the secret key.
    """
    if shown and display_name:
        return display_name
    digest = hmac.new(settings.SECRET_KEY.encode(), listener_id.encode(), hashlib.sha256).hexdigest()
    return f"Fan {digest[:8].upper()}"


def fan_names(listener_ids: list[str]) -> dict[str, str]:
    rows = Listener.objects.filter(id__in=listener_ids).values_list("id", "display_name", "show_to_artists")
    names = {listener: fan_name(listener, name, shown) for listener, name, shown in rows}
    return {listener: names.get(listener, fan_name(listener, "", False)) for listener in listener_ids}


def live_top_fans(*, artist_id: str, month: date, limit: int) -> list[FanShare]:
    """Top fans by money their own pools gave the artist's tracks this month."""
    money = pricing.artist_money(month=month, artist_id=artist_id, fans=limit)
    top = money.fans[:limit]
    if not top:
        return []
    total = Fraction(money.gross)
    names = fan_names([listener for listener, _, _ in top])
    return [
        FanShare(
            fan=names[listener],
            streams=streams,
            amount=Fraction(units, store.UNITS),
            share=Fraction(units) / total if total else Fraction(0),
        )
        for listener, units, streams in top
    ]
