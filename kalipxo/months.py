"""Calendar months in UTC, the unit every rule of docs/rules.md §2 is counted in.

A month is the `date` of its first day; its window is [start, start of the next month).
Plain functions, no settings and no database, so every app can use them.
"""

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from django.utils.dateparse import parse_duration


def month_of(moment: datetime) -> date:
    """The UTC month an instant falls in."""
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def current_month(now: datetime | None = None) -> date:
    return month_of(now or datetime.now(UTC))


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def next_month(month: date) -> date:
    return add_months(month, 1)


def previous_month(now: datetime | None = None) -> date:
    """The UTC month before the one `now` (default: this instant) falls in."""
    return add_months(current_month(now), -1)


def month_start(month: date) -> datetime:
    """The first instant of the month (00:00 UTC on the 1st)."""
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def month_end(month: date) -> datetime:
    """The first instant after the month: 00:00 UTC on the 1st of the next month."""
    return month_start(next_month(month))


def same_point_last_month(now: datetime) -> datetime:
    """The instant as far into last month as `now` is into its month (at most its end)."""
    month = month_of(now)
    elapsed: timedelta = now - month_start(month)
    previous = add_months(month, -1)
    return min(month_start(previous) + elapsed, month_end(previous))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a month in UTC."""
    return month_start(month), month_end(month)


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def month_name(month: date) -> str:
    """ "November 2026" """
    return f"{calendar.month_name[month.month]} {month.year}"


_SHORT_DURATION = re.compile(r"([0-9]+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def duration_parse(value: str) -> timedelta:
    """A duration as an operator writes it in the environment: "24h", "90m", "2d", "3600"
    (seconds), "1 00:00:00" or ISO 8601 ("PT24H"). ValueError when it is none of these or
    negative."""
    text = value.strip()
    if short := _SHORT_DURATION.fullmatch(text):
        try:
            return timedelta(seconds=int(short[1]) * _UNIT_SECONDS[short[2]])
        except OverflowError as exc:
            raise ValueError(f"{value!r} is too long a duration.") from exc
    # Django's parser accepts other scripts' digits; a setting is written in ASCII.
    parsed = parse_duration(text) if text.isascii() else None
    if parsed is None or parsed < timedelta(0):
        raise ValueError(f'{value!r} is not a duration; write e.g. "24h", "90m" or "2d".')
    return parsed
