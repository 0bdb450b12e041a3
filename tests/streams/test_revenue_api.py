"""`POST /api/v1/revenue`: what listeners paid, idempotent by id, stored all-or-nothing."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from kalipxo.months import add_months
from streams.models import ClosedMonth, Listener, RevenueRecord

pytestmark = pytest.mark.django_db

URL = "/api/v1/revenue"
SPEC_EXAMPLE = {
    "id": "inv-2026-10-L1", "listener": "L1", "month": "2026-10", "source": "subscription",
    "plan": "premium", "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00",
}  # fmt: skip


def record(number: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid record for listener L<number>; overrides replace (or, with None, drop) fields."""
    base = {**SPEC_EXAMPLE, "id": f"inv-2026-10-L{number}", "listener": f"L{number}"}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def stored_ids() -> set[str]:
    return set(RevenueRecord.objects.values_list("id", flat=True))


# --- stored --------------------------------------------------------------------------


def test_the_spec_example_is_created(billing_api: APIClient) -> None:
    response = billing_api.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 201
    assert response.json() == {"created": 1, "duplicates": 0}
    stored = RevenueRecord.objects.get()
    assert stored.id == "inv-2026-10-L1"
    assert stored.listener_id == "L1"
    assert stored.month == date(2026, 10, 1)
    assert (stored.source, stored.plan, stored.country) == ("subscription", "premium", "US")
    assert (stored.gross, stored.tax, stored.fees) == (Decimal("14.99"), Decimal(0), Decimal(0))
    assert Listener.objects.filter(id="L1").exists()


def test_an_array_is_stored_whole(billing_api: APIClient) -> None:
    records = [record(1), record(2, source="ads", plan="free", gross="0.37", country="fr")]

    response = billing_api.post(URL, records, format="json")

    assert response.status_code == 201
    assert response.json() == {"created": 2, "duplicates": 0}
    ads = RevenueRecord.objects.get(id="inv-2026-10-L2")
    assert (ads.source, ads.plan, ads.gross, ads.country) == ("ads", "free", Decimal("0.37"), "FR")


def test_tax_and_fees_may_use_up_all_of_gross(billing_api: APIClient) -> None:
    response = billing_api.post(URL, record(gross="14.99", tax="2.50", fees="12.49"), format="json")

    assert response.status_code == 201
    assert RevenueRecord.objects.get().net == 0


def test_ten_thousand_records_are_accepted(billing_api: APIClient) -> None:
    response = billing_api.post(URL, [record(n) for n in range(10_000)], format="json")

    assert response.status_code == 201
    assert response.json() == {"created": 10_000, "duplicates": 0}
    assert RevenueRecord.objects.count() == 10_000


# --- idempotency ---------------------------------------------------------------------


def test_replaying_a_record_is_a_200_duplicate(billing_api: APIClient) -> None:
    billing_api.post(URL, SPEC_EXAMPLE, format="json")

    response = billing_api.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "duplicates": 1}
    assert RevenueRecord.objects.count() == 1


def test_the_same_amount_written_differently_is_still_a_duplicate(billing_api: APIClient) -> None:
    billing_api.post(URL, record(gross="15", country="US"), format="json")

    response = billing_api.post(URL, record(gross="15.00", country="us"), format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "duplicates": 1}


def test_a_replay_with_new_records_creates_only_the_new_ones(billing_api: APIClient) -> None:
    billing_api.post(URL, record(1), format="json")

    response = billing_api.post(URL, [record(1), record(2)], format="json")

    assert response.status_code == 201
    assert response.json() == {"created": 1, "duplicates": 1}
    assert stored_ids() == {"inv-2026-10-L1", "inv-2026-10-L2"}


def test_the_same_record_twice_in_one_batch_is_one_duplicate(billing_api: APIClient) -> None:
    response = billing_api.post(URL, [record(1), record(1)], format="json")

    assert response.status_code == 201
    assert response.json() == {"created": 1, "duplicates": 1}
    assert RevenueRecord.objects.count() == 1


