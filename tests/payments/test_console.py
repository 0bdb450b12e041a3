"""The payments console through its forms (a staff login, CSRF on): recording a payout
account, the verification queue's decisions, a batch created by one person and approved by
another, results uploaded as a file (twice: the second changes nothing); and the artist's
dashboard card that says what happened to its money."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from artists.models import Artist, PortalAccount
from ledger.selectors import account_balances
from payments.models import AuditEntry, Payment, PaymentBatch, Verification
from tests.payments.world import IBAN_ART_1, payable

pytestmark = pytest.mark.django_db


def staff(name: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user(username=name, is_staff=True))
    return client


def record(client: Client, **fields: str) -> Any:
    form = {"holder": "art-1", "legal_name": "Artist One", "method": "iban", "iban": IBAN_ART_1,
            "account_holder": "Artist One", "paypal_email": ""}  # fmt: skip
    return client.post("/console/payments/accounts", {**form, **fields})


def test_from_a_recorded_account_to_a_paid_payment(world: dict[str, Any]) -> None:
    alice, bob = staff("alice"), staff("bob")
    bad = record(alice, iban="DE00 1234")
    assert bad.status_code == 400 and b"Not a valid IBAN" in bad.content
    assert not Verification.objects.exists()
    assert record(alice).status_code == 302
    page = alice.get("/console/payments/").content.decode()
    assert "Verification queue" in page and "Artist One" in page and "Pending" in page
    item = Verification.objects.get(payee_id="art-1")
    assert alice.post(f"/console/payments/verifications/{item.pk}", {"decision": "reject"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "pending"  # a rejection needs a reason
    alice.post(f"/console/payments/verifications/{item.pk}", {"decision": "verify"})
    item.refresh_from_db()
    assert item.status == "verified"
    assert "art-1" not in alice.get("/console/payments/").content.decode().split("Record a payout account")[0]

    alice.post("/console/payments/batches", {"month": "2026-10"})
    batch = PaymentBatch.objects.get()
    assert alice.post(f"/console/payments/batches/{batch.pk}/approve").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "created"  # not by its creator
    assert "Waiting for another person to approve" in alice.get("/console/payments/").content.decode()
    bob.post(f"/console/payments/batches/{batch.pk}/approve")
    batch.refresh_from_db()
    assert batch.status == "approved" and batch.approved_by == "bob"

    payment = Payment.objects.get(batch=batch)
    assert payment.amount_minor == payable(world["october"], "art-1")
    results = f"reference,status,reason\n{payment.reference},paid,\n".encode()
    for _ in range(2):
        upload = SimpleUploadedFile("results.csv", results, content_type="text/csv")
        assert (
            bob.post(f"/console/payments/batches/{batch.pk}/results", {"results": upload}).status_code == 302
        )
    payment.refresh_from_db()
    assert payment.status == "paid"
    assert account_balances()["cash"] == payment.amount_minor  # once, not twice
    wrong = SimpleUploadedFile("r.csv", b"KX-NOPE,paid,\n", content_type="text/csv")
    bob.post(f"/console/payments/batches/{batch.pk}/results", {"results": wrong}, follow=True)
    page = bob.get("/console/payments/").content.decode()
    assert "batch.results" in page and "payout_method.added" in page  # the audit log
    assert AuditEntry.objects.filter(action="batch.results").count() == 1

    artist = get_user_model().objects.create_user(username="ones")
    PortalAccount.objects.create(user=artist, artist=Artist.objects.get(pk="art-1"))
    fan_view = Client()
    fan_view.force_login(artist)
    card = fan_view.get("/dashboard/art-1/").content.decode()
    assert 'id="money"' in card and "Paid " in card and "IBAN …3000" in card
    assert fan_view.get("/console/payments/").status_code == 403


def test_the_console_is_for_staff_only(world: dict[str, Any], client: Client) -> None:
    assert client.get("/console/payments/").status_code == 302  # to the login page
    assert client.post("/console/payments/batches", {"month": "2026-10"}).status_code == 302
    assert not PaymentBatch.objects.exists()


def test_the_django_admin_shows_payments_read_only(world: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(
        get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-not-secret-123")
    )
    for model in ("verification", "paymentbatch", "payment", "auditentry", "sanctionslist"):
        assert boss.get(f"/admin/payments/{model}/").status_code == 200, model
        assert boss.get(f"/admin/payments/{model}/add/").status_code == 403, model


PAIN002 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
  <GrpHdr><MsgId>BANK-1</MsgId><CreDtTm>2026-12-03T09:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>x</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId></OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>p</OrgnlPmtInfId>
    <TxInfAndSts><OrgnlEndToEndId>{paid}</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
    <TxInfAndSts><OrgnlEndToEndId>{failed}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
      <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account closed</AddtlInf></StsRsnInf></TxInfAndSts>
  </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"""


def test_the_banks_own_status_report_is_read(world: dict[str, Any], admin_api: Any) -> None:
    alice, bob = staff("alice"), staff("bob")
    record(alice)
    record(
        alice,
        holder="lbl-1",
        legal_name="Label One",
        account_holder="Label One",
        iban="GB29NWBK60161331926819",
    )
    for item in Verification.objects.all():
        alice.post(f"/console/payments/verifications/{item.pk}", {"decision": "verify"})
    alice.post("/console/payments/batches", {"month": "2026-10"})
    batch = PaymentBatch.objects.get()
    bob.post(f"/console/payments/batches/{batch.pk}/approve")
    refs = {p.payee_id: p.reference for p in Payment.objects.filter(batch=batch)}
    report = PAIN002.format(paid=refs["art-1"], failed=refs["lbl-1"]).encode()
    upload = SimpleUploadedFile("pain002.xml", report, content_type="application/xml")
    bob.post(f"/console/payments/batches/{batch.pk}/results", {"results": upload})
    statuses = {p.payee_id: (p.status, p.reason) for p in Payment.objects.filter(batch=batch)}
    assert statuses == {"art-1": ("paid", ""), "lbl-1": ("failed", "AC04 Account closed")}
    junk = SimpleUploadedFile("x.xml", b"<html></html>", content_type="application/xml")
    page = bob.post(f"/console/payments/batches/{batch.pk}/results", {"results": junk}, follow=True)
    assert "Not a pain.002" in page.content.decode()
