"""The one home of money: the settlement currency's minor unit, parsing, formatting, rounding.

Amounts are `Decimal` or integers of minor units, never floats. Amounts travel over the
API as decimal strings ("14.99"). Every rounding of an amount, a rate or a share happens
here: to the minor unit through `half_even_minor` and `round_to_total`/`largest_remainder`
(allocations, docs/rules.md §2 Rounding), for display through the `quantize_*` and
`format_*` functions, and inside the maths through `decimal_context` and `floor_int`.
"""

import re
from collections.abc import Hashable, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import TypeVar

from django.conf import settings

# ISO 4217 minor units for currencies whose exponent is not 2.
_MINOR_UNIT_EXCEPTIONS = {
    "BHD": 3, "CLP": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0,
    "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0,
}  # fmt: skip

# Decimal strings as written: optional minus, digits, optional fraction. ASCII digits only:
# `\d` and Decimal() would also take "١٤.٩٩".
_DECIMAL_RE = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
# Bounds on the digits as written, checked on the string before any arithmetic: Decimal
# rounds every operation to 28 significant digits, so a places check done by arithmetic
# passes "14.990000000000000000000000000001" (which the numeric columns then round to
# 14.99), and PostgreSQL refuses a numeric with more than 16,383 fraction digits with an
# error. With these bounds a value has at most 25 digits and every check is exact.
MAX_INTEGER_DIGITS = 15
# Trailing zeros are accepted ("14.990", "14.9900": the same value, so a replay written
# either way is the same record) but count towards this bound like any other digit.
MAX_FRACTION_DIGITS = 10

K = TypeVar("K", bound=Hashable)


def currency() -> str:
    return str(settings.SETTLEMENT_CURRENCY)


def minor_exponent(code: str | None = None) -> int:
    """Number of decimal places of the currency's minor unit (USD: 2)."""
    return _MINOR_UNIT_EXCEPTIONS.get((code or currency()).upper(), 2)


