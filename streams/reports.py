"""Reads for the pages: an artist's listening in a month, by day and by track, and the
month's plays per artist for model comparisons.

Counts come from qualifying streams only (SPEC section 2), aggregated by the database;
nothing here loops over stream rows. Money is not computed here: the pages take it
from the estimate or the payout run.
"""

from collections.abc import Iterable
from datetime import UTC, date
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count
from django.db.models.functions import TruncDate

from artists.models import Track
from streams.selectors import estimated_pools, qualifying_streams


class DailyStreams(TypedDict):
    day: date
    streams: int
    listeners: int


class TrackStreams(TypedDict):
    isrc: str
    title: str
    streams: int
    listeners: int


class MonthPlays(TypedDict):
    by_artist: dict[str, int]
    unmatched: dict[str, int]  # ISRC -> plays of tracks not in the catalog
    by_isrc: dict[str, int]
    total: int


def _artist_isrcs(artist_id: str):  # type: ignore[no-untyped-def]
    return Track.objects.filter(artist_id=artist_id).values("isrc")


def artist_daily_streams(*, artist_id: str, month: date) -> list[DailyStreams]:
    """Qualifying streams and distinct listeners of the artist's tracks per UTC day.

    Days without streams are left out; the caller fills the calendar.
    """
    rows = (
        qualifying_streams(month)
        .filter(isrc__in=_artist_isrcs(artist_id))
        .annotate(day=TruncDate("started_at", tzinfo=UTC))
        .values("day")
        .annotate(streams=Count("id"), listeners=Count("listener_id", distinct=True))
        .order_by("day")
    )
    return [DailyStreams(day=r["day"], streams=r["streams"], listeners=r["listeners"]) for r in rows]


def artist_track_streams(*, artist_id: str, month: date) -> list[TrackStreams]:
    """Every track of the artist with its qualifying streams and listeners in the month,
    most streamed first (tracks nobody played are listed with zeros)."""
    counts = {
        r["isrc"]: (r["streams"], r["listeners"])
        for r in qualifying_streams(month)
        .filter(isrc__in=_artist_isrcs(artist_id))
        .values("isrc")
        .annotate(streams=Count("id"), listeners=Count("listener_id", distinct=True))
        .order_by()
    }
    tracks = Track.objects.filter(artist_id=artist_id).values_list("isrc", "title")
    rows = [
        TrackStreams(
            isrc=isrc, title=title, streams=counts.get(isrc, (0, 0))[0], listeners=counts.get(isrc, (0, 0))[1]
        )
        for isrc, title in tracks
    ]
    rows.sort(key=lambda row: (-row["streams"], row["title"], row["isrc"]))
    return rows


def month_plays(month: date) -> MonthPlays:
    """The month's qualifying plays per artist (through the catalog) and per unknown ISRC."""
    by_isrc = dict(
        qualifying_streams(month).values_list("isrc").annotate(plays=Count("id")).order_by().iterator()
    )
    artists = dict(Track.objects.filter(isrc__in=list(by_isrc)).values_list("isrc", "artist_id"))
    by_artist: dict[str, int] = {}
    unmatched: dict[str, int] = {}
    for isrc, plays in by_isrc.items():
        artist = artists.get(isrc)
        if artist is None:
            unmatched[isrc] = plays
        else:
            by_artist[artist] = by_artist.get(artist, 0) + plays
    return MonthPlays(by_artist=by_artist, unmatched=unmatched, by_isrc=by_isrc, total=sum(by_isrc.values()))


def month_pool_total(month: date) -> Decimal:
    """Sum of the month's listener pools as the estimate sees them (revenue, else plan price)."""
    return sum(estimated_pools(month).values(), Decimal(0))


def track_titles(isrcs: Iterable[str]) -> dict[str, str]:
    """Titles of the catalog tracks among these ISRCs (unknown ISRCs are left out)."""
    return dict(Track.objects.filter(isrc__in=list(set(isrcs))).values_list("isrc", "title"))
