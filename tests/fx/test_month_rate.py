"""The month's rate of a currency (docs/rules.md §2 Currencies): `month_average`, the mean of
the month's recorded rates, one per date, rounded once half-even to 10 places; `month_end`,
the last rate dated on or before the month's last day. Figures computed by hand."""

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fx import rates as rates_module
from fx.models import FxRate
from fx.rates import (
    MONTH_AVERAGE,
    MONTH_END,
    FxRejected,
    RateIn,
    month_average,
    month_rate,
    month_rates,
    rates_record,
)

OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)


def _rates(currency: str, *rows: tuple[date, str], source: str = "ECB") -> None:
    for day, rate in rows:
        FxRate.objects.create(date=day, currency=currency, rate=Decimal(rate), source=source, recorded_by="t")


@pytest.mark.django_db
def test_the_average_of_a_month_with_gaps_counts_each_recorded_date_once() -> None:
    # Weekends and holidays have no rate: they are skipped, not filled in.
    _rates("EUR", (date(2026, 10, 1), "1.0832"), (date(2026, 10, 2), "1.0845"), (date(2026, 10, 5), "1.0901"))
    _rates("EUR", (date(2026, 9, 30), "2"), (date(2026, 11, 2), "2"))  # outside October: not counted
    rate = month_rate("EUR", OCTOBER, MONTH_AVERAGE)
    assert rate is not None
    # (1.0832 + 1.0845 + 1.0901) / 3 = 3.2578 / 3 = 1.085933333...
    assert rate.rate == Decimal("1.0859333333")
    assert rate.dates == (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5))
    assert rate.sources == ("ECB",) and rate.policy == MONTH_AVERAGE and rate.month == OCTOBER
    assert rate.as_dict() == {
        "currency": "EUR",
        "month": "2026-10",
        "policy": "month_average",
        "rate": "1.0859333333",
        "dates": ["2026-10-01", "2026-10-02", "2026-10-05"],
        "sources": ["ECB"],
    }


@pytest.mark.django_db
def test_any_day_of_the_month_names_the_month_and_the_sources_are_listed_once() -> None:
    _rates("GBP", (date(2026, 10, 1), "1.25"), (date(2026, 10, 2), "1.27"))
    _rates("GBP", (date(2026, 10, 3), "1.29"), source="api")
    rate = month_rate("GBP", date(2026, 10, 17), MONTH_AVERAGE)
    assert rate is not None and rate.rate == Decimal("1.27") and rate.month == OCTOBER
    assert rate.sources == ("ECB", "api")


@pytest.mark.parametrize(
    ("rates", "mean"),
    [
        # 1.00000000015: a tie at the 11th place goes to the even 10th digit (2), down here ...
        (["1.0000000001", "1.0000000002"], "1.0000000002"),
        # ... and 1.00000000025 also goes to 2 (half up would give 3).
        (["1.0000000002", "1.0000000003"], "1.0000000002"),
        (["1", "1", "2"], "1.3333333333"),  # 4/3
        (["1", "2", "2"], "1.6666666667"),  # 5/3
        (["0.0000000001", "0.0000000002", "0.0000000002"], "0.0000000002"),  # 5e-10/3 = 1.67e-10
        (["999999999999999.9999999999"], "999999999999999.9999999999"),  # the column's largest, exact
    ],
)
def test_the_average_is_rounded_once_half_even_to_ten_places(rates: list[str], mean: str) -> None:
    result = month_average([Decimal(r) for r in rates])
    assert result == Decimal(mean) and result.as_tuple().exponent == -10


@pytest.mark.django_db
def test_the_month_end_rate_is_the_last_one_dated_in_or_before_the_month() -> None:
    _rates(
        "JPY", (date(2026, 10, 1), "0.0066"), (date(2026, 10, 30), "0.0067"), (date(2026, 10, 31), "0.0068")
    )
    _rates("JPY", (date(2026, 12, 1), "0.0070"))  # after November: never a November rate
    october = month_rate("JPY", OCTOBER, MONTH_END)
    assert (
        october is not None and october.rate == Decimal("0.0068") and october.dates == (date(2026, 10, 31),)
    )
    # No rate dated in November: month_end falls back to the last one before, 31 October;
    # the month's average has nothing to average.
    november = month_rate("JPY", NOVEMBER, MONTH_END)
    assert november is not None and november.rate == Decimal("0.0068")
    assert november.dates == (date(2026, 10, 31),) and november.policy == MONTH_END
    assert month_rate("JPY", NOVEMBER, MONTH_AVERAGE) is None
    # Before the first rate there is none by either policy.
    assert month_rate("JPY", date(2026, 9, 1), MONTH_END) is None
    assert month_rate("CHF", OCTOBER, MONTH_END) is None


@pytest.mark.django_db
def test_the_month_rates_of_every_currency_by_either_policy() -> None:
    _rates("EUR", (date(2026, 10, 1), "1.08"), (date(2026, 10, 2), "1.10"))
    _rates("GBP", (date(2026, 9, 30), "1.26"))
    average = month_rates(OCTOBER, MONTH_AVERAGE)
    assert {code: r.rate for code, r in average.items()} == {"EUR": Decimal("1.09")}
    end = month_rates(OCTOBER, MONTH_END)
    assert {code: (r.rate, r.dates) for code, r in end.items()} == {
        "EUR": (Decimal("1.10"), (date(2026, 10, 2),)),
        "GBP": (Decimal("1.26"), (date(2026, 9, 30),)),
    }


@pytest.mark.django_db
def test_the_settlement_currency_is_one_by_definition_and_a_policy_must_be_known() -> None:
    rate = month_rate("USD", OCTOBER, MONTH_AVERAGE)
    assert rate is not None and rate.rate == Decimal(1) and rate.dates == ()
    with pytest.raises(ValueError, match="month_average, month_end"):
        month_rate("EUR", OCTOBER, "month_middle")


RATES = st.decimals(
    min_value=Decimal("0.0000000001"), max_value=Decimal("99999.9999999999"), places=10, allow_nan=False
)


@given(st.lists(RATES, min_size=1, max_size=31))
def test_the_average_lies_between_the_months_lowest_and_highest_rate(rates: list[Decimal]) -> None:
    result = month_average(rates)
    assert min(rates) <= result <= max(rates)
    # And it is the exact mean rounded once, half-even, at the 10th place.
    exact = sum((Fraction(r) for r in rates), Fraction(0)) / len(rates)
    assert Fraction(result) == Fraction(round(exact * 10**10), 10**10)


@pytest.mark.django_db
def test_a_rate_recorded_meanwhile_elsewhere_is_compared_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unique (currency, date) catches a rate another request recorded between the
    comparison and the insert; the whole comparison then runs again."""
    _rates("EUR", (OCTOBER, "1.0832"))
    real = rates_module._stored
    calls: list[int] = []

    def stale_once(wanted: Any) -> Any:
        calls.append(1)
        return {} if len(calls) == 1 else real(wanted)

    monkeypatch.setattr(rates_module, "_stored", stale_once)
    same = [RateIn(OCTOBER, "EUR", Decimal("1.0832"), "ECB", "[0]")]
    assert rates_record(same, recorded_by="t", closed_months=lambda months: set()).as_dict() == {
        "recorded": 0,
        "unchanged": 1,
    }
    calls.clear()
    other = [RateIn(OCTOBER, "EUR", Decimal("1.09"), "ECB", "[0]")]
    with pytest.raises(FxRejected) as refused:
        rates_record(other, recorded_by="t", closed_months=lambda months: set())
    assert refused.value.status == 409 and "[0].rate" in refused.value.body
    assert FxRate.objects.count() == 1
