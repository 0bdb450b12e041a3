"""Field checks shared by the bulk endpoints.

Batch endpoints validate thousands of items per request, so these are plain functions
returning an error message (or None) instead of serializer machinery. Messages say what
to send instead.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

ISRC_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
# ISO 15707: "T", nine digits, a check digit; grouped T-DDD.DDD.DDD-C or written together.
ISWC_RE = re.compile(r"T-([0-9]{3})\.([0-9]{3})\.([0-9]{3})-([0-9])|T([0-9]{9})([0-9])")
IPI_RE = re.compile(r"[0-9]{9,11}")
COUNTRY_RE = re.compile(r"[A-Z]{2}")
MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")  # not \d: it matches any script's digits
# Not str.isdigit()/isdecimal() with int(): they take "²" (which int() then refuses: a 500),
# "١٠" or "１０", and int() gives up on more than 4,300 digits. 18 digits fit any bound we use.
WHOLE_NUMBER_RE = re.compile(r"[0-9]{1,18}")
# Printable, no whitespace at the ends; ids end up in CSV exports and URLs.
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]*")

Errors = dict[str, list[str]]


def unknown_fields(item: Mapping[str, Any], allowed: Iterable[str]) -> Errors:
    extra = sorted(set(item) - set(allowed))
    # Names are cut: an answer must not echo a megabyte-long key back.
    return {name[:64]: ["Unknown field; remove it (see /api/docs/)."] for name in extra}


def echo_id(value: Any, *, max_length: int = 64) -> str | None:
    """A client's id as it may be repeated in an error: a string, cut to `max_length`."""
    if not isinstance(value, str):
        return None
    return value if len(value) <= max_length else value[:max_length] + "…"


def check_id(value: Any, *, max_length: int = 64) -> str | None:
    if not isinstance(value, str) or not value:
        return "Required: a non-empty string."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if not ID_RE.fullmatch(value):
        return "Use letters, digits and . _ : @ / + = - only, starting with a letter or digit."
    return None


def check_text(value: Any, *, max_length: int = 300) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "Required: a non-empty string."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if any(ord(ch) < 32 for ch in value):
        return "Control characters are not allowed."
    return None


def normalize_isrc(value: Any) -> str | None:
    """The canonical 12-character ISRC (upper case, hyphens dropped), or None if invalid."""
    # ASCII only: upper() maps some letters to two ("ß" -> "SS") or to look-alikes.
    if not isinstance(value, str) or len(value) > 15 or not value.isascii():
        return None
    candidate = value.replace("-", "").upper()
    return candidate if ISRC_RE.fullmatch(candidate) else None


ISRC_MESSAGE = (
    "Not a valid ISRC: 12 characters, country (2 letters), registrant (3), year (2 digits), code (5 digits)."
)


def iswc_check_digit(digits: str) -> int:
    """The check digit of an ISWC's nine digits: C = (10 - (1 + Σ i·dᵢ) mod 10) mod 10, i = 1..9."""
    weighted = 1 + sum(position * int(digit) for position, digit in enumerate(digits, start=1))
    return (10 - weighted % 10) % 10


def normalize_iswc(value: Any) -> str | None:
    """The ISWC in its display form T-DDD.DDD.DDD-C, or None if its shape or check digit is wrong."""
    if not isinstance(value, str):
        return None
    match = ISWC_RE.fullmatch(value)
    if match is None:
        return None
    groups = [group for group in match.groups() if group is not None]
    digits, check = "".join(groups[:-1]), groups[-1]
    if iswc_check_digit(digits) != int(check):
        return None
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{check}"


ISWC_MESSAGE = (
    'Not a valid ISWC: "T-" then nine digits and a check digit, e.g. "T-034.524.680-1" (or "T0345246801"); '
    "the check digit must match the nine digits."
)


def check_ipi(value: Any) -> str | None:
    """None for an IPI name number of 9 to 11 ASCII digits, sent as a string; else what is wrong."""
    if not isinstance(value, str) or not IPI_RE.fullmatch(value):
        return 'An IPI name number: 9 to 11 digits 0-9, as a string (e.g. "00000000000").'
    return None


def normalize_country(value: Any) -> str | None:
    if not isinstance(value, str) or not value.isascii():
        return None
    candidate = value.upper()
    return candidate if COUNTRY_RE.fullmatch(candidate) else None


COUNTRY_MESSAGE = 'Use an ISO 3166-1 alpha-2 country code, e.g. "US".'


def check_int(value: Any, *, minimum: int, maximum: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "Must be an integer."
    if not minimum <= value <= maximum:
        return f"Must be between {minimum} and {maximum}."
    return None


def parse_whole_number(value: Any, *, minimum: int, maximum: int) -> int | str:
    """A whole number written in the ASCII digits 0-9 (a query parameter), or an error message."""
    message = f"A whole number from {minimum} to {maximum}, written with the digits 0-9."
    if not isinstance(value, str) or not WHOLE_NUMBER_RE.fullmatch(value):
        return message
    number = int(value)
    return number if minimum <= number <= maximum else message


def parse_timestamp(value: Any) -> datetime | str:
    """An aware UTC datetime from ISO 8601, or an error message."""
    if not isinstance(value, str) or len(value) > 40:
        return 'Send an ISO 8601 timestamp with a time zone, e.g. "2026-10-03T12:00:00Z".'
    if not value.isascii() or not value.isprintable():
        # fromisoformat() stops reading at a NUL: "...Z\x00junk" would parse.
        return 'Not an ISO 8601 timestamp; e.g. "2026-10-03T12:00:00Z".'
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return 'Not an ISO 8601 timestamp; e.g. "2026-10-03T12:00:00Z".'
    if parsed.tzinfo is None:
        return 'The timestamp needs a time zone, e.g. a trailing "Z" for UTC.'
    if not 2000 <= parsed.year <= 2999:
        # Also keeps astimezone() below from overflowing on "9999-12-31T23:59:59-01:00".
        return "Timestamps outside the years 2000 to 2999 are not plausible."
    return parsed.astimezone(UTC)


def parse_month(value: Any) -> date | str:
    """The first day of a "YYYY-MM" month, or an error message."""
    if not isinstance(value, str):
        return 'Send the month as "YYYY-MM".'
    match = MONTH_RE.fullmatch(value)
    if not match:
        return 'Send the month as "YYYY-MM".'
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:
        return f'"{value}" is not a valid month.'
    return date(year, month, 1)


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"
