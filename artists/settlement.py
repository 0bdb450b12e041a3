"""Where a track's money goes: its artist, and its payees by split (docs/rules.md §2).

A track without splits pays 100% to its artist (whose payee id is the artist id).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from artists.models import Split, Track


@dataclass(frozen=True)
class TrackSettlement:
    artist_id: str
    payees: tuple[tuple[str, Decimal], ...]


def track_settlements(isrcs: Iterable[str] | None = None) -> dict[str, TrackSettlement]:
    """Artist and payee shares per ISRC, for the given ISRCs (all tracks when None)."""
    tracks = Track.objects.all()
    splits = Split.objects.all()
    if isrcs is not None:
        wanted = set(isrcs)  # a set: see kalipxo.db.InJson
        tracks = tracks.filter(isrc__in_json=wanted)
        splits = splits.filter(track_id__in_json=wanted)
    artists = dict(tracks.values_list("isrc", "artist_id"))
    shares: dict[str, list[tuple[str, Decimal]]] = {}
    for isrc, payee_id, share in splits.values_list("track_id", "payee_id", "share").order_by(
        "track_id", "payee_id"
    ):
        shares.setdefault(isrc, []).append((payee_id, share))
    return {
        isrc: TrackSettlement(artist_id=artist, payees=tuple(shares.get(isrc) or [(artist, Decimal(1))]))
        for isrc, artist in artists.items()
    }
