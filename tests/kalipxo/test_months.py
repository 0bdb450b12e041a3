"""Calendar months in UTC (kalipxo.months): bounds, the month before, lengths and names."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from kalipxo.months import days_in_month, month_bounds, month_name, previous_month, same_point_last_month


@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        (date(2026, 10, 1), datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        (date(2026, 12, 1), datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_month_bounds_are_half_open_in_utc(month: date, start: datetime, end: datetime) -> None:
    assert month_bounds(month) == (start, end)


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (datetime(2027, 1, 1, 2, tzinfo=UTC), date(2026, 12, 1)),
        (datetime(2026, 3, 31, 23, 59, tzinfo=UTC), date(2026, 2, 1)),
        # 00:30 on 1 March at UTC+1 is still February in UTC: the month before is January.
        (datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), date(2026, 1, 1)),
    ],
)
def test_previous_month_is_counted_in_utc(now: datetime, month: date) -> None:
    assert previous_month(now) == month


@pytest.mark.parametrize(
    ("month", "days"),
    [(date(2026, 2, 1), 28), (date(2028, 2, 1), 29), (date(2026, 11, 1), 30), (date(2026, 12, 1), 31)],
)
def test_days_in_month(month: date, days: int) -> None:
    assert days_in_month(month) == days


def test_month_name() -> None:
    assert month_name(date(2026, 11, 1)) == "November 2026"


@pytest.mark.parametrize(
    ("now", "point"),
    [
        (datetime(2026, 11, 15, 12, tzinfo=UTC), datetime(2026, 10, 15, 12, tzinfo=UTC)),
        # 30 days and 12 hours into March is past the end of February: its end instead.
        (datetime(2026, 3, 31, 12, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        (datetime(2027, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_same_point_last_month_is_as_far_in_and_at_most_its_end(now: datetime, point: datetime) -> None:
    assert same_point_last_month(now) == point