def parse_amount(value: object, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount sent as a decimal string, in the settlement currency.

    Raises ValueError with a message fit for an API client. JSON numbers are refused on
    purpose: a float has already lost the exact value before we see it.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('Send amounts as decimal strings, e.g. "14.99", not numbers.')
    amount = _decimal_from_text(
        value,
        places=minor_exponent(),
        in_unit=f" in {currency()}",
        shape=f'"{_cut(value)}" is not a decimal amount like "14.99".',
    )
    if amount.is_signed() and not allow_negative:  # is_signed: "-0.00" too
        raise ValueError("Must not be negative.")
    return amount


def parse_decimal(value: object, *, places: int = MAX_FRACTION_DIGITS) -> Decimal:
    """Parse a plain decimal (a share, a rate) sent as a string or an integer.

    At most `places` decimal places (trailing zeros aside); see MAX_FRACTION_DIGITS.
    """
    if isinstance(value, bool | float):
        raise ValueError('Send decimals as strings, e.g. "0.8", not floating-point numbers.')
    if isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise ValueError(_TOO_LARGE)
        return Decimal(value)
    if not isinstance(value, str):
        raise ValueError(f'"{_cut(str(value))}" is not a decimal like "0.8".')
    return _decimal_from_text(
        value, places=places, in_unit="", shape=f'"{_cut(value)}" is not a decimal like "0.8".'
    )


_TOO_LARGE = f"Too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point."


def _cut(text: str) -> str:
    """A client's text as an error may repeat it: at most 40 characters."""
    return text if len(text) <= 40 else text[:40] + "…"


def _decimal_from_text(value: str, *, places: int, in_unit: str, shape: str) -> Decimal:
    """`value` as a Decimal, once its digits as written are within the bounds above and
    it has at most `places` decimal places; ValueError (`shape` for a non-decimal) if not."""
    match = _DECIMAL_RE.fullmatch(value)
    if match is None:
        raise ValueError(shape)
    whole, fraction = match[1], match[2] or ""
    if len(whole) > MAX_INTEGER_DIGITS:
        raise ValueError(_TOO_LARGE)
    if len(fraction.rstrip("0")) > places:
        raise ValueError(f"At most {places} decimal places{in_unit}.")
    if len(fraction) > MAX_FRACTION_DIGITS:
        raise ValueError(
            f"At most {MAX_FRACTION_DIGITS} digits after the decimal point, trailing zeros included."
        )
    return Decimal(value)


def to_minor(amount: Decimal) -> int:
    """Exact conversion of an amount to integer minor units; refuses sub-minor amounts."""
    scaled = amount.scaleb(minor_exponent())
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more precision than the minor unit.")
    return int(scaled)


def from_minor(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-minor_exponent())


def format_amount(amount: Decimal | int | Fraction, places: int | None = None) -> str:
    """Format for the API: a string with the minor unit's places (or `places`).

    Used for display of estimates and rates; payable amounts are already whole minor units.
    """
    digits = minor_exponent() if places is None else places
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    return str(quantize_money(Decimal(amount), digits))


def format_bound(bound: Fraction, places: int | None = None) -> str:
    """A largest possible error, rounded up so that it still bounds the error."""
    digits = minor_exponent() if places is None else places
    scale = 10**digits
    return format_amount(Fraction(-(-bound.numerator * scale // bound.denominator), scale), digits)


def quantize_money(amount: Decimal, places: int | None = None) -> Decimal:
    digits = minor_exponent() if places is None else places
    return quantize_places(amount, digits)


# ---------------------------------------------------------------------------- rounding

# Digits of the context exact amounts are computed in: the numeric columns hold 60, so
# no product or quotient of them loses a digit before the one rounding that is meant.
WIDE_DIGITS = 80


def decimal_context(digits: int) -> Context:
    """A decimal context of `digits` significant digits, rounding half-even."""
    return Context(prec=digits, rounding=ROUND_HALF_EVEN)


def quantize_places(value: Decimal, places: int, *, context: Context | None = None) -> Decimal:
    """`value` rounded half-even to `places` decimals (in `context`, else the current one:
    a value with more digits than the context holds is refused, never cut)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=context)


def exact_decimal(value: Fraction | Decimal, places: int) -> Decimal:
    """An exact amount as a Decimal rounded half-even to `places` decimals, computed in
    WIDE_DIGITS digits so that only that last rounding happens."""
    with localcontext(decimal_context(WIDE_DIGITS)):
        exact = (
            Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
        )
        return exact.quantize(Decimal(1).scaleb(-places))


def floor_int(value: Decimal) -> int:
    """The largest integer not above `value`."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def half_even_minor(amount: Decimal | Fraction | int, scale: int) -> int:
    """`amount × scale` (scale = 10**places) rounded half-even to an integer, exactly at any
    size: an amount in minor units, rounded once (docs/rules.md §2 Rounding)."""
    return round(Fraction(amount) * scale)  # round() on a Fraction is exact half-even


def round_to_total(exact: Mapping[K, Fraction], *, places: int) -> tuple[int, dict[K, int]]:
    """Round exact currency amounts to minor units once, conserving their rounded sum.

    Returns (total in minor units, minor units per key). The total is the exact sum rounded
    half-even; the keys share it by the largest-remainder method. Pools may carry sub-cent
    digits (net revenue × 0.85), so their exact sum is rounded once here; every run then
    satisfies payees + suspense + retained == this total.
    """
    scale = 10**places
    scaled = {key: value * scale for key, value in exact.items()}
    total = half_even_minor(sum(exact.values(), Fraction(0)), scale)
    return total, largest_remainder(scaled, total)


def largest_remainder(exact: Mapping[K, Fraction], total_minor: int) -> dict[K, int]:
    """Round exact minor-unit shares to integers that add up to `total_minor` exactly.

    Each key gets the floor of its exact share; the cents left over go one each to the
    keys with the largest fractional remainders (ties broken by key order, so the result
    is deterministic). `total_minor` may be any integer between the sum of the floors and
    that sum plus the number of keys: in particular the exact shares' own sum rounded to
    the minor unit (e.g. half-even), which is how an allocation of pools with sub-cent
    digits keeps `sum(result) == round(sum(pools))`.
    """
    floors = {key: value.numerator // value.denominator for key, value in exact.items()}
    leftover = total_minor - sum(floors.values())
    if leftover < 0 or leftover > len(exact):
        raise ValueError("Exact shares do not add up to the total to distribute.")
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - floors[key]), str(key)))
    for key in by_remainder[:leftover]:
        floors[key] += 1
    return floors


# ---------------------------------------------------------------------------- display


def format_minor(minor: int | None, places: int) -> str:
    """Minor units as a decimal string: 1234 -> "12.34" (never an exponent)."""
    return format((Decimal(minor or 0).scaleb(-places)).quantize(Decimal(1).scaleb(-places)), "f")


def format_exact(amount: Decimal | None, places: int) -> str:
    """An exact amount shown with `places` decimals (half-even); display only."""
    return format(quantize_places(Decimal(amount or 0), places), "f")


def format_trimmed(amount: Decimal | None, *, most: int, least: int = 2) -> str:
    """An amount rounded half-even to `most` places, shown with as many places as it then
    needs but at least `least`: "15.062000" -> "15.062", "3" -> "3.00"."""
    text = format(quantize_places(Decimal(amount or 0), most), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(least, '0')}"


def format_half_even(value: Fraction | Decimal, places: int) -> str:
    """An exact value rounded half-even to `places` decimals, as a string."""
    scaled = half_even_minor(Fraction(value), 10**places)
    return str(Decimal(f"{scaled}e-{places}"))  # from a string: exact at any size


def format_percent(share: Decimal, places: int = 1) -> str:
    """A share ("0.0456") as a percentage ("4.6%"), rounded half up: the page scripts round
    the same figures that way when they refresh them."""
    return f"{(share * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"
