"""Artist-centric comparison (docs/rules.md §2 "Comparison models", after Deezer, 2023).

A weighted pro-rata: the month's recording pool (less rejected listeners' pools, as
pro-rata) is divided by each ISRC's share of all stream *weights*, then the same splits,
suspense and single rounding per payee as pro-rata, so the models compare line by line.

- An artist is *professional* in the month with at least `min_streams` qualifying streams
  and `min_listeners` distinct listeners (defaults 1,000 and 500: `AC_MIN_STREAMS`,
  `AC_MIN_LISTENERS`). An ISRC with no artist (not in the catalog) is judged on its own
  streams and listeners, as if it were its own artist ("unmatched ISRCs are counted per
  ISRC"); its share goes to suspense as usual.
- A listener with N qualifying streams (all its streams of the month, unmatched ones
  included) has the factor min(1, `listener_cap` / N), exactly (default 1,000:
  `AC_LISTENER_CAP`): a heavier listener's streams together weigh as `listener_cap` streams.
- A stream weighs its listener's factor × 2 when its artist is professional, × 1 if not.

Left out: Deezer's further ×2 for streams the listener actively chose (searched, picked
from its library) rather than was served by a radio or a recommendation. Stream events
carry no `source`, so every stream is weighed as Deezer weighs a served one.

With no weight at all (no qualifying stream) the pool is retained, as pro-rata does.

The maths needs more than `UserCentricParts` hold: those add up listeners' money per ISRC
and forget who streamed what, while the weights need each listener's month total and the
artists' distinct listeners. `AudienceParts` is that extra, as small as it can be: per ISRC,
the streams of listeners above the cap grouped by their month total, and distinct listeners
per artist and per ISRC. It is additive over disjoint groups of listeners (the run's
chunks), like `UserCentricParts`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from payouts.maths import Allocation, Exact, TrackPayees, to_fraction
from payouts.maths.pro_rata import allocate_by_weights
from payouts.maths.user_centric import ListenerMonth, UserCentricParts

RULE = (
    "Artist-centric (after Deezer): streams of artists with at least 1,000 streams and 500 listeners "
    "in the month count double, no listener counts for more than 1,000 streams, and the pool is shared "
    "by these weighted streams."
)

MIN_STREAMS = 1_000
MIN_LISTENERS = 500
LISTENER_CAP = 1_000


def _check_count(value: object, *, name: str, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int of at least {least}.")
    return value


@dataclass
class AudienceParts:
    """Who streamed, as the artist-centric weights need it, for a group of listeners.

    `heavy`: ISRC -> {N: streams of the ISRC by listeners with N > `listener_cap`
    qualifying streams in the month}; every other stream weighs its full count, so only
    these are kept apart. `artist_listeners`: artist id -> distinct listeners who streamed
    any of its tracks; `isrc_listeners`: ISRC -> distinct listeners (used for ISRCs with
    no artist). Rejected listeners are left out: their streams count nowhere.
    """

    listener_cap: int = LISTENER_CAP
    heavy: dict[str, dict[int, int]] = field(default_factory=dict)
    artist_listeners: dict[str, int] = field(default_factory=dict)
    isrc_listeners: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_count(self.listener_cap, name="listener_cap", least=1)

    def add_plays(self, plays: Mapping[str, int], *, track_artists: Mapping[str, str]) -> None:
        """Add one (counted) listener's qualifying streams per ISRC."""
        for isrc, count in plays.items():
            _check_count(count, name=f"Play count of {isrc}")
        counts = {isrc: count for isrc, count in plays.items() if count}
        total = sum(counts.values())
        for isrc in counts:
            self.isrc_listeners[isrc] = self.isrc_listeners.get(isrc, 0) + 1
        for artist in {track_artists[isrc] for isrc in counts if isrc in track_artists}:
            self.artist_listeners[artist] = self.artist_listeners.get(artist, 0) + 1
        if total <= self.listener_cap:
            return
        for isrc, count in counts.items():
            group = self.heavy.setdefault(isrc, {})
            group[total] = group.get(total, 0) + count

    def __add__(self, other: "AudienceParts") -> "AudienceParts":
        if other.listener_cap != self.listener_cap:
            raise ValueError("Audience parts computed with different listener caps cannot be added.")
        merged = AudienceParts(
            listener_cap=self.listener_cap,
            heavy={isrc: dict(groups) for isrc, groups in self.heavy.items()},
            artist_listeners=dict(self.artist_listeners),
            isrc_listeners=dict(self.isrc_listeners),
        )
        for isrc, groups in other.heavy.items():
            target = merged.heavy.setdefault(isrc, {})
            for total, count in groups.items():
                target[total] = target.get(total, 0) + count
        for mine, theirs in (
            (merged.artist_listeners, other.artist_listeners),
            (merged.isrc_listeners, other.isrc_listeners),
        ):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        return merged

    def to_data(self) -> dict[str, Any]:
        """JSON-safe form, so a chunk's parts can be stored between tasks."""
        return {
            "listener_cap": self.listener_cap,
            "heavy": {
                isrc: {str(total): count for total, count in groups.items()}
                for isrc, groups in self.heavy.items()
            },
            "artist_listeners": dict(self.artist_listeners),
            "isrc_listeners": dict(self.isrc_listeners),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "AudienceParts":
        return cls(
            listener_cap=int(data["listener_cap"]),
            heavy={
                isrc: {int(total): int(count) for total, count in groups.items()}
                for isrc, groups in data["heavy"].items()
            },
            artist_listeners={key: int(count) for key, count in data["artist_listeners"].items()},
            isrc_listeners={key: int(count) for key, count in data["isrc_listeners"].items()},
        )


def audience_parts(
    listeners: Iterable[ListenerMonth], *, track_artists: Mapping[str, str], listener_cap: int = LISTENER_CAP
) -> AudienceParts:
    """The audience of a group of listeners (rejected ones left out)."""
    parts = AudienceParts(listener_cap=listener_cap)
    for listener in listeners:
        if not listener.rejected:
            parts.add_plays(listener.plays, track_artists=track_artists)
    return parts


def professional_artists(
    *,
    streams: Mapping[str, int],
    audience: AudienceParts,
    track_artists: Mapping[str, str],
    min_streams: int = MIN_STREAMS,
    min_listeners: int = MIN_LISTENERS,
) -> set[str]:
    """The ISRCs of the month whose artist is professional (an ISRC with no artist is
    judged alone): at least `min_streams` streams and `min_listeners` distinct listeners."""
    _check_count(min_streams, name="min_streams")
    _check_count(min_listeners, name="min_listeners")
    artist_streams: dict[str, int] = {}
    for isrc, count in streams.items():
        if isrc in track_artists:
            artist = track_artists[isrc]
            artist_streams[artist] = artist_streams.get(artist, 0) + count
    professional: set[str] = set()
    for isrc, count in streams.items():
        if isrc in track_artists:
            artist = track_artists[isrc]
            reach = (artist_streams[artist], audience.artist_listeners.get(artist, 0))
        else:
            reach = (count, audience.isrc_listeners.get(isrc, 0))
        if reach[0] >= min_streams and reach[1] >= min_listeners:
            professional.add(isrc)
    return professional


def track_weights(
    *,
    streams: Mapping[str, int],
    audience: AudienceParts,
    track_artists: Mapping[str, str],
    min_streams: int = MIN_STREAMS,
    min_listeners: int = MIN_LISTENERS,
) -> dict[str, Fraction]:
    """Each streamed ISRC's weight: Σ over its streams of the listener's factor, × 2 when
    the artist is professional. `streams` are the month's qualifying streams per ISRC of
    the same listeners as `audience`."""
    counts = {isrc: _check_count(count, name=f"Stream count of {isrc}") for isrc, count in streams.items()}
    cap = audience.listener_cap
    weights: dict[str, Fraction] = {}
    for isrc, count in counts.items():
        groups = audience.heavy.get(isrc, {})
        heavy_streams = sum(groups.values())
        if heavy_streams > count:
            raise ValueError(f"The audience of {isrc} has more streams than the month's count.")
        capped = sum((Fraction(cap * part, total) for total, part in groups.items()), Fraction(0))
        weights[isrc] = count - heavy_streams + capped
    for isrc in audience.heavy.keys() - counts.keys():
        if any(audience.heavy[isrc].values()):
            raise ValueError(f"The audience of {isrc} has streams the month's counts do not.")
    for isrc in professional_artists(
        streams=counts,
        audience=audience,
        track_artists=track_artists,
        min_streams=min_streams,
        min_listeners=min_listeners,
    ):
        weights[isrc] *= 2
    return {isrc: weight for isrc, weight in weights.items() if weight}


def allocate_artist_centric(
    *,
    pool: Exact,
    plays: Mapping[str, Mapping[str, int]],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str],
    min_streams: int = MIN_STREAMS,
    min_listeners: int = MIN_LISTENERS,
    listener_cap: int = LISTENER_CAP,
    places: int | None = None,
) -> Allocation:
    """Divide `pool` by the month's stream weights.

    `plays`: listener -> ISRC -> qualifying streams, for the listeners that count (not
    rejected). `pool`: the month's recording pool less rejected listeners' pools.
    """
    audience = AudienceParts(listener_cap=listener_cap)
    streams: dict[str, int] = {}
    for listener_plays in plays.values():
        audience.add_plays(listener_plays, track_artists=track_artists)
        for isrc, count in listener_plays.items():
            if count:
                streams[isrc] = streams.get(isrc, 0) + count
    return _allocate(
        pool=to_fraction(pool, name="pool"),
        rejected=Fraction(0),
        streams=streams,
        audience=audience,
        track_payees=track_payees,
        track_artists=track_artists,
        min_streams=min_streams,
        min_listeners=min_listeners,
        places=places,
    )


