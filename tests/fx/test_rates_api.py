"""Exchange rates through the API (docs/rules.md §4b Exchange rates): recording them all or
nothing, every refusal named `[i].field`, replays that change nothing, and the reads."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import ApiClient
from fx.models import FxRate
from streams.models import ClosedMonth
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/fx-rates"
MONTH_URL = "/api/v1/fx-rates/month"


def _rate(
    day: Any = "2026-10-01", currency: Any = "EUR", rate: Any = "1.0832", **more: Any
) -> dict[str, Any]:
    return {"date": day, "currency": currency, "rate": rate, **more}


def _post(api: APIClient, body: Any) -> Any:
    return api.post(URL, body, format="json")


def test_rates_are_recorded_once_and_a_replay_changes_nothing(admin_api: APIClient) -> None:
    body = [_rate(source="ECB"), _rate("2026-10-02", "GBP", "1.2700199320")]
    first = _post(admin_api, body)
    assert first.status_code == 201, first.json()
    assert first.json() == {"recorded": 2, "unchanged": 0}
    eur = FxRate.objects.get(currency="EUR")
    assert (eur.date, eur.rate, eur.source) == (date(2026, 10, 1), Decimal("1.0832"), "ECB")
    assert eur.recorded_by.startswith("admin-") and eur.recorded_at is not None
    assert FxRate.objects.get(currency="GBP").source == "api"  # the default source
    # The same rates again (written with trailing zeros, or from another source): unchanged.
    again = _post(admin_api, [_rate(rate="1.08320", source="api"), _rate("2026-10-02", "GBP", "1.270019932")])
    assert again.status_code == 200 and again.json() == {"recorded": 0, "unchanged": 2}
    mixed = _post(admin_api, [_rate(), _rate("2026-10-05")])
    assert mixed.status_code == 201 and mixed.json() == {"recorded": 1, "unchanged": 1}
    assert (
        FxRate.objects.count() == 3
        and FxRate.objects.get(currency="EUR", date=date(2026, 10, 1)).source == "ECB"
    )


def test_one_object_is_a_batch_of_one_and_lower_case_codes_are_stored_upper_case(
    admin_api: APIClient,
) -> None:
    response = _post(admin_api, _rate(currency="eur"))
    assert response.status_code == 201 and response.json() == {"recorded": 1, "unchanged": 0}
    assert FxRate.objects.get().currency == "EUR"
    assert _post(admin_api, [_rate(currency="Eur")]).json() == {"recorded": 0, "unchanged": 1}


def test_another_rate_for_a_recorded_date_is_a_conflict_and_nothing_is_recorded(admin_api: APIClient) -> None:
    _post(admin_api, [_rate()])
    response = _post(admin_api, [_rate("2026-10-02"), _rate(rate="1.0833")])
    assert response.status_code == 409
    body = response.json()
    assert list(body) == ["detail", "[1].rate"]
    assert "EUR on 2026-10-01 is already 1.0832" in body["[1].rate"][0]
    assert "never edited" in body["[1].rate"][0]
    assert FxRate.objects.count() == 1  # 2 October was not recorded either


def test_a_rate_dated_in_a_closed_month_is_refused_but_a_replay_there_is_not(admin_api: APIClient) -> None:
    _post(admin_api, [_rate("2026-09-30")])
    ClosedMonth.objects.create(month=date(2026, 9, 1))
    response = _post(admin_api, [_rate("2026-10-01"), _rate("2026-09-29", "GBP", "1.27")])
    assert response.status_code == 409
    assert list(response.json()) == ["detail", "[1].date"]
    assert "2026-09 is closed" in response.json()["[1].date"][0]
    assert FxRate.objects.count() == 1
    # The rate recorded before the month closed, sent again: a replay, never an error.
    replay = _post(admin_api, [_rate("2026-09-30")])
    assert replay.status_code == 200 and replay.json() == {"recorded": 0, "unchanged": 1}
    conflict = _post(admin_api, [_rate("2026-09-30", rate="1.1")])
    assert conflict.status_code == 409 and "[0].rate" in conflict.json()


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        (_rate(currency="XXX"), "currency", '"XXX" is not a currency'),  # ISO's "no currency"
        (_rate(currency="XTS"), "currency", "is not a currency"),  # ISO's testing code
        (_rate(currency="XAU"), "currency", "is not a currency"),  # gold
        (_rate(currency="ABC"), "currency", '"ABC" is not a currency'),
        (_rate(currency="EURO"), "currency", "is not a currency"),
        (_rate(currency="ÉUR"), "currency", "is not a currency"),
        (_rate(currency=978), "currency", "Send the currency as a string"),
        (_rate(currency="USD"), "currency", "USD is the settlement currency"),
        (_rate(currency="usd"), "currency", "USD is the settlement currency"),
        (_rate(rate="0"), "rate", "A rate is positive"),
        (_rate(rate="0.0000000000"), "rate", "A rate is positive"),
        (_rate(rate="-0"), "rate", "A rate is positive"),
        (_rate(rate="-1.0832"), "rate", "A rate is positive"),
        (_rate(rate="1.00000000001"), "rate", "At most 10 decimal places"),
        (_rate(rate="1.08320000000"), "rate", "At most 10 digits after the decimal point"),
        (_rate(rate="1" * 16), "rate", "at most 15 digits before the decimal point"),
        (_rate(rate=1.0832), "rate", "decimal string"),
        (_rate(rate=1), "rate", "decimal string"),
        (_rate(rate=True), "rate", "decimal string"),
        (_rate(rate="1e3"), "rate", "is not a decimal"),
        (_rate(rate="1,0832"), "rate", "is not a decimal"),
        (_rate(rate=None), "rate", "decimal string"),
        (_rate(day="2026-02-30"), "date", "not a date of the calendar"),
        (_rate(day="2026-10-1"), "date", "YYYY-MM-DD"),
        (_rate(day="01/10/2026"), "date", "YYYY-MM-DD"),
        (_rate(day="2026-10-01T00:00:00Z"), "date", "YYYY-MM-DD"),
        (_rate(day="1998-12-31"), "date", "the euro's first day"),
        (_rate(day=20261001), "date", "YYYY-MM-DD"),
        (_rate(source=""), "source", "non-empty string"),
        (_rate(source="x" * 65), "source", "At most 64 characters"),
        (_rate(source=None), "source", "non-empty string"),
        (_rate(rates="1.0832"), "rates", "Unknown field"),
        ({"currency": "EUR", "rate": "1.0832"}, "date", "Required"),
        ({"date": "2026-10-01", "rate": "1.0832"}, "currency", "Required"),
        ({"date": "2026-10-01", "currency": "EUR"}, "rate", "Required"),
    ],
)
def test_every_field_refusal_names_the_item_and_field(
    admin_api: APIClient, item: dict[str, Any], field: str, message: str
) -> None:
    response = _post(admin_api, [_rate("2026-10-05", "GBP", "1.27"), item])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", f"[1].{field}"}, body
    assert message in body[f"[1].{field}"][0]
    assert not FxRate.objects.exists()


def test_every_problem_of_a_batch_is_named_at_once(admin_api: APIClient) -> None:
    response = _post(admin_api, [_rate(currency="ABC", rate="0"), "EUR 1.0832", _rate(day="2026-13-01")])
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "[0].currency", "[0].rate", "[1]", "[2].date"}


def test_a_currency_and_date_twice_in_one_batch_is_refused(admin_api: APIClient) -> None:
    same = _post(admin_api, [_rate(), _rate("2026-10-02"), _rate()])
    assert same.status_code == 400
    assert list(same.json()) == ["detail", "[2].currency"]
    assert "already at [0]" in same.json()["[2].currency"][0]
    # Another rate, or the code in lower case, is the same (date, currency) too.
    other = _post(admin_api, [_rate(), _rate(currency="eur", rate="1.09")])
    assert other.status_code == 400 and list(other.json()) == ["detail", "[1].currency"]
    assert not FxRate.objects.exists()


@pytest.mark.parametrize("body", [[], "EUR", 3, None])
def test_a_body_that_is_not_rates_is_refused(admin_api: APIClient, body: Any) -> None:
    response = _post(admin_api, body)
    assert response.status_code == 400 and "detail" in response.json()


def test_only_admins_record_and_read_rates(api_as: Any, anon_api: APIClient) -> None:
    artist = ArtistFactory.create()
    callers = [
        api_as(ApiClient.Role.INGEST),
        api_as(ApiClient.Role.BILLING),
        api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro One"),
        api_as(ApiClient.Role.ARTIST, artist=artist.pk),
    ]
    for api in callers:
        assert _post(api, [_rate()]).status_code == 403
        assert api.get(URL, {"month": "2026-10"}).status_code == 403
        assert api.get(MONTH_URL, {"month": "2026-10"}).status_code == 403
    assert _post(anon_api, [_rate()]).status_code == 401
    assert anon_api.get(URL, {"month": "2026-10"}).status_code == 401
    assert anon_api.get(MONTH_URL, {"month": "2026-10"}).status_code == 401
    assert not FxRate.objects.exists()


def test_the_list_filters_by_currency_and_month(admin_api: APIClient) -> None:
    _post(
        admin_api,
        [
            _rate("2026-10-02", "EUR", "1.0845"),
            _rate("2026-10-01", "EUR", "1.0832", source="ECB"),
            _rate("2026-10-01", "GBP", "1.27"),
            _rate("2026-11-02", "EUR", "1.09"),
        ],
    )
    listed = admin_api.get(URL, {"currency": "eur", "month": "2026-10"})
    assert listed.status_code == 200
    rows = listed.json()
    assert [(r["date"], r["currency"], r["rate"], r["source"]) for r in rows] == [
        ("2026-10-01", "EUR", "1.0832", "ECB"),
        ("2026-10-02", "EUR", "1.0845", "api"),
    ]
    assert rows[0]["recorded_by"].startswith("admin-") and rows[0]["recorded_at"]
    assert len(admin_api.get(URL, {"month": "2026-10"}).json()) == 3
    assert len(admin_api.get(URL, {"currency": "EUR"}).json()) == 3
    assert len(admin_api.get(URL).json()) == 4
    assert admin_api.get(URL, {"month": "2026-13"}).status_code == 400
    assert admin_api.get(URL, {"currency": "ABC"}).status_code == 400


def test_the_months_rates_by_the_policy_with_their_dates(admin_api: APIClient, settings: Any) -> None:
    _post(
        admin_api,
        [
            _rate("2026-10-01", "EUR", "1.0832", source="ECB"),
            _rate("2026-10-02", "EUR", "1.0845", source="ECB"),
            _rate("2026-10-05", "EUR", "1.0901", source="ECB"),
            _rate("2026-09-30", "GBP", "1.27"),
        ],
    )
    response = admin_api.get(MONTH_URL, {"month": "2026-10"})
    assert response.status_code == 200
    assert response.json() == {
        "month": "2026-10",
        "policy": "month_average",
        "settlement_currency": "USD",
        "rates": [
            {
                "currency": "EUR",
                "month": "2026-10",
                "policy": "month_average",
                "rate": "1.0859333333",
                "dates": ["2026-10-01", "2026-10-02", "2026-10-05"],
                "sources": ["ECB"],
            }
        ],
    }
    settings.FX_RATE_POLICY = "month_end"
    end = admin_api.get(MONTH_URL, {"month": "2026-10"}).json()
    assert end["policy"] == "month_end"
    assert [(r["currency"], r["rate"], r["dates"]) for r in end["rates"]] == [
        ("EUR", "1.0901", ["2026-10-05"]),
        ("GBP", "1.27", ["2026-09-30"]),
    ]
    chosen = admin_api.get(MONTH_URL, {"month": "2026-10", "policy": "month_average"}).json()
    assert chosen["policy"] == "month_average" and len(chosen["rates"]) == 1
    assert admin_api.get(MONTH_URL).status_code == 400
    assert admin_api.get(MONTH_URL, {"month": "2026-10", "policy": "month_middle"}).status_code == 400
