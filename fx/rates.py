"""Recording exchange rates and the month's rate of a currency (docs/rules.md §2 Currencies).

Plain functions. `rates_parse` turns an API body into `RateIn`s, or refuses it whole (400,
each problem under `[i].field`); `rates_record` stores a list of rates all or nothing: the
same rate again changes nothing, another rate for a stored (date, currency) or a rate dated
in a closed month is a 409 (rates are never edited, a closed month's money is final).
`month_rate` and `month_rates` give a month's rate by a policy, with the dates and sources it
came from, so that a run can snapshot them.

Which months are closed is passed in as `closed_months` (`fx.closures.closed_months` reads
streams' record of them), so these functions can be tried on any calendar.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery

from fx.currencies import rate_currency_check, settlement_currency
from fx.models import RATE_PLACES, FxRate
from kalipxo.money import exact_decimal, parse_decimal
from kalipxo.months import next_month
from kalipxo.validation import Errors, check_text, month_label, unknown_fields

MONTH_AVERAGE = "month_average"
MONTH_END = "month_end"
POLICIES = (MONTH_AVERAGE, MONTH_END)
FIELDS = ("date", "currency", "rate", "source")
DEFAULT_SOURCE = "api"
MAX_BATCH = 10_000
# The euro's first day: ECB's reference rates start on 1999-01-04.
FIRST_DATE = date(1999, 1, 1)
LAST_YEAR = 2999
DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")  # not \d: any script's digits
NOTHING_RECORDED = "Nothing was recorded."

ClosedMonths = Callable[[set[date]], set[date]]


@dataclass
class FxRejected(Exception):
    """Why nothing was recorded: the HTTP status that fits and a body naming each problem."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class RateIn:
    """A rate to record. `where` names it in an error: "[3]" in a request, a line in a file."""

    date: date
    currency: str
    rate: Decimal
    source: str
    where: str


@dataclass(frozen=True)
class Recorded:
    recorded: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"recorded": self.recorded, "unchanged": self.unchanged}


# ---------------------------------------------------------------------------- parsing


def parse_rate_date(value: Any) -> date | str:
    """A date written "YYYY-MM-DD" (1999 to 2999), or an error message."""
    message = 'Send the date as "YYYY-MM-DD", e.g. "2026-10-01".'
    if not isinstance(value, str):
        return message
    match = DATE_RE.fullmatch(value)
    if match is None:
        return message
    try:
        parsed = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return f'"{value}" is not a date of the calendar.'
    if not FIRST_DATE <= parsed <= date(LAST_YEAR, 12, 31):
        return f"A rate is dated from {FIRST_DATE:%Y-%m-%d} (the euro's first day) to {LAST_YEAR}."
    return parsed


def parse_rate_value(value: Any) -> Decimal | str:
    """A positive rate sent as a decimal string with at most 10 places, or an error message.

    JSON numbers are refused, as amounts are: a float has lost the exact value already."""
    if isinstance(value, bool) or not isinstance(value, str):
        return 'Send the rate as a decimal string, e.g. "1.0832", not a number.'
    try:
        rate = parse_decimal(value, places=RATE_PLACES)
    except ValueError as exc:
        return str(exc)
    if rate <= 0:  # "-0" and "0.000" too
        return "A rate is positive: the settlement-currency value of one unit of the currency."
    return rate


def rates_parse(items: Sequence[Any]) -> list[RateIn]:
    """The rates of a request body, or FxRejected(400) naming every `[i].field` to fix."""
    errors: Errors = {}
    rates: list[RateIn] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"[{i}]"] = ['An object: {"date", "currency", "rate", "source"}.']
            continue
        item_errors = unknown_fields(item, FIELDS)
        for name in ("date", "currency", "rate"):
            if name not in item:
                item_errors[name] = ["Required."]
        day = parse_rate_date(item.get("date"))
        if isinstance(day, str) and "date" in item:
            item_errors["date"] = [day]
        currency, problem = rate_currency_check(item.get("currency"))
        if problem is not None and "currency" in item:
            item_errors["currency"] = [problem]
        rate = parse_rate_value(item.get("rate"))
        if isinstance(rate, str) and "rate" in item:
            item_errors["rate"] = [rate]
        source = item.get("source", DEFAULT_SOURCE)
        if (message := check_text(source, max_length=64)) is not None:
            item_errors["source"] = [message]
        errors.update({f"[{i}].{name}": messages for name, messages in item_errors.items()})
        if not item_errors and isinstance(day, date) and isinstance(rate, Decimal) and currency:
            rates.append(RateIn(day, currency, rate, source.strip(), f"[{i}]"))
    errors.update(_duplicate_errors(rates))
    if errors:
        raise FxRejected(400, {"detail": f"{NOTHING_RECORDED} Fix the fields named.", **errors})
    return rates


def _duplicate_errors(rates: Iterable[RateIn]) -> Errors:
    first: dict[tuple[date, str], str] = {}
    errors: Errors = {}
    for rate in rates:
        key = (rate.date, rate.currency)
        if key in first:
            errors[f"{rate.where}.currency"] = [
                f"{rate.currency} on {rate.date:%Y-%m-%d} is already at {first[key]}: one rate per "
                "currency and date."
            ]
        else:
            first[key] = rate.where
    return errors


# ---------------------------------------------------------------------------- recording


