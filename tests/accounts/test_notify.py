"""Payees get e-mail when a statement is issued and when a payment is sent or comes back,
at the verified addresses of the logins that see them, through a real SMTP server."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

import accounts.tasks  # noqa: F401 - registers the mail tasks, as a worker's start does
from artists.models import ApiClient, PortalAccount
from kalipxo.celery import app
from payouts.models import PayeeResult
from tests.mail import Inbox
from tests.payments.world import IBAN_ART_1, month_data, pay_month, verify
from tests.payouts.months import catalog_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_process_tasks() -> Iterator[None]:
    """The mail tasks run at once, as on the embedded default (no worker in these tests)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def member(username: str, email: str, *, verified: bool = True, **scope: Any) -> None:
    user = get_user_model().objects.create_user(username, email=email, password="x-long-Passphrase-1")
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    PortalAccount.objects.create(user=user, **scope)


@pytest.fixture
def october(distributor_api: APIClient, in_process_tasks: None, smtp: Inbox, commits: Any) -> int:
    assert distributor_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    member("one", "one@band.example", artist_id="art-1")
    member("manager", "manager@band.example", artist_id="art-1", role="viewer")
    member("unconfirmed", "who@knows.example", verified=False, artist_id="art-1")
    month_data(
        "2026-10", [("L1", "QZKPX2600001", 7), ("L2", "QZKPX2600003", 5)], {"L1": "9.99", "L2": "14.99"}
    )
    with commits(execute=True):  # mail goes once the finalize has committed
        return pay_month(date(2026, 10, 1))


def test_finalizing_mails_each_payee_its_statement(october: int, smtp: Inbox) -> None:
    amount = PayeeResult.objects.get(run_id=october, payee="art-1").amount_minor
    for address in ("one@band.example", "manager@band.example"):
        (mail,) = smtp.to(address)
        assert str(mail["Subject"]) == "Kalipxo: your statement for 2026-10"
        body = smtp.body(mail)
        assert f"{amount // 100}.{amount % 100:02d} USD" in body
        assert "http://127.0.0.1:8000/dashboard/" in body
    assert smtp.to("who@knows.example") == []  # nobody confirmed that address


def test_a_sent_payment_and_a_returned_one_are_mailed(
    october: int, smtp: Inbox, admin_api: APIClient, api_as: Any, commits: Any
) -> None:
    payout = {"type": "iban", "iban": IBAN_ART_1, "holder": "Artist One"}
    assert (
        verify(
            admin_api, "art-1", {"status": "verified", "legal_name": "Artist One", "payout_method": payout}
        ).status_code
        == 200
    )
    batch = admin_api.post("/api/v1/payment-batches", {"month": "2026-10"}, format="json").json()
    smtp.clear()
    with commits(execute=True):
        approved = api_as(ApiClient.Role.ADMIN).post(f"/api/v1/payment-batches/{batch['id']}/approve")
    assert approved.status_code == 200
    item = next(i for i in batch["items"] if i["payee"] == "art-1")
    (sent,) = smtp.to("one@band.example")
    assert f"{item['amount']} USD is on its way" in str(sent["Subject"])
    assert "IBAN …3000" in smtp.body(sent) and item["reference"] in smtp.body(sent)
    smtp.clear()
    url = f"/api/v1/payment-batches/{batch['id']}/results"
    with commits(execute=True):
        paid = admin_api.post(url, [{"reference": item["reference"], "status": "paid"}], format="json")
    assert paid.status_code == 200
    assert smtp.to("one@band.example") == []  # paid: the sent mail said it all
    back = [{"reference": item["reference"], "status": "returned", "reason": "AC04 account closed"}]
    with commits(execute=True):
        assert admin_api.post(url, back, format="json").status_code == 200
    (returned,) = smtp.to("one@band.example")
    assert "came back" in str(returned["Subject"])
    assert "returned: AC04 account closed" in smtp.body(returned)
    assert "back in your balance" in smtp.body(returned)
