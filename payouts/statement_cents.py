"""A statement's lines in minor units (cents) that add up to the payee's amount exactly.

A run rounds once per payee, by largest remainder over all payees, suspense and retained
(docs/rules.md §2 Rounding). Rounding each statement line on its own would not add up to
that amount: 6 lines of 0.01275 round to 0.01 each (0.06) while their total, 0.0765, is
paid as 0.08. So the payee's cents are shared out over its lines by largest remainder on
the lines' exact amounts, and each line's cents again over its two allocation stages (from
listeners' own pools, from unallocated pools): every row and every column adds up.

Plain functions on exact values (`Decimal`/`Fraction`), no database.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from kalipxo.money import largest_remainder

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class ExactLine:
    """A payee's part of one allocation line, in currency units (exact)."""

    from_listeners: Decimal
    from_unallocated: Decimal
    amount: Decimal


@dataclass(frozen=True)
class LineCents:
    """The same line in minor units: from_listeners + from_unallocated == amount."""

    from_listeners: int
    from_unallocated: int
    amount: int


def share_out(exact: Mapping[K, Fraction], total_minor: int) -> dict[K, int]:
    """`total_minor` shared over the keys by largest remainder on their exact minor amounts.

    Normally `total_minor` is the exact sum rounded down or up, and each key gets its own
    exact amount rounded down or up. The exact amounts are stored to 30 decimals each, so
    their sum can sit a hair off the payee's stored exact total; should that put the total
    out of reach of those roundings, the keys share it in proportion to their amounts
    instead: the result adds up to `total_minor` either way.
    """
    if not exact:
        return {}
    try:
        return largest_remainder(exact, total_minor)
    except ValueError:
        weights = sum(exact.values(), Fraction(0))
        if weights == 0:  # nothing to weigh by: equal parts
            return largest_remainder({key: Fraction(total_minor, len(exact)) for key in exact}, total_minor)
        return largest_remainder(
            {key: total_minor * value / weights for key, value in exact.items()}, total_minor
        )


def lines_in_minor(lines: Sequence[ExactLine], total_minor: int, *, scale: int) -> list[LineCents]:
    """Each line's cents, adding up to `total_minor` (the payee's amount after the run's
    rounding); within a line, listeners' pools + unallocated pools == the line's amount.
    `scale` is minor units per currency unit (100 for USD)."""
    amounts = share_out({i: Fraction(line.amount) * scale for i, line in enumerate(lines)}, total_minor)
    result = []
    for i, line in enumerate(lines):
        stages = share_out(
            {
                "listeners": Fraction(line.from_listeners) * scale,
                "unallocated": Fraction(line.from_unallocated) * scale,
            },
            amounts[i],
        )
        result.append(LineCents(stages["listeners"], stages["unallocated"], amounts[i]))
    return result