def rates_record(rates: Sequence[RateIn], *, recorded_by: str, closed_months: ClosedMonths) -> Recorded:
    """Record the rates all or nothing; raises FxRejected (400 duplicates, 409 conflicts).

    A rate already stored with the same value is unchanged (even in a month closed since:
    a replay is never an error); its source is not compared."""
    duplicates = _duplicate_errors(rates)
    if duplicates:
        raise FxRejected(400, {"detail": f"{NOTHING_RECORDED} Fix the fields named.", **duplicates})
    try:
        with transaction.atomic():
            return _record(rates, recorded_by, closed_months)
    except IntegrityError:
        # Some of them were recorded at the same moment by another request: compare again.
        with transaction.atomic():
            return _record(rates, recorded_by, closed_months)


def _record(rates: Sequence[RateIn], recorded_by: str, closed_months: ClosedMonths) -> Recorded:
    stored = _stored(rates)
    conflicts: Errors = {}
    new: list[RateIn] = []
    for rate in rates:
        existing = stored.get((rate.date, rate.currency))
        if existing is None:
            new.append(rate)
        elif existing.rate != rate.rate:
            conflicts[f"{rate.where}.rate"] = [
                f"{rate.currency} on {rate.date:%Y-%m-%d} is already {rate_text(existing.rate)} "
                f"(source {existing.source}); a rate is never edited."
            ]
    closed = closed_months({r.date.replace(day=1) for r in new}) if new else set()
    for rate in new:
        month = rate.date.replace(day=1)
        if month in closed:
            conflicts.setdefault(f"{rate.where}.date", []).append(
                f"{month_label(month)} is closed: its payouts are final, so no rate dated in it is recorded."
            )
    if conflicts:
        raise FxRejected(409, {"detail": f"{NOTHING_RECORDED} See the rates named.", **conflicts})
    FxRate.objects.bulk_create(
        [
            FxRate(
                date=r.date, currency=r.currency, rate=r.rate, source=r.source, recorded_by=recorded_by[:200]
            )
            for r in new
        ],
        batch_size=1000,
    )
    return Recorded(recorded=len(new), unchanged=len(rates) - len(new))


def _stored(rates: Sequence[RateIn]) -> dict[tuple[date, str], FxRate]:
    if not rates:
        return {}
    wanted = {(r.date, r.currency) for r in rates}
    rows = FxRate.objects.filter(
        date__gte=min(r.date for r in rates),
        date__lte=max(r.date for r in rates),
        currency__in={r.currency for r in rates},
    )
    return {(row.date, row.currency): row for row in rows if (row.date, row.currency) in wanted}


# ---------------------------------------------------------------------------- reading


def rate_text(rate: Decimal) -> str:
    """A stored rate as sent back: its digits without trailing zeros ("1.0832000000" -> "1.0832")."""
    return format(rate.normalize(), "f")


def rates_list(*, currency: str | None = None, month: date | None = None) -> QuerySet[FxRate]:
    rows = FxRate.objects.all()
    if currency is not None:
        rows = rows.filter(currency=currency)
    if month is not None:
        rows = rows.filter(date__gte=month, date__lt=next_month(month))
    return rows.order_by("date", "currency")


def rate_as_dict(row: FxRate) -> dict[str, Any]:
    return {
        "date": row.date.isoformat(),
        "currency": row.currency,
        "rate": rate_text(row.rate),
        "source": row.source,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at,
    }


@dataclass(frozen=True)
class MonthRate:
    """A currency's rate for a month by a policy, and what it came from: `dates` (ascending)
    and `sources` (the distinct sources of those rates), so that a run can snapshot it."""

    currency: str
    month: date
    policy: str
    rate: Decimal
    dates: tuple[date, ...]
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "month": month_label(self.month),
            "policy": self.policy,
            "rate": rate_text(self.rate),
            "dates": [d.isoformat() for d in self.dates],
            "sources": list(self.sources),
        }


def policy_check(policy: str) -> str:
    if policy not in POLICIES:
        raise ValueError(f"FX_RATE_POLICY is {policy!r}: use one of {', '.join(POLICIES)}.")
    return policy


def month_average(rates: Sequence[Decimal]) -> Decimal:
    """The arithmetic mean of the rates, computed exactly, rounded once half-even to 10 places."""
    total = sum((Fraction(rate) for rate in rates), Fraction(0))
    return exact_decimal(total / len(rates), RATE_PLACES)


def month_rate(currency: str, month: date, policy: str) -> MonthRate | None:
    """The month's rate of `currency` (`month`: any day of it) by `policy`; None without one.

    The settlement currency's is 1 by definition (no dates, no sources)."""
    month = month.replace(day=1)
    policy_check(policy)
    if currency == settlement_currency():
        return MonthRate(currency, month, policy, Decimal(1), (), ())
    return month_rates(month, policy, currencies=[currency]).get(currency)


def month_rates(month: date, policy: str, *, currencies: Iterable[str] | None = None) -> dict[str, MonthRate]:
    """Every currency's rate for the month by `policy` (by currency code), those with a rate."""
    month = month.replace(day=1)
    policy_check(policy)
    end = next_month(month)
    rows = FxRate.objects.filter(date__lt=end)
    if currencies is not None:
        rows = rows.filter(currency__in=list(currencies))
    if policy == MONTH_AVERAGE:
        rows = rows.filter(date__gte=month)
    else:
        last = FxRate.objects.filter(currency=OuterRef("currency"), date__lt=end).order_by("-date")
        rows = rows.filter(date=Subquery(last.values("date")[:1]))
    by_currency: dict[str, list[FxRate]] = {}
    for row in rows.order_by("currency", "date"):
        by_currency.setdefault(row.currency, []).append(row)
    return {
        code: MonthRate(
            currency=code,
            month=month,
            policy=policy,
            rate=month_average([r.rate for r in used]) if policy == MONTH_AVERAGE else used[-1].rate,
            dates=tuple(r.date for r in used),
            sources=tuple(sorted({r.source for r in used})),
        )
        for code, used in by_currency.items()
    }
