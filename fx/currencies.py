"""Which currency codes a rate may be recorded for: ISO 4217's current alphabetic codes of
real money (pycountry's list), never the settlement currency (its rate is 1 by definition).

ISO 4217 also lists codes that are not money anyone is paid in; they are refused: "XXX" (no
currency), "XTS" (testing), precious metals, bond-market and development-bank units of
account, the SDR, and the funds codes (an index unit beside a country's currency).
"""

from functools import cache

import pycountry
from django.conf import settings

NOT_MONEY = frozenset(
    {
        "XXX", "XTS",  # no currency; testing
        "XAU", "XAG", "XPD", "XPT",  # gold, silver, palladium, platinum
        "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD",  # units of account
        "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "UYI", "UYW", "USN",  # funds codes
    }
)  # fmt: skip

CURRENCY_MESSAGE = 'An ISO 4217 currency code of three letters, e.g. "EUR".'


@cache
def iso_currencies() -> frozenset[str]:
    """The current ISO 4217 alphabetic codes of real money."""
    return frozenset(c.alpha_3 for c in pycountry.currencies) - NOT_MONEY


def settlement_currency() -> str:
    return str(settings.SETTLEMENT_CURRENCY).upper()


def normalize_currency(value: object) -> str | None:
    """The code in upper case ("eur" is "EUR") if it is a real ISO 4217 currency, else None."""
    if not isinstance(value, str) or len(value) != 3 or not value.isascii():
        return None
    code = value.upper()
    return code if code in iso_currencies() else None


def rate_currency_check(value: object) -> tuple[str | None, str | None]:
    """(code, None) for a currency a rate may be recorded for, or (None, what is wrong)."""
    if not isinstance(value, str):
        return None, f"Send the currency as a string. {CURRENCY_MESSAGE}"
    code = normalize_currency(value)
    if code is None:
        shown = value if len(value) <= 8 else value[:8] + "…"
        return None, f'"{shown}" is not a currency. {CURRENCY_MESSAGE}'
    if code == settlement_currency():
        return None, f"{code} is the settlement currency: its rate is 1 by definition, never recorded."
    return code, None
