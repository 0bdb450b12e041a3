"""A payee's deductions for a month, in minor units (docs/rules.md §2 Deductions). Pure.

1. Fee: Σ over distributors d of d's rate × the payee's exact recording amount from d's
   tracks, rounded half-even once; it is shared among the distributors' accounts by the
   largest remainder of each one's exact part, so the parts add up to the fee.
2. Withheld: the withholding rate × (recording − fee + publishing), rounded half-even.
3. Payable: recording − fee + publishing − withheld.

The fee is never more than the payee's recording amount (a payee whose sub-cent share
rounded to 0 is charged nothing), so a payable is never negative. The ledger keeps the two
sides on their own accounts, so the withheld amount is taken from each side in proportion:
the publishing part is the rate × publishing rounded half-even, the rest from the recording
side; both parts stay within what the side has.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Generic, TypeVar

from kalipxo.money import half_even_minor, largest_remainder

D = TypeVar("D")


@dataclass(frozen=True)
class Deducted(Generic[D]):
    fee_minor: int
    withheld_minor: int
    withheld_publishing_minor: int  # the part of `withheld_minor` from the publishing side
    payable_minor: int
    fees: dict[D, int] = field(default_factory=dict)  # per distributor, adding up to fee_minor


def payee_deductions(
    *,
    recording_by_distributor: Mapping[D, Decimal | Fraction],
    recording_minor: int,
    publishing_minor: int,
    fee_rates: Mapping[D, Decimal],
    withholding_rate: Decimal,
    scale: int,
) -> Deducted[D]:
    """`recording_by_distributor`: the payee's exact recording amount (currency units) from
    each distributor's tracks; distributors without a rate in `fee_rates` charge 0."""
    parts = {
        d: Fraction(fee_rates[d]) * Fraction(amount) * scale
        for d, amount in recording_by_distributor.items()
        if fee_rates.get(d)
    }
    fee = max(0, min(half_even_minor(sum(parts.values(), Fraction(0)), 1), recording_minor))
    fees = {d: minor for d, minor in _shares(parts, fee).items() if minor}
    base = recording_minor - fee + publishing_minor
    withheld = half_even_minor(withholding_rate * base, 1) if base > 0 else 0
    from_publishing = min(half_even_minor(withholding_rate * publishing_minor, 1), publishing_minor, withheld)
    from_publishing = max(from_publishing, withheld - (recording_minor - fee))
    return Deducted(
        fee_minor=fee,
        withheld_minor=withheld,
        withheld_publishing_minor=from_publishing,
        payable_minor=base - withheld,
        fees=fees,
    )


def _shares(parts: Mapping[D, Fraction], total: int) -> dict[D, int]:
    """`total` shared by the largest remainder of `parts`; when the fee was capped below the
    parts' sum, each part is scaled down first so that the shares still add up to it."""
    whole = sum(parts.values(), Fraction(0))
    if not parts or total == 0:
        return {}
    if half_even_minor(whole, 1) != total:
        parts = {d: part * total / whole for d, part in parts.items()}
    return largest_remainder(parts, total)