def artist_centric_from_parts(
    *,
    parts: UserCentricParts,
    audience: AudienceParts,
    track_payees: TrackPayees,
    track_artists: Mapping[str, str],
    min_streams: int = MIN_STREAMS,
    min_listeners: int = MIN_LISTENERS,
    places: int | None = None,
) -> Allocation:
    """The artist-centric comparison on the same month's data as a user-centric run.

    `audience` comes from the same listeners as `parts` (its listener cap is the policy's).
    The pool and what is retained are pro-rata's (`pro_rata_from_parts`): all pools less
    rejected ones (unallocated pools included), so every comparison has the same total.
    """
    return _allocate(
        pool=parts.pools - parts.rejected,
        rejected=parts.rejected,
        streams=parts.streams,
        audience=audience,
        track_payees=track_payees,
        track_artists=track_artists,
        min_streams=min_streams,
        min_listeners=min_listeners,
        places=places,
    )


def _allocate(
    *,
    pool: Fraction,
    rejected: Fraction,
    streams: Mapping[str, int],
    audience: AudienceParts,
    track_payees: TrackPayees,
    track_artists: Mapping[str, str],
    min_streams: int,
    min_listeners: int,
    places: int | None,
) -> Allocation:
    weights = track_weights(
        streams=streams,
        audience=audience,
        track_artists=track_artists,
        min_streams=min_streams,
        min_listeners=min_listeners,
    )
    return allocate_by_weights(
        pool=pool,
        rejected=rejected,
        weights=weights,
        streams=streams,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )
