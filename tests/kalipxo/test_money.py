"""Money: decimal strings in, Decimal or integer minor units inside, exact rounding at one place."""

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalipxo.money import (
    format_amount,
    from_minor,
    largest_remainder,
    minor_exponent,
    parse_amount,
    parse_decimal,
    to_minor,
)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("14.99", Decimal("14.99")),
        ("14.990", Decimal("14.99")),
        ("14.9900000000", Decimal("14.99")),  # trailing zeros, up to ten places as written
        ("1" * 15, Decimal("1" * 15)),
        ("0", Decimal(0)),
        ("0.5", Decimal("0.5")),
        ("100", Decimal(100)),
    ],
)
def test_amounts_are_parsed_from_decimal_strings(raw: str, amount: Decimal) -> None:
    assert parse_amount(raw) == amount


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (14.99, "decimal strings"),
        (15, "decimal strings"),
        (True, "decimal strings"),
        (None, "decimal strings"),
        (Decimal("14.99"), "decimal strings"),
        ("1e5", "not a decimal amount"),
        ("NaN", "not a decimal amount"),
        ("Infinity", "not a decimal amount"),
        (" 1", "not a decimal amount"),
        ("1 ", "not a decimal amount"),
        ("+1", "not a decimal amount"),
        ("1.", "not a decimal amount"),
        (".5", "not a decimal amount"),
        ("1,000.00", "not a decimal amount"),
        ("١٤.٩٩", "not a decimal amount"),
        ("1" * 16, "15 digits before the decimal point"),
        ("", "not a decimal amount"),
        ("1.234", "2 decimal places"),
        ("14.990000000000000000000000000001", "2 decimal places"),  # Decimal would round it to 14.99
        ("14.99" + "0" * 17_000, "10 digits after the decimal point"),
        ("14.99000000000", "10 digits after the decimal point"),
        ("-1.00", "negative"),
    ],
)
def test_anything_else_is_refused_with_a_message_for_the_client(raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(raw)


def test_negative_amounts_only_when_asked_for() -> None:
    assert parse_amount("-1.50", allow_negative=True) == Decimal("-1.50")


def test_decimal_places_follow_the_settlement_currency(settings: Any) -> None:
    settings.SETTLEMENT_CURRENCY = "JPY"

    assert minor_exponent() == 0
    assert parse_amount("1500") == Decimal(1500)
    with pytest.raises(ValueError, match="0 decimal places in JPY"):
        parse_amount("1500.5")


@pytest.mark.parametrize(("code", "places"), [("USD", 2), ("eur", 2), ("KWD", 3), ("JPY", 0)])
def test_minor_units_follow_iso_4217(code: str, places: int) -> None:
    assert minor_exponent(code) == places


@pytest.mark.parametrize(
    ("raw", "value"), [("0.8", Decimal("0.8")), (1, Decimal(1)), ("0.333333", Decimal("0.333333"))]
)
def test_plain_decimals_take_strings_and_integers(raw: Any, value: Decimal) -> None:
    assert parse_decimal(raw) == value


@pytest.mark.parametrize("raw", [0.8, True, "4/5", "8e-1", None])
def test_plain_decimals_refuse_floats_and_other_notations(raw: Any) -> None:
    with pytest.raises(ValueError, match="decimal"):
        parse_decimal(raw)


@pytest.mark.parametrize(
    ("raw", "places", "message"),
    [
        ("0.500000000000000000000000000001", 6, "At most 6 decimal places"),
        ("0.5000001", 6, "At most 6 decimal places"),
        ("0.5" + "0" * 10, 6, "10 digits after the decimal point"),
        ("0.00000000001", 10, "At most 10 decimal places"),
        ("1" * 16, 6, "15 digits before"),
        (10**15, 6, "15 digits before"),
    ],
)
def test_plain_decimals_are_bounded_by_their_digits_as_written(raw: Any, places: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_decimal(raw, places=places)


def test_plain_decimals_accept_trailing_zeros_within_the_bound() -> None:
    assert parse_decimal("0.5000000000", places=6) == Decimal("0.5")


def test_to_minor_is_exact() -> None:
    assert to_minor(Decimal("14.99")) == 1499
    assert to_minor(Decimal("14.9900")) == 1499
    assert to_minor(Decimal(0)) == 0
    assert to_minor(Decimal("-0.01")) == -1
    with pytest.raises(ValueError, match="precision"):
        to_minor(Decimal("0.001"))


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_round_trip(minor: int) -> None:
    assert to_minor(from_minor(minor)) == minor


def test_format_amount_uses_the_minor_unit_or_given_places() -> None:
    assert format_amount(Decimal("12.345")) == "12.34"  # half-even
    assert format_amount(Decimal("12.355")) == "12.36"
    assert format_amount(1) == "1.00"
    assert format_amount(Fraction(1, 3), places=4) == "0.3333"


def test_largest_remainder_gives_leftover_cents_to_the_largest_remainders() -> None:
    exact = {"a": Fraction(1000, 3), "b": Fraction(1000, 3), "c": Fraction(1000, 3)}

    assert largest_remainder(exact, 1000) == {"a": 334, "b": 333, "c": 333}


def test_largest_remainder_keeps_exact_shares_untouched() -> None:
    assert largest_remainder({"a": Fraction(700), "b": Fraction(300)}, 1000) == {"a": 700, "b": 300}


def test_largest_remainder_refuses_shares_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="add up"):
        largest_remainder({"a": Fraction(10), "b": Fraction(10)}, 25)


@given(
    weights=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=30),
    total=st.integers(min_value=0, max_value=10**9),
)
def test_largest_remainder_always_sums_to_the_total(weights: list[int], total: int) -> None:
    whole = sum(weights)
    exact = {f"p{i}": Fraction(total * w, whole) for i, w in enumerate(weights)}

    rounded = largest_remainder(exact, total)

    assert sum(rounded.values()) == total
    assert all(abs(Fraction(rounded[key]) - exact[key]) < 1 for key in exact)