@pytest.mark.parametrize(
    "changed",
    [{"gross": "9.99"}, {"listener": "L2"}, {"month": "2026-11"}, {"plan": "free"}, {"source": "ads"}],
    ids=lambda changed: next(iter(changed)),
)
def test_the_same_id_with_other_values_is_a_409(billing_api: APIClient, changed: dict[str, str]) -> None:
    billing_api.post(URL, record(1), format="json")

    response = billing_api.post(URL, record(1, **changed), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    assert [r["id"] for r in body["rejected"]] == ["inv-2026-10-L1"]
    assert RevenueRecord.objects.get().gross == Decimal("14.99")
    assert RevenueRecord.objects.get().listener_id == "L1"


def test_a_conflict_mixed_with_new_records_stores_none_of_them(billing_api: APIClient) -> None:
    billing_api.post(URL, record(1), format="json")

    response = billing_api.post(URL, [record(2), record(1, gross="1.00"), record(3)], format="json")

    assert response.status_code == 409
    assert stored_ids() == {"inv-2026-10-L1"}
    assert not Listener.objects.filter(id__in=["L2", "L3"]).exists()


def test_the_same_id_with_other_values_inside_one_batch_is_refused(billing_api: APIClient) -> None:
    response = billing_api.post(URL, [record(1), record(1, gross="1.00")], format="json")

    assert response.status_code == 400
    assert [r["index"] for r in response.json()["rejected"]] == [1]
    assert not RevenueRecord.objects.exists()


# --- closed months -------------------------------------------------------------------


def test_a_record_for_a_closed_month_is_a_409(billing_api: APIClient) -> None:
    ClosedMonth.objects.create(month=date(2026, 10, 1))

    response = billing_api.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 409
    body = response.json()
    assert "2026-10" in body["detail"]
    assert body["rejected"][0]["id"] == "inv-2026-10-L1"
    assert not RevenueRecord.objects.exists()
    assert not Listener.objects.exists()


def test_a_closed_month_refuses_the_whole_batch(billing_api: APIClient) -> None:
    ClosedMonth.objects.create(month=date(2026, 9, 1))
    batch = [record(1), record(1), record(2, id="inv-2026-09-L2", month="2026-09"), record(3)]

    response = billing_api.post(URL, batch, format="json")

    assert response.status_code == 409
    assert [(r["index"], r["id"]) for r in response.json()["rejected"]] == [(2, "inv-2026-09-L2")]
    assert not RevenueRecord.objects.exists()


def test_a_replay_of_stored_records_after_the_month_closed_is_still_a_duplicate(
    billing_api: APIClient,
) -> None:
    billing_api.post(URL, SPEC_EXAMPLE, format="json")
    ClosedMonth.objects.create(month=date(2026, 10, 1))

    response = billing_api.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "duplicates": 1}
    assert RevenueRecord.objects.count() == 1


def test_other_months_stay_open(billing_api: APIClient) -> None:
    ClosedMonth.objects.create(month=date(2026, 9, 1))

    response = billing_api.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 201
    assert RevenueRecord.objects.count() == 1


# --- invalid records -----------------------------------------------------------------

