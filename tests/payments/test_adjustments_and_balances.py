"""Corrections of a final month as adjustments of a later one (made by one person, approved
by another, posted with that month's run), and the statement's balance block: opening, this
month, paid, closing, through two months, a payment and a carried balance."""

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from artists.models import ApiClient
from ledger import accounts
from ledger.adjustments import AdjustmentIn, AdjustmentRefused, adjustment_approve, adjustment_record
from ledger.models import Adjustment
from ledger.selectors import account_balances, unbalanced_transactions
from payments.batches import batch_approve, batch_create, results_apply, results_parse
from payouts.verify import run_verify
from tests.payments.world import IBAN_ART_1, cents, month_data, pay_month, payable, verify

pytestmark = pytest.mark.django_db
NOVEMBER = date(2026, 11, 1)


def statement(admin: APIClient, run_id: int, payee: str) -> dict[str, list[str]]:
    response: Any = admin.get(f"/api/v1/payout-runs/{run_id}/statements/{payee}.csv")
    rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    return {row[0]: row[1:] for row in rows if row}


def test_a_correction_is_an_adjustment_of_a_later_month(world: dict[str, Any], admin_api: APIClient) -> None:
    october = world["october"]
    with pytest.raises(AdjustmentRefused, match="final"):
        adjustment_record(
            data=AdjustmentIn(accounts.payable("art-1"), world["month"], 100, "late"), created_by="alice"
        )
    plus = adjustment_record(
        data=AdjustmentIn(accounts.payable("art-1"), NOVEMBER, 500, "October's plays of a track"),
        created_by="alice",
    )
    minus = adjustment_record(
        data=AdjustmentIn(accounts.payable("lbl-1"), NOVEMBER, -100, "A split corrected"), created_by="alice"
    )
    waiting = adjustment_record(
        data=AdjustmentIn(accounts.payable("art-2"), NOVEMBER, 300, "Never approved"), created_by="alice"
    )
    with pytest.raises(AdjustmentRefused, match="someone else"):
        adjustment_approve(adjustment=plus, approved_by="alice")
    for adjustment in (plus, minus):
        adjustment_approve(adjustment=adjustment, approved_by="bob")

    # October paid to art-1 before November is finalized.
    method = {"type": "iban", "iban": IBAN_ART_1, "holder": "Artist One"}
    body = {"status": "verified", "legal_name": "Artist One", "payout_method": method}
    assert verify(admin_api, "art-1", body).status_code == 200
    batch, _ = batch_create(month=world["month"], actor="alice")
    batch = batch_approve(batch=batch, actor="bob")
    paid = [{"reference": batch.payments.get().reference, "status": "paid"}]
    results_apply(batch=batch, items=results_parse(batch, paid), actor="bob")

    plays = [("L1", "QZKPX2600001", 4), ("L3", "QZKPX2600002", 2)]
    month_data("2026-11", plays, {"L1": "9.99", "L3": "4.99"})
    november = pay_month(NOVEMBER)
    assert run_verify(run_id=november).problems == []
    assert unbalanced_transactions() == []
    everything = account_balances()
    assert everything["payable:payee:art-1"] == payable(november, "art-1") + 500  # October's was paid
    assert everything["payable:payee:lbl-1"] == payable(october, "lbl-1") + payable(november, "lbl-1") - 100
    assert everything["adjustments"] == -400
    assert everything["payable:payee:art-2"] == payable(october, "art-2") + payable(november, "art-2")
    with pytest.raises(AdjustmentRefused, match="final"):
        adjustment_approve(adjustment=waiting, approved_by="bob")  # its month closed without it

    old = statement(admin_api, october, "art-1")
    assert old["Opening balance (USD)"][0] == "0.00"
    assert cents(old["Paid (USD)"][0]) == payable(october, "art-1")
    assert old["Closing balance (USD)"][0] == "0.00"
    new = statement(admin_api, november, "art-1")
    assert new["Adjustment, added (USD)"] == ["5.00", "October's plays of a track"]
    assert new["Opening balance (USD)"][0] == "0.00"
    assert cents(new["This month (USD)"][0]) == payable(november, "art-1") + 500
    label = statement(admin_api, november, "lbl-1")
    assert label["Adjustment, taken back (USD)"][0] == "1.00"
    assert cents(label["Opening balance (USD)"][0]) == payable(october, "lbl-1")  # carried, never paid
    assert cents(label["Closing balance (USD)"][0]) == everything["payable:payee:lbl-1"]


def test_the_console_records_and_approves_adjustments(world: dict[str, Any], api_as: Any) -> None:
    clients = {}
    for name in ("alice", "bob"):
        client = Client()
        client.force_login(get_user_model().objects.create_user(username=name, is_staff=True))
        clients[name] = client
    form = {"holder": "art-1", "month": "2026-12", "amount": "-2.50", "reason": "Double-counted plays"}
    assert clients["alice"].post("/console/payments/adjustments", form).status_code == 302
    page = clients["alice"].get("/console/payments/").content.decode()
    assert "Double-counted plays" in page and "Waiting for another person to approve" in page
    bad = clients["alice"].post("/console/payments/adjustments", {**form, "amount": "1.005"}, follow=True)
    assert "not recorded" in bad.content.decode()
    adjustment = Adjustment.objects.get()
    assert adjustment.amount_minor == -250 and adjustment.account == "payable:payee:art-1"
    clients["alice"].post(f"/console/payments/adjustments/{adjustment.pk}/approve")
    adjustment.refresh_from_db()
    assert not adjustment.approved_by
    clients["bob"].post(f"/console/payments/adjustments/{adjustment.pk}/approve")
    adjustment.refresh_from_db()
    assert adjustment.approved_by == "bob"
    assert api_as(ApiClient.Role.ADMIN).get("/api/v1/tax-years/2026/summary.csv").status_code == 200
