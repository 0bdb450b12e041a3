"""Exact estimates of an open month, computed from the database with the payout maths.

This is the reference the live pools are checked against, and what serves estimates on
the embedded default (no Redis): the same rules as the month-end run, minus fraud
screening, with plan list prices standing in for revenue not yet recorded.
"""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.conf import settings
from django.db.models import Count, Max

from artists.settlement import track_settlements
from payouts.maths import Allocation
from payouts.maths.pro_rata import pro_rata_from_parts
from payouts.maths.user_centric import ListenerMonth, allocate_from_parts, user_centric_parts
from streams import selectors
from streams.models import RevenueRecord


@dataclass
class MonthEstimate:
    month: date
    allocation: Allocation
    pro_rata: Allocation
    artist_streams: dict[str, int] = field(default_factory=dict)
    artist_listeners: dict[str, int] = field(default_factory=dict)
    # artist -> listener -> (contribution of the listener's own pool, streams)
    fans: dict[str, dict[str, tuple[Fraction, int]]] = field(default_factory=dict)
    computed_at: float = 0.0


def month_estimate_exact(month: date, *, listeners: list[str] | None = None) -> MonthEstimate:
    """The whole month (or only some listeners' part of it), exact."""
    pools = selectors.estimated_pools(month, listeners=listeners)
    plays: dict[str, dict[str, int]] = defaultdict(dict)
    for listener, isrc, count in selectors.listener_track_plays(month, listeners=listeners):
        plays[listener][isrc] = count
    settlements = track_settlements({isrc for tracks in plays.values() for isrc in tracks})
    track_payees = {isrc: s.payees for isrc, s in settlements.items()}
    track_artists = {isrc: s.artist_id for isrc, s in settlements.items()}
    months = [
        ListenerMonth(listener=listener, pool=pools.get(listener, 0), plays=plays.get(listener, {}))
        for listener in sorted(set(pools) | set(plays))
    ]
    parts = user_centric_parts(months)
    estimate = MonthEstimate(
        month=month,
        allocation=allocate_from_parts(
            parts=parts,
            track_payees=track_payees,
            unallocated_policy=settings.UNALLOCATED_POLICY,
            track_artists=track_artists,
        ),
        pro_rata=pro_rata_from_parts(parts=parts, track_payees=track_payees, track_artists=track_artists),
        computed_at=time.monotonic(),
    )
    for item in months:
        total = sum(item.plays.values())
        by_artist: dict[str, int] = defaultdict(int)
        for isrc, count in item.plays.items():
            if isrc in track_artists:
                by_artist[track_artists[isrc]] += count
        for artist, count in by_artist.items():
            estimate.artist_streams[artist] = estimate.artist_streams.get(artist, 0) + count
            estimate.artist_listeners[artist] = estimate.artist_listeners.get(artist, 0) + 1
            contribution = Fraction(item.pool) * count / total
            estimate.fans.setdefault(artist, {})[item.listener] = (contribution, count)
    return estimate


_cache: dict[date, tuple[tuple, MonthEstimate]] = {}
_lock = threading.Lock()
FRESH_SECONDS = 2.0


def _data_version(month: date) -> tuple:
    """Changes whenever the month's events or revenue change (cheap aggregate queries)."""
    events = selectors.qualifying_streams(month).aggregate(n=Count("id"), last=Max("id"))
    revenue = RevenueRecord.objects.filter(month=month).aggregate(n=Count("id"), last=Max("created_at"))
    return (events["n"], events["last"], revenue["n"], revenue["last"])


def cached_month_estimate(month: date) -> MonthEstimate:
    """The exact estimate, recomputed at most every couple of seconds and only on change."""
    with _lock:
        cached = _cache.get(month)
        if cached and time.monotonic() - cached[1].computed_at < FRESH_SECONDS:
            return cached[1]
        version = _data_version(month)
        if cached and cached[0] == version:
            return cached[1]
        estimate = month_estimate_exact(month)
        _cache[month] = (version, estimate)
        return estimate
