"""Reads for the pages: an artist's listening in a month, by day and by track, and the
month's plays per artist for model comparisons.

Counts come from qualifying streams only (docs/rules.md §2). With Redis, a month the live
pools hold is read from them (they keep plays per artist, per track and per unmatched
ISRC); otherwise the database aggregates the events. Nothing here loops over stream rows.
Money is not computed here: the pages take it from the estimate or the payout run.
"""

from collections.abc import Iterable
from datetime import UTC, date
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from artists.models import Track
from streams.live import dispatch, store
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


def live_month(month: date) -> bool:
    """Whether the month's figures can be read from the live pools: Redis holds the month
    and is not rebuilding it (a rebuild shows part of the month until it ends)."""
    if not dispatch.live_enabled():
        return False
    try:
        return store.month_exists(month) and not store.rebuilding(month)
    except store.ERRORS:
        return False  # the database answers instead


def artist_track_streams(*, artist_id: str, month: date) -> list[TrackStreams]:
    """Every track of the artist with its qualifying streams and listeners in the month,
    most streamed first (tracks nobody played are listed with zeros)."""
    tracks = list(Track.objects.filter(artist_id=artist_id).values_list("isrc", "title"))
    if live_month(month):
        counts = store.read_track_counts(month=month, isrcs=[isrc for isrc, _ in tracks])
    else:
        counts = {
            r["isrc"]: (r["streams"], r["listeners"])
            for r in qualifying_streams(month)
            .filter(isrc__in=_artist_isrcs(artist_id))
            .values("isrc")
            .annotate(streams=Count("id"), listeners=Count("listener_id", distinct=True))
            .order_by()
        }
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


class ProgressiveInputs(TypedDict):
    by_artist: dict[str, int]  # the month's plays per artist
    unmatched: dict[str, int]  # ISRC -> plays of tracks not in the catalog
    mine: dict[str, int]  # ISRC -> plays, of the tracks that may pay the artist
    pools: Decimal


def progressive_inputs(*, artist_id: str, month: date) -> ProgressiveInputs:
    """What the progressive comparison needs for one artist, from the live pools if they
    hold the month (a few hash reads), else from the database."""
    isrcs = payee_isrcs(artist_id)
    if live_month(month):
        live = store.read_month_plays(month)
        counts = store.read_track_counts(month=month, isrcs=isrcs)
        mine = {isrc: streams for isrc, (streams, _) in counts.items() if streams}
        return ProgressiveInputs(
            by_artist=live.by_artist,
            unmatched=live.unmatched,
            mine=mine,
            pools=Decimal(live.pools) / store.UNITS,
        )
    plays = month_plays(month)
    return ProgressiveInputs(
        by_artist=plays["by_artist"],
        unmatched=plays["unmatched"],
        mine={isrc: plays["by_isrc"][isrc] for isrc in isrcs if isrc in plays["by_isrc"]},
        pools=month_pool_total(month),
    )


def payee_isrcs(artist_id: str) -> list[str]:
    """Tracks that may pay the artist: its own, and those whose splits name it as a payee."""
    tracks = Track.objects.filter(Q(artist_id=artist_id) | Q(splits__payee_id=artist_id))
    return list(tracks.values_list("isrc", flat=True).distinct())


def track_titles(isrcs: Iterable[str]) -> dict[str, str]:
    """Titles of the catalog tracks among these ISRCs (unknown ISRCs are left out)."""
    return dict(Track.objects.filter(isrc__in=list(set(isrcs))).values_list("isrc", "title"))
