"""From payable to paid, through the public API (docs/rules.md §2 Payees and payments, §4b
Payments), on whichever database the suite runs: two finalized months with fees and
withholding; a verified IBAN payee, a PayPal payee whose payment fails, a payee with no payout
account, a sanctioned name, a distributor paid and then returned; a batch created twice,
approved by a second admin, its pain.001 valid against the ISO 20022 schema, results applied
twice; and the balances carried into the next month's batch."""

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from rest_framework.test import APIClient

from artists.models import ApiClient, Distributor
from ledger.selectors import account_balances, unbalanced_transactions
from payments.models import AuditEntry
from tests.payments.world import IBAN_ART_1, IBAN_DISTRO, cents, month_data, pay_month, payable, verify

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).parent / "schemas" / "pain.001.001.03.xsd"


def test_a_month_is_paid_once_and_what_is_not_paid_is_carried(
    world: dict[str, Any], admin_api: APIClient, api_as: Any, distributor_api: APIClient
) -> None:
    october = world["october"]
    ok = verify(
        admin_api,
        "art-1",
        {
            "status": "verified",
            "legal_name": "Artist One",
            "payout_method": {"type": "iban", "iban": IBAN_ART_1, "holder": "ONE, Artist"},
        },
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["held"] is None and ok.json()["screening"] == "clean"
    assert ok.json()["payout_method"] == "IBAN …3000"
    paypal = {"type": "paypal", "email": "Label@Example.com"}
    assert (
        verify(
            admin_api, "lbl-1", {"status": "verified", "legal_name": "Label One", "payout_method": paypal}
        ).status_code
        == 200
    )
    # A name on the sanctions list, in another order and case, with an accent: held for review.
    hit = verify(
        admin_api,
        "art-3",
        {
            "status": "verified",
            "legal_name": "Borís ivanov",
            "payout_method": {"type": "iban", "iban": IBAN_DISTRO, "holder": "Boris Ivanov"},
        },
    )
    assert hit.status_code == 200 and hit.json()["status"] == "pending" and hit.json()["screening"] == "hit"
    distro = admin_api.put(
        "/api/v1/distributors/Distro One/verification",
        {
            "status": "verified",
            "legal_name": "Distro One Ltd",
            "payout_method": {"type": "iban", "iban": IBAN_DISTRO, "holder": "Distro One Ltd"},
        },
        format="json",
    )
    assert distro.status_code == 200, distro.json()

    created = admin_api.post("/api/v1/payment-batches", {"month": "2026-10"}, format="json")
    assert created.status_code == 201, created.json()
    batch = created.json()
    again = admin_api.post("/api/v1/payment-batches", {"month": "2026-10"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == batch["id"]
    distro_id = Distributor.objects.get(name="Distro One").pk
    items = {item["payee"]: item for item in batch["items"]}
    assert set(items) == {"art-1", "lbl-1", f"distributor:{distro_id}"}  # not art-2 (no account), not art-3
    assert cents(items["art-1"]["amount"]) == payable(october, "art-1")
    assert cents(items["lbl-1"]["amount"]) == payable(october, "lbl-1")
    fees = account_balances(run_id=october)[f"fees:distributor:{distro_id}"]  # the month's, not the batch's
    assert cents(items[f"distributor:{distro_id}"]["amount"]) == fees > 0
    assert len({item["reference"] for item in batch["items"]}) == 3
    assert cents(batch["total"]) == sum(cents(i["amount"]) for i in batch["items"])

    url = f"/api/v1/payment-batches/{batch['id']}"
    assert admin_api.get(f"{url}/sepa.xml").status_code == 409  # four eyes first
    assert admin_api.post(f"{url}/approve").status_code == 403  # not by its creator
    second = api_as(ApiClient.Role.ADMIN)
    approved = second.post(f"{url}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    sepa = admin_api.get(f"{url}/sepa.xml")
    assert sepa.status_code == 200
    xmlschema.XMLSchema(str(SCHEMA)).validate(sepa.content)
    text = sepa.content.decode()
    assert 'Ccy="USD"' in text and "DE89370400440532013000" in text and items["art-1"]["reference"] in text
    assert "<Cd>SEPA</Cd>" not in text  # not euros: no SEPA service level
    rows = list(csv.reader(io.StringIO(admin_api.get(f"{url}/paypal.csv").content.decode())))
    assert rows == [["label@example.com", items["lbl-1"]["amount"], "USD", items["lbl-1"]["reference"],
                     "Kalipxo royalties 2026-10", "PAYPAL"]]  # fmt: skip

    ref = {payee: item["reference"] for payee, item in items.items()}
    results = [
        {"reference": ref["art-1"], "status": "paid"},
        {"reference": ref["lbl-1"], "status": "failed", "reason": "AC04 account closed"},
        {"reference": ref[f"distributor:{distro_id}"], "status": "paid"},
    ]
    assert admin_api.post(f"{url}/results", results, format="json").status_code == 200
    before = account_balances()
    assert admin_api.post(f"{url}/results", results, format="json").status_code == 200
    assert account_balances() == before  # the same results again change nothing
    returned = [
        {"reference": ref[f"distributor:{distro_id}"], "status": "returned", "reason": "AC06 blocked"}
    ]
    assert admin_api.post(f"{url}/results", returned, format="json").status_code == 200
    bad = admin_api.post(f"{url}/results", [{"reference": ref["lbl-1"], "status": "paid"}], format="json")
    assert bad.status_code == 409 and "[0].status" in bad.json()  # failed is final
    unknown = admin_api.post(f"{url}/results", [{"reference": "KX-NOPE", "status": "paid"}], format="json")
    assert unknown.status_code == 400 and "[0].reference" in unknown.json()
    before = account_balances()
    mixed = [{"reference": ref["art-1"], "status": "returned"}, {"reference": "KX-NOPE", "status": "paid"}]
    assert admin_api.post(f"{url}/results", mixed, format="json").status_code == 400
    conflicting = [
        {"reference": ref["art-1"], "status": "returned"},
        {"reference": ref["lbl-1"], "status": "paid"},
    ]
    assert admin_api.post(f"{url}/results", conflicting, format="json").status_code == 409
    assert account_balances() == before  # nothing of a refused request was applied
    statuses = {i["reference"]: i["status"] for i in admin_api.get(url).json()["items"]}
    assert statuses[ref["art-1"]] == "paid"

    balance = admin_api.get("/api/v1/payees/art-1/balance").json()
    assert balance["balance"] == "0.00" and balance["last_payment"]["status"] == "paid"
    assert (
        balance["last_payment"]["summary"].startswith("Paid ")
        and "IBAN …3000" in balance["last_payment"]["summary"]
    )
    label = admin_api.get("/api/v1/payees/lbl-1/balance").json()
    assert cents(label["balance"]) == payable(october, "lbl-1")
    assert "account closed" in label["last_payment"]["summary"]
    art_2 = admin_api.get("/api/v1/payees/art-2/balance").json()
    assert (
        cents(art_2["balance"]) == payable(october, "art-2")
        and art_2["held"] == "Add a payout account to get paid."
    )
    art_3 = admin_api.get("/api/v1/payees/art-3/balance").json()
    assert "sanctions" in art_3["held"]
    assert distributor_api.get("/api/v1/payees/art-1/balance").status_code == 200  # its own payee
    assert (
        api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro Two")
        .get("/api/v1/payees/art-1/balance")
        .status_code
        == 404
    )
    assert unbalanced_transactions() == []
    assert account_balances()["cash"] == cents(items["art-1"]["amount"])

    # November: the label's failed October money is paid with November's, once.
    month_data(
        "2026-11", [("L1", "QZKPX2600001", 4), ("L3", "QZKPX2600001", 2)], {"L1": "9.99", "L3": "4.99"}
    )
    november = pay_month(date(2026, 11, 1))
    next_batch = admin_api.post("/api/v1/payment-batches", {"month": "2026-11"}, format="json").json()
    carried = {item["payee"]: cents(item["amount"]) for item in next_batch["items"]}
    assert carried["lbl-1"] == payable(october, "lbl-1") + payable(november, "lbl-1")
    assert carried["art-1"] == payable(november, "art-1")
    assert (
        carried[f"distributor:{distro_id}"]
        == fees + account_balances(run_id=november)[f"fees:distributor:{distro_id}"]
    )
    other = admin_api.post(
        f"{url}/results",
        [{"reference": next_batch["items"][0]["reference"], "status": "paid"}],
        format="json",
    )
    assert (
        other.status_code == 400 and "not batch" in other.json()["[0].reference"][0]
    )  # another batch's payment
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "payout_method.added",
        "batch.created",
        "batch.approved",
        "batch.results",
        "verification.verified",
    } <= actions


def test_bad_verification_input_names_the_field(world: dict[str, Any], admin_api: APIClient) -> None:
    bad_iban = {"type": "iban", "iban": "DE89370400440532013001", "holder": "A"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": "verified", "legal_name": "A", "payout_method": bad_iban}, "payout_method.iban"),
        ({"status": "verified", "payout_method": {"type": "paypal", "email": "x"}}, "payout_method.email"),
        ({"status": "maybe"}, "status"),
        ({"status": "rejected"}, "reason"),
        ({"status": "verified", "payout_method": {"type": "cheque"}}, "payout_method"),
        ({"status": "verified", "ssn": "1"}, "ssn"),
    ]  # fmt: skip
    for body, field in cases:
        response = verify(admin_api, "art-1", body)
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    mismatch = verify(
        admin_api,
        "art-1",
        {
            "status": "verified",
            "legal_name": "Artist One",
            "payout_method": {"type": "iban", "iban": IBAN_ART_1, "holder": "Somebody Else"},
        },
    )
    assert mismatch.status_code == 409 and "not the legal name" in mismatch.json()["status"][0]
    assert admin_api.post("/api/v1/payment-batches", {"month": "2026-12"}, format="json").status_code == 409
    assert admin_api.post("/api/v1/payment-batches", {"month": "2026-1"}, format="json").status_code == 400
    assert (
        admin_api.post("/api/v1/payment-batches", {"month": "2026-10", "x": 1}, format="json").status_code
        == 400
    )
    assert admin_api.get("/api/v1/payment-batches/999/sepa.xml").status_code == 404


def test_a_replaced_payout_account_is_held_for_72_hours(world: dict[str, Any], admin_api: APIClient) -> None:
    first = {"type": "iban", "iban": IBAN_ART_1, "holder": "Artist One"}
    assert (
        verify(
            admin_api, "art-1", {"status": "verified", "legal_name": "Artist One", "payout_method": first}
        ).json()["held"]
        is None
    )
    replaced = verify(
        admin_api, "art-1", {"status": "verified", "payout_method": {**first, "iban": IBAN_DISTRO}}
    ).json()
    assert replaced["held"].startswith("Payout account changed on")
    batch = admin_api.post("/api/v1/payment-batches", {"month": "2026-10"}, format="json").json()
    assert "art-1" not in {item["payee"] for item in batch["items"]}
    assert "payout_method.replaced" in set(AuditEntry.objects.values_list("action", flat=True))
