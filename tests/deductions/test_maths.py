"""docs/rules.md §2 Deductions as pure maths: the fee, the withholding and the payable of one
payee, checked against the rule's words and for what must always hold."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from deductions.maths import payee_deductions

rates = st.decimals(min_value=0, max_value=1, places=6)
exact = st.fractions(min_value=0, max_value=100_000, max_denominator=10**9)


def test_the_three_stages_in_order() -> None:
    # 15% of 10.00 from distributor 1, nothing from distributor 2; 30% of what is left.
    result = payee_deductions(
        recording_by_distributor={1: Decimal("10.00"), 2: Decimal("5.00")},
        recording_minor=1500,
        publishing_minor=500,
        fee_rates={1: Decimal("0.15")},
        withholding_rate=Decimal("0.3"),
        scale=100,
    )
    assert (result.fee_minor, result.fees) == (150, {1: 150})
    assert result.withheld_minor == 555  # 0.3 × (1500 − 150 + 500) = 555
    assert result.payable_minor == 1295
    assert result.withheld_publishing_minor == 150  # 0.3 × 500


def test_rounding_is_half_even_once_per_payee() -> None:
    # 0.125 cents of fee from each of two distributors: 0.25 in all, rounded once to 0.
    result = payee_deductions(
        recording_by_distributor={1: Decimal("0.0125"), 2: Decimal("0.0125")},
        recording_minor=3,
        publishing_minor=0,
        fee_rates={1: Decimal("0.1"), 2: Decimal("0.1")},
        withholding_rate=Decimal("0.5"),
        scale=100,
    )
    assert result.fee_minor == 0 and result.fees == {}
    assert result.withheld_minor == 2  # 1.5 → 2 (half-even)
    assert result.payable_minor == 1


def test_a_fee_is_never_more_than_the_recording_amount() -> None:
    result = payee_deductions(
        recording_by_distributor={1: Decimal("0.009")},  # rounded to 0 cents in the allocation
        recording_minor=0,
        publishing_minor=0,
        fee_rates={1: Decimal("1")},
        withholding_rate=Decimal(0),
        scale=100,
    )
    assert (result.fee_minor, result.payable_minor) == (0, 0)


@given(
    amounts=st.dictionaries(st.integers(1, 5), exact, max_size=5),
    fee_rates=st.dictionaries(st.integers(1, 6), rates, max_size=6),
    withholding=rates,
    publishing=st.integers(0, 10_000_000),
    slack=st.integers(-1, 1),
)
def test_the_rule_holds_for_any_payee(
    amounts: dict[int, Fraction],
    fee_rates: dict[int, Decimal],
    withholding: Decimal,
    publishing: int,
    slack: int,
) -> None:
    # The payee's recording amount as the allocation rounded it: within a cent of the exact sum.
    recording = max(0, round(sum(amounts.values(), Fraction(0)) * 100) + slack)
    result = payee_deductions(
        recording_by_distributor=amounts,
        recording_minor=recording,
        publishing_minor=publishing,
        fee_rates=fee_rates,
        withholding_rate=withholding,
        scale=100,
    )
    fee_exact = sum((Fraction(fee_rates.get(d, 0)) * a * 100 for d, a in amounts.items()), Fraction(0))
    assert result.fee_minor == min(round(fee_exact), recording)
    assert sum(result.fees.values()) == result.fee_minor
    assert all(fee_rates.get(d) and minor > 0 for d, minor in result.fees.items())
    base = recording - result.fee_minor + publishing
    assert result.withheld_minor == round(Fraction(withholding) * base)
    assert result.payable_minor == base - result.withheld_minor >= 0
    from_recording = result.withheld_minor - result.withheld_publishing_minor
    assert 0 <= result.withheld_publishing_minor <= publishing
    assert 0 <= from_recording <= recording - result.fee_minor
