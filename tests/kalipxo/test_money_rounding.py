"""Rounding and display formatting in kalipxo.money: each function against worked examples,
and the rounding maths against an independent exact computation (hypothesis)."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalipxo.money import (
    WIDE_DIGITS,
    decimal_context,
    exact_decimal,
    floor_int,
    format_exact,
    format_half_even,
    format_minor,
    format_percent,
    format_trimmed,
    half_even_minor,
    quantize_places,
    round_to_total,
)

fractions = st.fractions(max_denominator=10**12).filter(lambda f: abs(f) < 10**15)
# Decimals as the numeric columns hold them: up to 15 integer digits and 30 places.
column_decimals = st.decimals(
    min_value=Decimal(-(10**15) + 1), max_value=Decimal(10**15 - 1), places=30, allow_nan=False
)


def _half_even(value: Fraction) -> int:
    """Half to even written out by hand, independent of round()."""
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2):
        return floor + 1
    return floor


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        (Decimal("0.125"), 12),
        (Decimal("0.135"), 14),
        (Decimal("-0.125"), -12),
        (Decimal("-0.135"), -14),
        (Fraction(1, 3), 33),
        (Fraction(2, 3), 67),
        (Decimal("12.344999999999999999999999999999"), 1234),
        (7, 700),
    ],
)
def test_half_even_minor_rounds_ties_to_even(amount: Decimal | Fraction | int, minor: int) -> None:
    assert half_even_minor(amount, 100) == minor


@given(fractions, st.integers(min_value=0, max_value=10))
def test_half_even_minor_is_exact_half_even(amount: Fraction, places: int) -> None:
    assert half_even_minor(amount, 10**places) == _half_even(amount * 10**places)


@given(column_decimals, st.integers(min_value=0, max_value=6))
def test_half_even_minor_of_a_decimal_is_that_of_its_exact_value(amount: Decimal, places: int) -> None:
    scale = 10**places
    assert half_even_minor(amount, scale) == half_even_minor(Fraction(amount), scale)
    with localcontext(decimal_context(WIDE_DIGITS)):
        assert half_even_minor(amount, scale) == int(
            (amount * scale).to_integral_value(rounding=ROUND_HALF_EVEN)
        )


def test_round_to_total_rounds_the_sum_once_and_conserves_it() -> None:
    exact = {"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3), "d": Fraction(5, 1000)}

    total, rounded = round_to_total(exact, places=2)

    assert total == 100  # 1.005 rounds half-even to 1.00
    assert rounded == {"a": 33, "b": 33, "c": 33, "d": 1}  # d has the largest remainder (0.5)


@given(st.dictionaries(st.text(max_size=3), st.fractions(min_value=0, max_value=10**6), max_size=20))
def test_round_to_total_always_adds_up(exact: dict[str, Fraction]) -> None:
    total, rounded = round_to_total(exact, places=2)

    assert total == _half_even(sum(exact.values(), Fraction(0)) * 100)
    assert sum(rounded.values()) == total
    assert all(abs(rounded[key] - exact[key] * 100) < 1 for key in exact)


def test_decimal_context_has_the_digits_asked_and_rounds_half_even() -> None:
    context = decimal_context(5)

    assert context.prec == 5
    assert context.rounding == ROUND_HALF_EVEN
    assert context.divide(Decimal(1), Decimal(3)) == Decimal("0.33333")


def test_quantize_places_rounds_half_even() -> None:
    assert quantize_places(Decimal("2.345"), 2) == Decimal("2.34")
    assert quantize_places(Decimal("2.355"), 2) == Decimal("2.36")
    assert str(quantize_places(Decimal(3), 2)) == "3.00"


def test_quantize_places_refuses_more_digits_than_its_context_rather_than_cut() -> None:
    amount = Decimal("1" * 20 + "." + "1" * 30)

    with pytest.raises(InvalidOperation):
        quantize_places(amount, 30, context=decimal_context(28))
    assert quantize_places(amount, 30, context=decimal_context(70)) == amount


@pytest.mark.parametrize(
    ("value", "places", "result"),
    [
        (Fraction(1, 3), 30, "0." + "3" * 30),
        (Fraction(2, 3), 4, "0.6667"),
        (Decimal("0.00000000000000000000000000000050"), 30, "0E-30"),  # half-even: down to 0
        (Decimal("0.00000000000000000000000000000150"), 30, "2E-30"),
    ],
)
def test_exact_decimal_rounds_only_once(value: Fraction | Decimal, places: int, result: str) -> None:
    assert str(exact_decimal(value, places)) == result


@given(fractions)
def test_exact_decimal_is_the_nearest_decimal(value: Fraction) -> None:
    assert Fraction(exact_decimal(value, 30)) == Fraction(_half_even(value * 10**30), 10**30)


@pytest.mark.parametrize(("value", "result"), [("2.9", 2), ("2", 2), ("-2.1", -3), ("-2", -2), ("0.5", 0)])
def test_floor_int_rounds_down(value: str, result: int) -> None:
    assert floor_int(Decimal(value)) == result


def test_format_minor_never_writes_an_exponent() -> None:
    assert format_minor(1234, 2) == "12.34"
    assert format_minor(0, 2) == "0.00"
    assert format_minor(None, 2) == "0.00"
    assert format_minor(-5, 2) == "-0.05"
    assert format_minor(1500, 0) == "1500"
    assert format_minor(1, 3) == "0.001"


def test_format_exact_rounds_half_even_for_display() -> None:
    assert format_exact(Decimal("15.0625"), 3) == "15.062"
    assert format_exact(Decimal("15.0635"), 3) == "15.064"
    assert format_exact(None, 2) == "0.00"
    assert format_exact(Decimal("1E-12"), 6) == "0.000000"


def test_format_trimmed_shows_the_places_an_amount_needs() -> None:
    assert format_trimmed(Decimal("15.062000"), most=6) == "15.062"
    assert format_trimmed(Decimal(3), most=6) == "3.00"
    assert format_trimmed(None, most=6) == "0.00"
    assert format_trimmed(Decimal("0.0000005"), most=6) == "0.00"  # half-even to 6 places
    assert format_trimmed(Decimal("0.0000015"), most=6) == "0.000002"


@pytest.mark.parametrize(
    ("value", "places", "result"),
    [
        (Fraction(1, 8), 2, "0.12"),
        (Fraction(3, 8), 2, "0.38"),
        (Decimal("0.004"), 4, "0.0040"),
        (Fraction(10**30, 3), 2, "333333333333333333333333333333.33"),
        (Decimal(0), 2, "0.00"),
    ],
)
def test_format_half_even(value: Fraction | Decimal, places: int, result: str) -> None:
    assert format_half_even(value, places) == result


@given(fractions, st.integers(min_value=0, max_value=8))
def test_format_half_even_is_the_exact_half_even_value(value: Fraction, places: int) -> None:
    assert Fraction(Decimal(format_half_even(value, places))) == Fraction(
        _half_even(value * 10**places), 10**places
    )


@pytest.mark.parametrize(
    ("share", "places", "result"),
    [
        ("0.0456", 1, "4.6%"),
        ("0.0445", 1, "4.5%"),  # half up, not half even (4.4%)
        ("0.0455", 1, "4.6%"),
        ("-0.0445", 1, "-4.5%"),
        ("1", 1, "100.0%"),
        ("0.12345", 2, "12.35%"),
        ("0", 0, "0%"),
    ],
)
def test_format_percent_rounds_half_up(share: str, places: int, result: str) -> None:
    assert format_percent(Decimal(share), places) == result


@given(st.decimals(min_value=-10, max_value=10, places=8, allow_nan=False), st.integers(0, 4))
def test_format_percent_is_the_half_up_percentage(share: Decimal, places: int) -> None:
    scaled = Fraction(share) * 100 * 10**places
    half_up = abs(scaled) + Fraction(1, 2)  # ties away from zero
    nearest = (half_up.numerator // half_up.denominator) * (-1 if scaled < 0 else 1)

    shown = format_percent(share, places)

    assert shown.endswith("%")
    assert Fraction(Decimal(shown[:-1])) == Fraction(nearest, 10**places)
