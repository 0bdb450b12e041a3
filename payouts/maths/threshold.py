"""Threshold comparison (docs/rules.md §2 "Comparison models", after Spotify, 2024).

Pro-rata among the tracks that pass a bar: an ISRC with fewer than `min_streams`
(default 1,000: `TH_MIN_STREAMS`) qualifying streams over the 12 months ending with the
month earns nothing, and its streams leave both sides of the division, so a passing ISRC
with c of the passing ISRCs' S' streams gets pool × c / S'. The bar is per ISRC, an
ISRC not in the catalog too (it passes or fails on its own streams; if it passes, its
share goes to suspense). Then the same splits, suspense and single rounding per payee as
pro-rata, so the models compare line by line.

If no ISRC passes (or nothing was streamed), nothing is paid: the allocation has no
payee and no suspense line, and `retained_exact == pools_exact` (the pool plus the
rejected pools), as pro-rata does when there is no qualifying stream. The part retained
because nothing passed is `retained_exact - rejected_exact`. The allocation's `streams`,
`track_gross` and `payee_streams` cover the passing ISRCs only (the streams that counted).
"""

from collections.abc import Mapping
from fractions import Fraction

from payouts.maths import Allocation, Exact, TrackPayees, to_fraction
from payouts.maths.pro_rata import allocate_by_weights
from payouts.maths.user_centric import UserCentricParts

RULE = (
    "Threshold (after Spotify): tracks with fewer than 1,000 streams over the last 12 months earn "
    "nothing, and the pool is shared among the other tracks by their streams."
)

MIN_STREAMS = 1_000


def _count(value: object, *, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int.")
    return value


def passing_tracks(
    *, streams: Mapping[str, int], trailing_streams: Mapping[str, int], min_streams: int = MIN_STREAMS
) -> set[str]:
    """The ISRCs streamed this month with at least `min_streams` over the trailing 12 months.

    `streams`: this month's qualifying streams per ISRC. `trailing_streams`: qualifying
    streams per ISRC over the 12 months ending with this one (so this month's included:
    never fewer than `streams`; an ISRC absent from it counts this month's streams only).
    """
    _count(min_streams, name="min_streams")
    for isrc, count in trailing_streams.items():
        _count(count, name=f"Trailing stream count of {isrc}")
    passing: set[str] = set()
    for isrc, count in streams.items():
        if not _count(count, name=f"Stream count of {isrc}"):
            continue
        trailing = trailing_streams.get(isrc, count)
        if trailing < count:
            raise ValueError(
                f"{isrc} has {trailing} streams over the 12 months but {count} in the month they end with."
            )
        if trailing >= min_streams:
            passing.add(isrc)
    return passing


def allocate_threshold(
    *,
    pool: Exact,
    streams: Mapping[str, int],
    trailing_streams: Mapping[str, int],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None = None,
    min_streams: int = MIN_STREAMS,
    places: int | None = None,
) -> Allocation:
    """Divide `pool` (the month's recording pool less rejected listeners' pools) over the
    month's streams of the passing ISRCs (see `passing_tracks` for the inputs)."""
    return _allocate(
        pool=to_fraction(pool, name="pool"),
        rejected=Fraction(0),
        streams=streams,
        trailing_streams=trailing_streams,
        track_payees=track_payees,
        track_artists=track_artists,
        min_streams=min_streams,
        places=places,
    )


def threshold_from_parts(
    *,
    parts: UserCentricParts,
    trailing_streams: Mapping[str, int],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None = None,
    min_streams: int = MIN_STREAMS,
    places: int | None = None,
) -> Allocation:
    """The threshold comparison on the same month's data as a user-centric run.

    Same pool and retained rejected pools as `pro_rata_from_parts`; the parts hold this
    month's streams per ISRC, and `trailing_streams` adds the 12 months ending with it.
    """
    return _allocate(
        pool=parts.pools - parts.rejected,
        rejected=parts.rejected,
        streams=parts.streams,
        trailing_streams=trailing_streams,
        track_payees=track_payees,
        track_artists=track_artists,
        min_streams=min_streams,
        places=places,
    )


def _allocate(
    *,
    pool: Fraction,
    rejected: Fraction,
    streams: Mapping[str, int],
    trailing_streams: Mapping[str, int],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None,
    min_streams: int,
    places: int | None,
) -> Allocation:
    passing = passing_tracks(streams=streams, trailing_streams=trailing_streams, min_streams=min_streams)
    return allocate_by_weights(
        pool=pool,
        rejected=rejected,
        weights={isrc: Fraction(count) for isrc, count in streams.items() if isrc in passing},
        streams=streams,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )
