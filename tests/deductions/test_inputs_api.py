"""The deductions' inputs through the public surface: distributors' fee agreements and payees'
tax profiles (docs/rules.md §4b Payments), their refusals, and the Django admin's add forms."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from artists.models import ApiClient, Artist, Distributor, Payee
from deductions.agreements import fee_rate_for
from deductions.models import FeeAgreement, TaxProfile
from deductions.tax import current_tax_profile, withholding_rate
from streams.services import month_close

pytestmark = pytest.mark.django_db

URL = "/api/v1/distributors/{}/agreements"


@pytest.fixture
def distro(distributor_api: Any) -> Distributor:
    """'Distro One', made by the distributor_api fixture's client."""
    return Distributor.objects.get(name="Distro One")


def test_an_agreement_is_recorded_once_and_listed_in_month_order(admin_api: Any, distro: Distributor) -> None:
    later = admin_api.post(
        URL.format("Distro One"), {"fee_rate": "0.2", "from_month": "2026-12"}, format="json"
    )
    assert later.status_code == 201, later.json()
    first = admin_api.post(
        URL.format("Distro One"), {"fee_rate": "0.15", "from_month": "2026-10"}, format="json"
    )
    assert first.status_code == 201
    assert first.json()["fee_rate"] == "0.15" and first.json()["from_month"] == "2026-10"
    again = admin_api.post(
        URL.format("Distro One"), {"fee_rate": "0.150000", "from_month": "2026-10"}, format="json"
    )
    assert again.status_code == 200 and FeeAgreement.objects.count() == 2
    listed = admin_api.get(URL.format("Distro One")).json()
    assert [(a["from_month"], a["fee_rate"]) for a in listed] == [("2026-10", "0.15"), ("2026-12", "0.2")]


def test_a_distributor_reads_its_own_agreements_and_records_none(
    api_as: Any, admin_api: Any, distributor_api: Any, distro: Distributor
) -> None:
    admin_api.post(URL.format("Distro One"), {"fee_rate": "0", "from_month": "2026-10"}, format="json")
    assert distributor_api.get(URL.format("Distro One")).json()[0]["fee_rate"] == "0"
    refused = distributor_api.post(
        URL.format("Distro One"), {"fee_rate": "0", "from_month": "2026-11"}, format="json"
    )
    assert refused.status_code == 403 and FeeAgreement.objects.count() == 1
    other = api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro Two")
    # Another distributor cannot tell Distro One from a name that does not exist.
    assert other.get(URL.format("Distro One")).status_code == 404
    assert other.get(URL.format("Nobody")).status_code == 404
    assert admin_api.get(URL.format("Nobody")).status_code == 404
    assert api_as(ApiClient.Role.INGEST).get(URL.format("Distro One")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fee_rate": 0.15, "from_month": "2026-10"}, "fee_rate"),
        ({"fee_rate": "1.5", "from_month": "2026-10"}, "fee_rate"),
        ({"fee_rate": "-0.1", "from_month": "2026-10"}, "fee_rate"),
        ({"fee_rate": "0.1234567", "from_month": "2026-10"}, "fee_rate"),
        ({"fee_rate": "0.1", "from_month": "2026-13"}, "from_month"),
        ({"fee_rate": "0.1", "from_month": "２０２６-10"}, "from_month"),
        ({"from_month": "2026-10"}, "fee_rate"),
        ({"fee_rate": "0.1"}, "from_month"),
        ({"fee_rate": "0.1", "from_month": "2026-10", "currency": "EUR"}, "currency"),
    ],
)
def test_bad_terms_get_a_400_naming_the_field(
    admin_api: Any, distro: Distributor, body: dict, field: str
) -> None:
    response = admin_api.post(URL.format("Distro One"), body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not FeeAgreement.objects.exists()


def test_not_an_object_or_not_json_is_a_400(admin_api: Any, distro: Distributor) -> None:
    assert admin_api.post(URL.format("Distro One"), [], format="json").status_code == 400
    broken = admin_api.post(URL.format("Distro One"), "{", content_type="application/json")
    assert broken.status_code == 400


def test_another_rate_from_the_same_month_or_a_closed_month_is_a_409(
    admin_api: Any, distro: Distributor
) -> None:
    admin_api.post(URL.format("Distro One"), {"fee_rate": "0.15", "from_month": "2026-10"}, format="json")
    clash = admin_api.post(
        URL.format("Distro One"), {"fee_rate": "0.1", "from_month": "2026-10"}, format="json"
    )
    assert clash.status_code == 409 and "never edited" in clash.json()["from_month"][0]
    with transaction.atomic():
        month_close(month=date(2026, 9, 1), run_id=1)
    closed = admin_api.post(
        URL.format("Distro One"), {"fee_rate": "0.1", "from_month": "2026-09"}, format="json"
    )
    assert closed.status_code == 409 and "closed" in closed.json()["from_month"][0]
    assert FeeAgreement.objects.get().fee_rate == Decimal("0.15")


def test_the_rate_for_a_month_is_the_latest_agreement_started_by_then(distro: Distributor) -> None:
    rows = [
        FeeAgreement(distributor=distro, fee_rate=Decimal("0.15"), from_month=date(2026, 10, 1)),
        FeeAgreement(distributor=distro, fee_rate=Decimal("0.1"), from_month=date(2027, 1, 1)),
    ]
    assert fee_rate_for(rows, date(2026, 9, 1)) == 0
    assert fee_rate_for(rows, date(2026, 10, 1)) == Decimal("0.15")
    assert fee_rate_for(rows, date(2026, 12, 1)) == Decimal("0.15")
    assert fee_rate_for(rows, date(2027, 3, 1)) == Decimal("0.1")


TAX = "/api/v1/payees/{}/tax-profile"


@pytest.fixture
def payee() -> Payee:
    return Payee.objects.create(id="wri-9", kind="writer", name="Writer Nine")


@pytest.mark.parametrize(
    ("body", "rate"),
    [
        ({"form": "w9", "country": "US"}, "0"),
        ({"form": "w8ben", "country": "de", "treaty_rate": "0"}, "0"),
        ({"form": "w8bene", "country": "GB", "treaty_rate": "0.15"}, "0.15"),
        ({"form": "w8ben", "country": "BR"}, "0.3"),
        ({"form": "none"}, "0.24"),
    ],
)
def test_the_form_on_file_decides_the_withholding_rate(
    admin_api: Any, payee: Payee, settings: Any, body: dict, rate: str
) -> None:
    settings.WITHHOLDING_RATE_WITHOUT_FORM = Decimal("0.24")
    response = admin_api.put(TAX.format("wri-9"), body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["withholding_rate"] == rate
    assert admin_api.get(TAX.format("wri-9")).json()["withholding_rate"] == rate
    profile = current_tax_profile("wri-9")
    assert profile is not None and profile.country == body.get("country", "").upper()


def test_a_new_form_adds_to_the_history_and_the_same_one_again_does_not(admin_api: Any, payee: Payee) -> None:
    assert admin_api.get(TAX.format("wri-9")).json()["form"] == "none"
    admin_api.put(TAX.format("wri-9"), {"form": "w8ben", "country": "DE", "treaty_rate": "0"}, format="json")
    admin_api.put(
        TAX.format("wri-9"), {"form": "w8ben", "country": "DE", "treaty_rate": "0.0"}, format="json"
    )
    admin_api.put(TAX.format("wri-9"), {"form": "w9", "country": "US"}, format="json")
    assert list(TaxProfile.objects.order_by("id").values_list("form", flat=True)) == ["w8ben", "w9"]
    assert withholding_rate(current_tax_profile("wri-9"), without_form=Decimal("0.3")) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"form": "1099"}, "form"),
        ({}, "form"),
        ({"form": "w9", "country": "USA"}, "country"),
        ({"form": "w9", "treaty_rate": "0.1"}, "treaty_rate"),
        ({"form": "w8ben", "treaty_rate": "1.01"}, "treaty_rate"),
        ({"form": "w8ben", "treaty_rate": 0.1}, "treaty_rate"),
        ({"form": "w9", "ssn": "123"}, "ssn"),
    ],
)
def test_a_bad_profile_gets_a_400_naming_the_field(
    admin_api: Any, payee: Payee, body: dict, field: str
) -> None:
    response = admin_api.put(TAX.format("wri-9"), body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not TaxProfile.objects.exists()


def test_only_an_admin_reads_or_records_a_tax_profile(api_as: Any, admin_api: Any, payee: Payee) -> None:
    distributor = api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro One")
    assert distributor.put(TAX.format("wri-9"), {"form": "w9"}, format="json").status_code == 403
    assert distributor.get(TAX.format("wri-9")).status_code == 403
    assert admin_api.put(TAX.format("nobody"), {"form": "w9"}, format="json").status_code == 404
    assert not TaxProfile.objects.exists()


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-not-secret-123"))
    return client


def test_the_django_admin_records_through_the_same_rules(
    staff: Client, distro: Distributor, payee: Payee
) -> None:
    add = "/admin/deductions/feeagreement/add/"
    made = staff.post(add, {"distributor": distro.pk, "fee_rate": "0.15", "from_month": "2026-10-17"})
    assert made.status_code == 302
    agreement = FeeAgreement.objects.get()
    assert agreement.from_month == date(2026, 10, 1) and agreement.recorded_by == "boss"
    clash = staff.post(add, {"distributor": distro.pk, "fee_rate": "0.1", "from_month": "2026-10-01"})
    assert clash.status_code == 200 and b"never edited" in clash.content
    assert FeeAgreement.objects.count() == 1
    assert staff.get(f"/admin/deductions/feeagreement/{agreement.pk}/change/").status_code == 200  # read-only
    tax_add = "/admin/deductions/taxprofile/add/"
    refused = staff.post(tax_add, {"payee": "wri-9", "form": "w9", "country": "US", "treaty_rate": "0.1"})
    assert refused.status_code == 200 and not TaxProfile.objects.exists()
    assert staff.post(tax_add, {"payee": "wri-9", "form": "w8ben", "country": "de"}).status_code == 302
    profile = TaxProfile.objects.get()
    assert (profile.country, profile.recorded_by) == ("DE", "boss")
    for page in (
        "/admin/deductions/feeagreement/",
        "/admin/deductions/taxprofile/",
        "/admin/deductions/taxprofile/?q=wri",
    ):
        assert staff.get(page).status_code == 200


def test_an_artist_paid_without_splits_has_a_tax_profile_too(admin_api: Any) -> None:
    artist = Artist.objects.create(id="art-7", name="Artist Seven")
    response = admin_api.put(TAX.format("art-7"), {"form": "w9", "country": "US"}, format="json")
    assert response.status_code == 200 and response.json()["payee"] == "art-7"
    payee = Payee.objects.get(pk="art-7")
    assert (payee.kind, payee.name, payee.artist_id) == ("artist", "Artist Seven", artist.pk)