BAD_RECORDS = [
    pytest.param({"gross": 14.99}, "gross", "decimal strings", id="gross-float"),
    pytest.param({"gross": 15}, "gross", "decimal strings", id="gross-integer"),
    pytest.param({"tax": 0}, "tax", "decimal strings", id="tax-number"),
    pytest.param({"fees": None}, "fees", "decimal strings", id="fees-missing"),
    pytest.param({"gross": "-14.99"}, "gross", "negative", id="gross-negative"),
    pytest.param({"tax": "-0.01", "gross": "14.99"}, "tax", "negative", id="tax-negative"),
    pytest.param({"gross": "14.999"}, "gross", "decimal places", id="gross-three-places"),
    pytest.param({"gross": "1e5"}, "gross", "decimal amount", id="gross-exponent"),
    pytest.param({"gross": "NaN"}, "gross", "decimal amount", id="gross-nan"),
    pytest.param({"gross": "14,99"}, "gross", "decimal amount", id="gross-comma"),
    pytest.param({"gross": " 14.99"}, "gross", "decimal amount", id="gross-space"),
    pytest.param({"gross": "100000000000000.00"}, "gross", "less than", id="gross-too-large-to-store"),
    pytest.param({"gross": "1" * 16}, "gross", "15 digits before", id="gross-16-integer-digits"),
    # More fraction digits than PostgreSQL's numeric can read; zeros, so the value is 14.99.
    pytest.param({"gross": "14.99" + "0" * 17_000}, "gross", "10 digits after", id="gross-17000-zeros"),
    pytest.param({"tax": "0." + "0" * 17_000}, "tax", "10 digits after", id="tax-17000-zeros"),
    # Past Decimal's 28 significant digits: arithmetic would round it to 14.99.
    pytest.param(
        {"gross": "14.990000000000000000000000000001"}, "gross", "2 decimal places", id="gross-31-places"
    ),
    pytest.param(
        {"fees": "0.100000000000000000000000000001"}, "fees", "2 decimal places", id="fees-31-digits"
    ),
    pytest.param({"tax": "10.00", "fees": "5.00"}, "gross", "exceed", id="tax-and-fees-over-gross"),
    pytest.param({"month": "2026-13"}, "month", "not a valid month", id="month-13"),
    pytest.param({"month": "2026-00"}, "month", "not a valid month", id="month-00"),
    pytest.param({"month": "2026-10-01"}, "month", "YYYY-MM", id="month-a-date"),
    pytest.param({"month": "10/2026"}, "month", "YYYY-MM", id="month-slashes"),
    pytest.param({"month": 202610}, "month", "YYYY-MM", id="month-number"),
    pytest.param({"month": "2999-12"}, "month", "at most one month ahead", id="month-far-ahead"),
    pytest.param({"source": "merch"}, "source", "subscription", id="source-unknown"),
    pytest.param({"source": None}, "source", "subscription", id="source-missing"),
    pytest.param({"plan": "platinum"}, "plan", "Unknown plan", id="plan-unknown"),
    pytest.param({"plan": ["premium"]}, "plan", "Unknown plan", id="plan-list"),
    pytest.param({"plan": {"name": "premium"}}, "plan", "Unknown plan", id="plan-object"),
    pytest.param({"country": "USA"}, "country", "alpha-2", id="country-three-letters"),
    pytest.param({"id": None}, "id", "Required", id="id-missing"),
    pytest.param({"id": "x" * 101}, "id", "100", id="id-too-long"),
    pytest.param({"listener": ""}, "listener", "Required", id="listener-empty"),
    pytest.param({"listener": "L" * 100_000}, "listener", "64", id="listener-huge"),
    pytest.param({"discount": "1.00"}, "discount", "Unknown field", id="unknown-field"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_RECORDS)
def test_an_invalid_record_stores_nothing_of_its_batch(
    billing_api: APIClient, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = billing_api.post(URL, [record(1), record(2, **overrides), record(3)], format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    [rejection] = body["rejected"]
    assert rejection["index"] == 1
    assert list(rejection["errors"]) == [field]
    assert message in rejection["errors"][field][0]
    assert not RevenueRecord.objects.exists()
    assert not Listener.objects.exists()


def test_amounts_with_trailing_zeros_up_to_ten_places_are_the_same_amount(billing_api: APIClient) -> None:
    created = billing_api.post(URL, record(gross="14.9900000000", tax="0.0000000000"), format="json")

    replayed = billing_api.post(URL, record(gross="14.99", tax="0"), format="json")

    assert created.status_code == 201, created.json()
    assert replayed.status_code == 200
    assert replayed.json() == {"created": 0, "duplicates": 1}
    assert RevenueRecord.objects.get().gross == Decimal("14.99")


def test_a_refused_amount_is_refused_the_same_way_when_sent_again(billing_api: APIClient) -> None:
    """An honest retry gets the answer the first try got, not a 409 "different values"."""
    body = record(gross="14.990000000000000000000000000001")

    first, second = billing_api.post(URL, body, format="json"), billing_api.post(URL, body, format="json")

    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()
    assert not RevenueRecord.objects.exists()


def months_from_now(count: int) -> str:
    return f"{add_months(datetime.now(UTC).date().replace(day=1), count):%Y-%m}"


def test_revenue_for_next_month_is_accepted(billing_api: APIClient) -> None:
    """Billing may record a subscription a few days before its month starts."""
    response = billing_api.post(URL, record(month=months_from_now(1)), format="json")

    assert response.status_code == 201, response.json()


def test_revenue_for_the_month_after_next_is_refused(billing_api: APIClient) -> None:
    month = months_from_now(2)

    response = billing_api.post(URL, [record(1), record(2, month=month)], format="json")

    assert response.status_code == 400
    [rejection] = response.json()["rejected"]
    assert rejection["index"] == 1
    assert list(rejection["errors"]) == ["month"]
    assert months_from_now(1) in rejection["errors"]["month"][0]
    assert not RevenueRecord.objects.exists()


def test_every_invalid_record_is_reported(billing_api: APIClient) -> None:
    response = billing_api.post(URL, [record(1, gross=1.5), record(2), "junk", None], format="json")

    assert response.status_code == 400
    assert [r["index"] for r in response.json()["rejected"]] == [0, 2, 3]
    assert not RevenueRecord.objects.exists()


def test_more_than_10000_records_is_a_400(billing_api: APIClient) -> None:
    response = billing_api.post(URL, [record(n) for n in range(10_001)], format="json")

    assert response.status_code == 400
    assert "10,000" in response.json()["detail"]
    assert not RevenueRecord.objects.exists()


def test_an_empty_array_is_a_400(billing_api: APIClient) -> None:
    response = billing_api.post(URL, [], format="json")

    assert response.status_code == 400
    assert "empty" in response.json()["detail"]
