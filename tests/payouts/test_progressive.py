"""Progressive model (docs/rules.md §3, seed 003): the value curve, its closed-form integral, neutrality."""

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from payouts.maths.progressive import (
    DEFAULT_PARAMS,
    ProgressiveParams,
    allocate_progressive,
    crossover_plays,
    curve_points,
    payout,
    solve_base_value,
    value_at,
)

TINY = Decimal("1e-30")


def test_seed_003_checks() -> None:
    """2.21 billion plays pay $808,882.50; plays dip below $0.004 after 30,893,281 plays."""
    assert payout(plays=2_210_000_000) == Decimal("808882.5")
    assert crossover_plays(rate=Decimal("0.004")) == 30_893_281
    assert value_at(play=30_893_281) >= Decimal("0.004") > value_at(play=30_893_282)


def test_value_curve_pieces() -> None:
    assert value_at(play=1) == value_at(play=500_000) == Decimal("0.0087")
    assert value_at(play=50_000_000) == DEFAULT_PARAMS.floor_value == Decimal("0.000261")
    assert value_at(play=60_000_000) == Decimal("0.000261")
    assert payout(plays=500_000) == Decimal("4350.0000")  # b × B


def test_crossover_edges() -> None:
    assert crossover_plays(rate=Decimal("0.01")) == 0  # even the first play is worth less
    assert crossover_plays(rate=Decimal("0.0087")) == 500_000  # the curve starts falling
    assert crossover_plays(rate=Decimal("0.000261")) is None  # the floor never dips below
    flat = dataclasses.replace(DEFAULT_PARAMS, floor_ratio=Decimal(1))
    assert crossover_plays(rate=Decimal("0.0087"), params=flat) is None


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="curve_plays"):
        ProgressiveParams(base_plays=10, curve_plays=10)
    with pytest.raises(ValueError, match="exponent"):
        ProgressiveParams(exponent=Decimal(0))
    with pytest.raises(ValueError, match="finite"):
        ProgressiveParams(base_value=Decimal("NaN"))
    with pytest.raises(ValueError, match="non-negative"):
        payout(plays=-1)


@st.composite
def model_params(draw: st.DrawFn) -> ProgressiveParams:
    base_plays = draw(st.integers(0, 10**6))
    return ProgressiveParams(
        base_value=draw(st.integers(1, 10**6).map(lambda n: Decimal(n).scaleb(-6))),
        base_plays=base_plays,
        curve_plays=base_plays + draw(st.integers(1, 10**8)),
        floor_ratio=draw(st.integers(0, 100).map(lambda n: Decimal(n).scaleb(-2))),
        exponent=draw(st.integers(1, 1000).map(lambda n: Decimal(n).scaleb(-2))),
    )


@settings(max_examples=200, deadline=None)
@given(params=model_params(), plays=st.integers(1, 10**9))
def test_payout_is_the_integral_of_the_value(params: ProgressiveParams, plays: int) -> None:
    """The value falls, so the last play's slice lies between the values at its two ends."""
    step = payout(plays=plays, params=params) - payout(plays=plays - 1, params=params)
    assert (
        value_at(play=plays, params=params) - TINY <= step <= value_at(play=plays - 1, params=params) + TINY
    )
    assert value_at(play=plays, params=params) <= value_at(play=plays - 1, params=params)


@settings(max_examples=200, deadline=None)
@given(params=model_params(), data=st.data())
def test_crossover_is_the_last_play_worth_at_least_the_rate(
    params: ProgressiveParams, data: st.DataObject
) -> None:
    low, high = params.floor_value, params.base_value
    assume(low < high)
    rate = data.draw(st.integers(1, 10**6).map(lambda n: low + (high - low) * Decimal(n).scaleb(-6)))
    plays = crossover_plays(rate=rate, params=params)
    assert plays is not None
    assert value_at(play=plays, params=params) >= rate > value_at(play=plays + 1, params=params)


@settings(max_examples=100, deadline=None)
@given(
    params=model_params(),
    plays=st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 10**10), max_size=8),
    pool_cents=st.integers(0, 10**12),
)
def test_revenue_neutral_month_adds_up_to_the_pool(
    params: ProgressiveParams, plays: dict[str, int], pool_cents: int
) -> None:
    pool = Decimal(pool_cents).scaleb(-2)
    result = allocate_progressive(plays_per_artist=plays, pool=pool, params=params, places=2)
    assert result.total_minor == pool_cents
    if not any(plays.values()):
        assert result.base_value is None and result.undistributed == pool_cents
        return
    assert sum(result.amounts.values()) == pool_cents and result.undistributed == 0
    assert result.base_value is not None
    assert result.base_value == solve_base_value(plays_per_artist=plays, pool=pool, params=params)
    solved = dataclasses.replace(params, base_value=result.base_value)
    paid = sum(payout(plays=count, params=solved) for count in plays.values())
    assert abs(paid - pool) <= Decimal("1e-20") * max(pool, Decimal(1))
    ranked = sorted(plays, key=plays.__getitem__)
    assert [result.exact[key] for key in ranked] == sorted(result.exact[key] for key in ranked)


def test_payout_is_linear_in_the_base_value() -> None:
    doubled = dataclasses.replace(DEFAULT_PARAMS, base_value=Decimal("0.0174"))
    for plays in (0, 1, 499_999, 1_000_000, 49_999_999, 2_210_000_000):
        assert abs(payout(plays=plays, params=doubled) - 2 * payout(plays=plays)) < TINY * max(plays, 1)


def test_curve_points_for_the_chart() -> None:
    points = curve_points(up_to=55_000_000)
    assert len(points) == 50
    assert points[0] == (0, Decimal("0.0087"))
    assert points[-1] == (55_000_000, Decimal("0.000261"))
    assert all(isinstance(value, Decimal) for _, value in points)
    assert points[1][0] == round(Fraction(55_000_000, 49))
