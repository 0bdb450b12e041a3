"""Reading the ECB's euro foreign exchange reference rates (CSV) as rates to record.

Two shapes, both a header `Date,USD,JPY,...` then rows of a date and one value per column:
the daily file (`eurofxref.csv`: one row, the date written `04 December 2026`, spaces after
the commas) and the history (`eurofxref-hist.csv`: one row a day, the date `2026-12-04`).
Lines may end with an empty column (a trailing comma); `N/A` (or nothing) is a value the ECB
did not publish.

The ECB quotes units of a currency per 1 EUR. A stored rate is the settlement-currency value
of one unit: ECB(settlement) / ECB(currency), rounded half-even to 10 places; EUR's own rate is
ECB(settlement); with EUR as the settlement currency, 1 / ECB(currency). The settlement
currency's column is the divisor, never a rate, and a date without its value cannot be
converted: that date is skipped and said so. Columns whose code is not a current currency
(the history keeps withdrawn ones: CYP, HRK, ...) are skipped and said so too. Anything else
the file gets wrong (a date, a value, a line longer than the header) refuses the whole file.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from fx.currencies import normalize_currency
from fx.models import RATE_INTEGER_DIGITS, RATE_PLACES
from fx.rates import RateIn, parse_rate_date
from kalipxo.money import exact_decimal, parse_decimal

EURO = "EUR"
MISSING = frozenset({"", "N/A"})
CODE_RE = re.compile(r"[A-Z]{3}")
DAILY_DATE_RE = re.compile(r"([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})")
MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"),
        start=1,
    )
}  # fmt: skip


class EcbFileError(ValueError):
    """The file is not in the ECB's format; the message says where."""


@dataclass
class EcbRates:
    """The rates read from a file, and what was not turned into a rate and why."""

    rates: list[RateIn] = field(default_factory=list)
    skipped: int = 0  # values published but not recorded (see `notes`)
    missing: int = 0  # N/A: nothing published for that currency and date
    notes: list[str] = field(default_factory=list)


def ecb_rate(settlement_per_euro: Decimal, currency_per_euro: Decimal) -> Decimal:
    """The settlement-currency value of one unit of a currency from two ECB rates (units per
    euro): their exact quotient, rounded once half-even to 10 places."""
    return exact_decimal(Fraction(settlement_per_euro) / Fraction(currency_per_euro), RATE_PLACES)


