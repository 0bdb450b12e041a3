"""Progressive payout model (docs/rules.md §3, seed 003): the n-th play of a month is worth less as n grows.

Value of the n-th play, with base value b, base plays B, curve end D, floor f = b × floor
ratio and exponent p, where u = (n − B) / (D − B):

    n ≤ B:       b
    B < n ≤ D:   f + (b − f) × (1 − u^p)
    n > D:       f

An artist's payout for N plays is the integral of that value from 0 to N, in closed form.
The exponent is not an integer, so powers are taken with `Decimal` in a local 50-digit
context (never floats); results are `Decimal`s with that precision, rounded by callers.
"""

import dataclasses
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Generic, TypeVar

from kalipxo.money import decimal_context, floor_int, round_to_total
from payouts.maths import Exact, places_or_default, to_fraction

K = TypeVar("K", bound=Hashable)

# 50 significant digits: payouts of up to 10^13 plays keep more than 30 exact decimals.
_CONTEXT = decimal_context(50)
MAX_EXPONENT = Decimal(10)


@dataclass(frozen=True)
class ProgressiveParams:
    """The model's parameters; the defaults are the seed calculator's."""

    base_value: Decimal = Decimal("0.0087")
    base_plays: int = 500_000
    curve_plays: int = 50_000_000
    floor_ratio: Decimal = Decimal("0.03")
    exponent: Decimal = Decimal("1.2")

    def __post_init__(self) -> None:
        for name in ("base_value", "floor_ratio", "exponent"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"{name} must be a finite Decimal.")
        if self.base_value < 0:
            raise ValueError("base_value must not be negative.")
        if not 0 <= self.base_plays < self.curve_plays:
            raise ValueError("Need 0 <= base_plays < curve_plays.")
        if not 0 <= self.floor_ratio <= 1:
            raise ValueError("floor_ratio must be between 0 and 1.")
        # Bounded so Decimal powers stay cheap and meaningful.
        if not 0 < self.exponent <= MAX_EXPONENT:
            raise ValueError(f"exponent must be in (0, {MAX_EXPONENT}].")

    @property
    def floor_value(self) -> Decimal:
        with localcontext(_CONTEXT):
            return self.base_value * self.floor_ratio


DEFAULT_PARAMS = ProgressiveParams()


def _check_plays(plays: int) -> None:
    if isinstance(plays, bool) or not isinstance(plays, int) or plays < 0:
        raise ValueError("Play counts must be non-negative ints.")


def value_at(*, play: int, params: ProgressiveParams = DEFAULT_PARAMS) -> Decimal:
    """Value of the `play`-th play of an artist in the month."""
    _check_plays(play)
    b, f = params.base_value, params.floor_value
    if play <= params.base_plays:
        return b
    if play > params.curve_plays:
        return f
    with localcontext(_CONTEXT):
        u = Decimal(play - params.base_plays) / Decimal(params.curve_plays - params.base_plays)
        return f + (b - f) * (1 - u**params.exponent)


def payout(*, plays: int, params: ProgressiveParams = DEFAULT_PARAMS) -> Decimal:
    """Payout for `plays` plays: the integral of the value from 0 to `plays`, closed form.

    Up to B it is b × N; on the curve b × N − (b − f)(D − B) u^(p+1) / (p+1); beyond D the
    whole curve's integral plus f per further play.
    """
    _check_plays(plays)
    b, f, p = params.base_value, params.floor_value, params.exponent
    base, end = params.base_plays, params.curve_plays
    with localcontext(_CONTEXT):
        if plays <= base:
            return b * plays
        span = Decimal(end - base)
        if plays <= end:
            u = Decimal(plays - base) / span
            return b * plays - (b - f) * span * u ** (p + 1) / (p + 1)
        return b * end - (b - f) * span / (p + 1) + f * (plays - end)


