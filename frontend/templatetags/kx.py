"""Template filters for money and counts: decimal strings in, grouped strings out.

Values are formatted as exact decimals; nothing here goes through a float.
"""

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django import template
from django.conf import settings

from accounts.login import two_factor_missing
from kalipxo.money import format_amount, format_percent

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _decimal(value: Any, places: int | None = None) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Fraction):
        return Decimal(format_amount(value, places))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return Decimal(format_amount(number, places)) if places is not None else number


def currency_symbol() -> str:
    code = str(settings.SETTLEMENT_CURRENCY)
    return SYMBOLS.get(code, f"{code} ")


@register.filter
def money(value: Any, places: int | None = None) -> str:
    """ "1234.5" -> "$1,234.5" (places kept unless given); missing -> an en dash."""
    number = _decimal(value, places)
    if number is None:
        return "–"
    sign = "−" if number < 0 else ""
    return f"{sign}{currency_symbol()}{abs(number):,}"


@register.filter
def grouped(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return "–"
    sign = "−" if number < 0 else ""
    return f"{sign}{abs(number):,}"


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """A share ("0.0456") as a percentage ("4.6%")."""
    number = _decimal(value)
    if number is None:
        return "–"
    return format_percent(number, places)


@register.simple_tag
def currency_code() -> str:
    return str(settings.SETTLEMENT_CURRENCY)


@register.simple_tag
def staff_two_factor(request: Any) -> str:
    """For the console's banner: "off" (the rule is off here), "missing" (this session has not
    passed a second factor, so it cannot decide or pay) or "" (nothing to say)."""
    if not getattr(request.user, "is_staff", False):
        return ""
    if not settings.STAFF_TWO_FACTOR:
        return "off"
    return "missing" if two_factor_missing(request) else ""
