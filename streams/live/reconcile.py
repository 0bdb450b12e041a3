"""Checking the live pools against an exact recomputation from PostgreSQL, and repairing drift.

The live totals can only drift through a bug or an operator's hand (a lost key, a Redis
restored from an old snapshot, a catalog change after plays were counted). A sample of
artists is recomputed independently here, in exact fractions straight from the stored
events, and any difference beyond the tolerance rebuilds the month.
"""

import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.db.models import Count

from artists.models import Track
from kalipxo.months import current_month
from streams import selectors
from streams.live import dispatch, pricing, store, updates
from streams.models import IngestBatch

logger = logging.getLogger(__name__)
TOLERANCE = Fraction(1, 10_000)  # in currency units: 0.0001
MAX_LISTENERS = 5_000  # artists with more fans are checked by the month totals only


@dataclass
class Drift:
    artist: str
    field: str
    live: Fraction | int
    exact: Fraction | int


@dataclass
class ReconcileReport:
    month: date
    checked: list[str] = field(default_factory=list)
    drifts: list[Drift] = field(default_factory=list)
    rebuilt: bool = False
    skipped: bool = False


def _in_flight() -> bool:
    return IngestBatch.objects.filter(applied_at__isnull=True).exists()


def exact_artist(*, artist_id: str, month: date) -> tuple[Fraction, int, int]:
    """(gross from fans' own pools, qualifying streams, listeners) of one artist, exact."""
    isrcs = list(Track.objects.filter(artist_id=artist_id).values_list("isrc", flat=True))
    fans = list(
        selectors.qualifying_streams(month)
        .filter(isrc__in=isrcs)
        .values_list("listener_id", flat=True)
        .order_by()  # the model's default ordering would add started_at to the DISTINCT
        .distinct()[: MAX_LISTENERS + 1]
    )
    if len(fans) > MAX_LISTENERS:
        raise OverflowError(artist_id)
    pools = selectors.estimated_pools(month, listeners=fans)
    totals: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    owned = set(isrcs)
    for listener, isrc, plays in selectors.listener_track_plays(month, listeners=fans):
        totals[listener] += plays
        if isrc in owned:
            own[listener] += plays
    gross = sum((Fraction(pools.get(fan, 0)) * own[fan] / totals[fan] for fan in own), Fraction(0))
    return gross, sum(own.values()), len(own)


def _sample(month: date, size: int) -> list[str]:
    streams = store.read_month_plays(month).by_artist
    artists = sorted(streams)
    # The most streamed are always checked; the rest by chance.
    top = sorted(artists, key=lambda a: -streams[a])[: size // 2]
    rest = [a for a in artists if a not in top]
    return top + random.sample(rest, min(len(rest), size - len(top)))


def reconcile_month(month: date, *, sample: int = 20, repair: bool = True) -> ReconcileReport:
    report = ReconcileReport(month=month)
    if _in_flight():
        # Batches not yet applied would look like drift; check again when it is quiet.
        report.skipped = True
        return report
    live_streams = store.read_totals(month).streams
    exact_streams = selectors.qualifying_streams(month).aggregate(n=Count("id"))["n"]
    if live_streams != exact_streams:
        report.drifts.append(Drift("*", "streams", live_streams, exact_streams))
    for artist in _sample(month, sample):
        try:
            gross, streams, listeners = exact_artist(artist_id=artist, month=month)
        except OverflowError:
            continue
        live = pricing.read_artist(month=month, artist_id=artist)
        report.checked.append(artist)
        # Each listener's contribution was rounded to a unit: within that bound is not drift.
        bound = Fraction(pricing.rounding_bound(live.contributions), store.UNITS)
        if abs(Fraction(live.gross, store.UNITS) - gross) > TOLERANCE + bound:
            report.drifts.append(Drift(artist, "gross", Fraction(live.gross, store.UNITS), gross))
        if (live.streams, live.listeners) != (streams, listeners):
            report.drifts.append(Drift(artist, "streams/listeners", live.streams, streams))
    if _in_flight():
        report.checked.clear()
        report.drifts.clear()
        report.skipped = True
        return report
    if report.drifts and repair:
        logger.warning("live pools of %s drifted (%s); rebuilding", month, report.drifts[:5])
        updates.rebuild_month(month)
        report.rebuilt = True
    return report


def current_month_reconcile(*, sample: int = 20) -> dict[str, object]:
    """Compare a sample of this month's live estimates with an exact recomputation."""
    if not dispatch.live_enabled():
        return {"skipped": "no redis"}
    report = reconcile_month(current_month(), sample=sample)
    return {"checked": len(report.checked), "drifts": len(report.drifts), "rebuilt": report.rebuilt}
