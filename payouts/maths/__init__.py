"""The allocation maths: pure functions over plain data, no ORM, so the live estimator, the
month-end run and the public calculator all compute the same numbers.

This package module holds what the models share: the `Allocation` result and the step that
turns exact amounts per track into payee, suspense and retained lines, rounded once. The
models live in `user_centric`, `pro_rata` and `progressive`.

Exact amounts are `Fraction`s of the currency unit (dollars, not cents); payable amounts
are integers of the minor unit. Rounding happens once, in `settle_tracks`, through
`kalipxo.money.round_to_total`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kalipxo.money import minor_exponent, round_to_total

Exact = Decimal | Fraction | int
# ISRC -> [(payee id, share)]; shares of one track add up to exactly 1. A track without
# splits is passed as [(its artist's payee id, 1)] by the caller.
TrackPayees = Mapping[str, Sequence[tuple[str, Exact]]]


def to_fraction(value: Exact, *, name: str = "amount") -> Fraction:
    """Exact conversion; refuses floats, NaN and infinities (they have no exact value)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | Fraction | int):
        raise TypeError(f"{name} must be a Decimal, Fraction or int, not {type(value).__name__}.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be a finite number.")
    return Fraction(value)


def places_or_default(places: int | None) -> int:
    return minor_exponent() if places is None else places


@dataclass(frozen=True)
class Allocation:
    """A month's money, settled: what each payee gets, what waits in suspense, what is kept.

    `total_minor == sum(payees) + sum(suspense) + retained` always holds. The `*_exact`
    fields are unrounded currency amounts, for traceability and per-track breakdowns.
    """

    total_minor: int
    payees: dict[str, int]
    suspense: dict[str, int]
    retained: int
    pools_exact: Fraction
    payee_exact: dict[str, Fraction]
    suspense_exact: dict[str, Fraction]
    retained_exact: Fraction
    # Pool of listeners with a pool and no qualifying streams (its own line on the run),
    # whether it was spread over the month's streams or retained.
    unallocated_exact: Fraction
    # Pools of listeners rejected by a fraud decision (always retained).
    rejected_exact: Fraction
    # (payee, ISRC) -> exact amount after splits; ISRC -> exact amount before splits.
    payee_tracks: dict[tuple[str, str], Fraction]
    track_gross: dict[str, Fraction]
    # Qualifying streams per ISRC, and per payee (streams of tracks the payee has a share in).
    streams: dict[str, int]
    payee_streams: dict[str, int]
    # Artist id -> exact gross of the artist's tracks, when the caller passed track_artists.
    artist_gross: dict[str, Fraction] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        return sum(self.payees.values())


def track_shares(isrc: str, payees: Sequence[tuple[str, Exact]]) -> dict[str, Fraction]:
    """A track's split shares per payee, checked: non-negative and adding up to exactly 1."""
    shares: dict[str, Fraction] = {}
    for payee, share in payees:
        value = to_fraction(share, name=f"share of {payee} on {isrc}")
        if value < 0:
            raise ValueError(f"Negative split share for {payee} on {isrc}.")
        shares[payee] = shares.get(payee, Fraction(0)) + value
    if sum(shares.values(), Fraction(0)) != 1:
        raise ValueError(f"Split shares of {isrc} do not add up to 1.")
    return shares


def settle_tracks(
    *,
    track_amounts: Mapping[str, Fraction],
    streams: Mapping[str, int],
    retained_exact: Fraction,
    pools_exact: Fraction,
    unallocated_exact: Fraction,
    rejected_exact: Fraction,
    track_payees: TrackPayees,
    track_artists: Mapping[str, str] | None = None,
    places: int | None = None,
) -> Allocation:
    """Split exact per-track amounts to payees (unknown ISRCs to suspense) and round once.

    Precondition: sum(track_amounts) + retained_exact == pools_exact, so the rounded lines
    add up to the pools rounded to the minor unit.
    """
    digits = places_or_default(places)
    if sum(track_amounts.values(), Fraction(0)) + retained_exact != pools_exact:
        raise ValueError("Track amounts and retained money do not add up to the pools.")
    payee_tracks: dict[tuple[str, str], Fraction] = {}
    payee_exact: dict[str, Fraction] = {}
    payee_streams: dict[str, int] = {}
    suspense_exact: dict[str, Fraction] = {}
    artist_gross: dict[str, Fraction] = {}
    for isrc, amount in track_amounts.items():
        if track_artists is not None and isrc in track_artists:
            artist = track_artists[isrc]
            artist_gross[artist] = artist_gross.get(artist, Fraction(0)) + amount
        payees = track_payees.get(isrc)
        if payees is None:
            suspense_exact[isrc] = amount
            continue
        for payee, share in track_shares(isrc, payees).items():
            part = amount * share
            payee_tracks[(payee, isrc)] = part
            payee_exact[payee] = payee_exact.get(payee, Fraction(0)) + part
            payee_streams[payee] = payee_streams.get(payee, 0) + streams.get(isrc, 0)

    return rounded_allocation(
        payee_exact=payee_exact,
        suspense_exact=suspense_exact,
        retained_exact=retained_exact,
        pools_exact=pools_exact,
        unallocated_exact=unallocated_exact,
        rejected_exact=rejected_exact,
        payee_tracks=payee_tracks,
        track_gross=dict(track_amounts),
        streams=dict(streams),
        payee_streams=payee_streams,
        artist_gross=artist_gross,
        places=digits,
    )


def rounded_allocation(
    *,
    payee_exact: dict[str, Fraction],
    suspense_exact: dict[str, Fraction],
    retained_exact: Fraction,
    places: int,
    **trace: Any,
) -> Allocation:
    """Round a month's exact payee, suspense and retained lines once, together, by the
    largest-remainder method (their total is the exact sum rounded half-even), into an
    `Allocation`; `trace` carries its remaining fields through."""
    lines: dict[tuple[str, str], Fraction] = {("payee", key): value for key, value in payee_exact.items()}
    lines.update({("suspense", key): value for key, value in suspense_exact.items()})
    lines[("retained", "")] = retained_exact
    total, rounded = round_to_total(lines, places=places)
    return Allocation(
        total_minor=total,
        payees={key: rounded[("payee", key)] for key in payee_exact},
        suspense={key: rounded[("suspense", key)] for key in suspense_exact},
        retained=rounded[("retained", "")],
        payee_exact=payee_exact,
        suspense_exact=suspense_exact,
        retained_exact=retained_exact,
        **trace,
    )