def ecb_rates_read(text: str, *, settlement: str, source: str) -> EcbRates:
    """The rates of an ECB CSV file for a deployment settling in `settlement`; EcbFileError if
    the file is not in the ECB's format."""
    rows = _rows(text.removeprefix("\ufeff"))
    if not rows or rows[0][1][0].lower() != "date":
        raise EcbFileError('The first line must be the header "Date,USD,JPY,..." of an ECB file.')
    codes = _header(rows[0][1])
    if settlement != EURO and settlement not in codes:
        raise EcbFileError(
            f"The file has no {settlement} column: the ECB's euro rates cannot be converted to "
            f"{settlement}, the settlement currency."
        )
    result = EcbRates()
    _column_notes(codes, settlement, result)
    seen: dict[date, int] = {}
    for line, cells in rows[1:]:
        day, values = _row(line, cells, codes)
        if day in seen:
            raise EcbFileError(f"Line {line}: {day:%Y-%m-%d} is already on line {seen[day]}.")
        seen[day] = line
        _convert(line, day, values, settlement=settlement, source=source, result=result)
    return result


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty lines as (line number, stripped cells)."""
    reader = csv.reader(io.StringIO(text))
    rows = []
    for cells in reader:
        stripped = [cell.strip() for cell in cells]
        if any(stripped):
            rows.append((reader.line_num, stripped))
    return rows


def _header(cells: list[str]) -> list[str]:
    codes = [cell.upper() for cell in cells[1:]]
    while codes and codes[-1] == "":  # the trailing comma
        codes.pop()
    for code in codes:
        if not CODE_RE.fullmatch(code):
            raise EcbFileError(f'The header names a column "{code[:20]}": expected currency codes.')
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise EcbFileError(f"The header names {', '.join(repeated)} more than once.")
    return codes


def _column_notes(codes: list[str], settlement: str, result: EcbRates) -> None:
    if settlement in codes:
        result.notes.append(
            f"{settlement} is the settlement currency: its column converts the others, never a rate."
        )
    unknown = [code for code in codes if code != settlement and _recordable(code, settlement) is None]
    if unknown:
        result.notes.append(
            f"Not a current ISO 4217 currency, not recorded: {', '.join(unknown)} (their values are skipped)."
        )


def _recordable(code: str, settlement: str) -> str | None:
    """The code if a rate is recorded for its column."""
    if code in (settlement, EURO):  # EUR is the base of the file, never one of its columns
        return None
    return normalize_currency(code)


def _row(line: int, cells: list[str], codes: list[str]) -> tuple[date, dict[str, Decimal | None]]:
    extra = cells[len(codes) + 1 :]
    if len(cells) < len(codes) + 1 or any(extra):
        raise EcbFileError(
            f"Line {line} does not have one value (or N/A) for each of the header's {len(codes)} currencies."
        )
    day = _date(line, cells[0])
    values: dict[str, Decimal | None] = {}
    for code, cell in zip(codes, cells[1 : len(codes) + 1], strict=True):
        if cell.upper() in MISSING:
            values[code] = None
            continue
        try:
            value = parse_decimal(cell, places=RATE_PLACES)
        except ValueError as exc:
            raise EcbFileError(f"Line {line}, {code}: {exc}") from exc
        if value <= 0:
            raise EcbFileError(f"Line {line}, {code}: a rate is positive; the file has {cell[:20]}.")
        values[code] = value
    return day, values


def _date(line: int, text: str) -> date:
    daily = DAILY_DATE_RE.fullmatch(text)
    if daily is not None and daily[2].lower() in MONTHS:
        text = f"{int(daily[3]):04d}-{MONTHS[daily[2].lower()]:02d}-{int(daily[1]):02d}"
    parsed = parse_rate_date(text)
    if isinstance(parsed, str):
        raise EcbFileError(
            f'Line {line}: the date "{text[:30]}" is neither "2026-12-04" nor "04 December 2026". {parsed}'
        )
    return parsed


def _convert(
    line: int, day: date, values: dict[str, Decimal | None], *, settlement: str, source: str, result: EcbRates
) -> None:
    """The rates of one date, added to `result`; a date without the settlement currency's
    value is skipped whole."""
    base = Decimal(1) if settlement == EURO else values[settlement]
    result.missing += sum(value is None for value in values.values())
    published = {code: value for code, value in values.items() if code != settlement}
    if base is None:
        count = sum(value is not None for value in published.values())
        result.skipped += count
        result.notes.append(
            f"{day:%Y-%m-%d} (line {line}) has no {settlement} rate, so its {count} rates cannot be "
            "converted: skipped."
        )
        return
    converted: dict[str, Decimal] = {} if settlement == EURO else {EURO: ecb_rate(base, Decimal(1))}
    for code, value in published.items():
        if value is None:
            continue
        if _recordable(code, settlement) is None:
            result.skipped += 1
            continue
        converted[code] = ecb_rate(base, value)
    for code, rate in converted.items():
        if rate <= 0 or rate >= Decimal(10) ** RATE_INTEGER_DIGITS:
            result.skipped += 1
            result.notes.append(
                f"{day:%Y-%m-%d} (line {line}) {code}: {rate} is out of what a rate can hold (positive, "
                f"at most {RATE_INTEGER_DIGITS} digits before the point): skipped."
            )
            continue
        result.rates.append(RateIn(day, code, rate, source, f"line {line} ({day:%Y-%m-%d} {code})"))