def crossover_plays(*, rate: Decimal, params: ProgressiveParams = DEFAULT_PARAMS) -> int | None:
    """The play count after which plays are worth less than `rate`, or None if they never are.

    The largest n whose n-th play is still worth at least `rate` (seed 003: 30,893,281 at
    the defaults and 0.004). 0 when even the first play is worth less; None when the
    floor is worth at least `rate`.
    """
    b, f = params.base_value, params.floor_value
    if rate > b:
        return 0
    if rate <= f:
        return None
    with localcontext(_CONTEXT):
        u = ((b - rate) / (b - f)) ** (1 / params.exponent)
        exact = params.base_plays + (params.curve_plays - params.base_plays) * u
        candidate = floor_int(exact)
    # The power is correct to 50 digits; settle the last unit against the definition itself.
    while candidate > 0 and value_at(play=candidate, params=params) < rate:
        candidate -= 1
    while value_at(play=candidate + 1, params=params) >= rate:
        candidate += 1
    return candidate


def _unit_payouts(plays_per_artist: Mapping[K, int], params: ProgressiveParams) -> dict[K, Decimal]:
    """Payouts with base value 1: with f = b × floor_ratio the payout is linear in b."""
    unit = dataclasses.replace(params, base_value=Decimal(1))
    return {key: payout(plays=plays, params=unit) for key, plays in plays_per_artist.items()}


def solve_base_value(
    *, plays_per_artist: Mapping[K, int], pool: Exact, params: ProgressiveParams = DEFAULT_PARAMS
) -> Decimal | None:
    """The base value b that makes all artists' progressive payouts add up to `pool`.

    Revenue neutrality (seed 003): payout is linear in b, so b = pool / Σ payout(b=1).
    None when nobody played anything (no b can distribute the pool). `params.base_value`
    is ignored.
    """
    units = _unit_payouts(plays_per_artist, params)
    return _base_value(pool=to_fraction(pool, name="pool"), units=units.values())


def _base_value(*, pool: Fraction, units: Iterable[Decimal]) -> Decimal | None:
    with localcontext(_CONTEXT):
        total = sum(units, Decimal(0))
        if not total:
            return None
        return Decimal(pool.numerator) / Decimal(pool.denominator) / total


@dataclass(frozen=True)
class ProgressiveAllocation(Generic[K]):
    """A revenue-neutral progressive split of a month's pool among artists.

    `amounts` (minor units) add up to `total_minor` (the pool rounded half-even), unless
    nobody played anything: then `base_value` is None and everything is `undistributed`.
    """

    base_value: Decimal | None
    total_minor: int
    amounts: dict[K, int]
    exact: dict[K, Fraction]
    undistributed: int


def allocate_progressive(
    *,
    plays_per_artist: Mapping[K, int],
    pool: Exact,
    params: ProgressiveParams = DEFAULT_PARAMS,
    places: int | None = None,
) -> ProgressiveAllocation[K]:
    """Each artist's progressive payout for the month, scaled to the pool and rounded once.

    Artist i gets pool × unit_i / Σ unit (unit = payout with b = 1, as 50-digit Decimals
    taken exactly), so the exact shares add up to the pool and rounding conserves it.
    """
    digits = places_or_default(places)
    exact_pool = to_fraction(pool, name="pool")
    if exact_pool < 0:
        raise ValueError("The pool must not be negative.")
    unit_payouts = _unit_payouts(plays_per_artist, params)
    units = {key: Fraction(value) for key, value in unit_payouts.items()}
    total_units = sum(units.values(), Fraction(0))
    base_value = _base_value(pool=exact_pool, units=unit_payouts.values())
    if not total_units:
        total, _ = round_to_total({"pool": exact_pool}, places=digits)
        zeros = dict.fromkeys(plays_per_artist, 0)
        return ProgressiveAllocation(
            base_value=None,
            total_minor=total,
            amounts=zeros,
            exact=dict.fromkeys(plays_per_artist, Fraction(0)),
            undistributed=total,
        )
    exact = {key: exact_pool * unit / total_units for key, unit in units.items()}
    total, amounts = round_to_total(exact, places=digits)
    return ProgressiveAllocation(
        base_value=base_value, total_minor=total, amounts=amounts, exact=exact, undistributed=0
    )


def curve_points(
    *, up_to: int, params: ProgressiveParams = DEFAULT_PARAMS, points: int = 50
) -> list[tuple[int, Decimal]]:
    """(play, value) pairs evenly spaced from 0 to `up_to`, for drawing the rate curve."""
    _check_plays(up_to)
    if points < 2:
        raise ValueError("Need at least 2 points.")
    plays = sorted({round(Fraction(up_to * index, points - 1)) for index in range(points)})
    return [(play, value_at(play=play, params=params)) for play in plays]
