"""Pro-rata allocation (seed 002), the industry standard we compare against.

The month's whole pool is divided by share of all qualifying streams: an ISRC with c of
the month's S streams gets pool × c / S, then the same splits, suspense and single
rounding as the user-centric model, so the two are comparable line by line.
"""

from collections.abc import Mapping
from fractions import Fraction

from payouts.maths import Allocation, Exact, TrackPayees, settle_tracks, to_fraction
from payouts.maths.user_centric import UserCentricParts


def allocate_pro_rata(
    *,
    pool: Exact,
    streams: Mapping[str, int],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None = None,
    places: int | None = None,
) -> Allocation:
    """Divide `pool` over the month's qualifying streams per ISRC.

    With no qualifying stream at all there is no share to divide by: the pool is retained.
    """
    return _allocate(
        pool=to_fraction(pool, name="pool"),
        rejected=Fraction(0),
        streams=streams,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )


def pro_rata_from_parts(
    *,
    parts: UserCentricParts,
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None = None,
    places: int | None = None,
) -> Allocation:
    """The pro-rata comparison on the same month's data as a user-centric run.

    Same pools and qualifying streams; fraud-rejected pools are retained in both models
    (their streams count nowhere), so both allocations have the same total.
    """
    return _allocate(
        pool=parts.pools - parts.rejected,
        rejected=parts.rejected,
        streams=parts.streams,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )


def _allocate(
    *,
    pool: Fraction,
    rejected: Fraction,
    streams: Mapping[str, int],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None,
    places: int | None,
) -> Allocation:
    if pool < 0:
        raise ValueError("The pool must not be negative.")
    for isrc, count in streams.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"Stream count of {isrc} must be a non-negative int.")
    counts = {isrc: count for isrc, count in streams.items() if count > 0}
    return allocate_by_weights(
        pool=pool,
        rejected=rejected,
        weights={isrc: Fraction(count) for isrc, count in counts.items()},
        streams=counts,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )


def allocate_by_weights(
    *,
    pool: Fraction,
    rejected: Fraction,
    weights: Mapping[str, Fraction],
    streams: Mapping[str, int],
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None,
    places: int | None,
) -> Allocation:
    """Weighted pro-rata: an ISRC with weight w of the month's W gets pool × w / W, then
    splits, suspense and one rounding per payee. `rejected` pools are retained; so is the
    pool when W is 0. The allocation's `streams` are those of the ISRCs with a weight."""
    if pool < 0 or rejected < 0:
        raise ValueError("The pool must not be negative.")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("Weights must not be negative.")
    counted = {isrc: weight for isrc, weight in weights.items() if weight > 0}
    total = sum(counted.values(), Fraction(0))
    return settle_tracks(
        track_amounts={isrc: pool * weight / total for isrc, weight in counted.items()},
        streams={isrc: streams.get(isrc, 0) for isrc in counted},
        retained_exact=rejected + (Fraction(0) if total else pool),
        pools_exact=pool + rejected,
        unallocated_exact=Fraction(0),
        rejected_exact=rejected,
        track_payees=track_payees,
        track_artists=track_artists,
        places=places,
    )


def pro_rata_payout(*, plays: int, rate: Exact) -> Fraction:
    """The calculator's pro-rata figure: plays × a per-stream rate, exact."""
    exact_rate = to_fraction(rate, name="rate")
    if plays < 0 or exact_rate < 0:
        raise ValueError("plays and rate must not be negative.")
    return plays * exact_rate
