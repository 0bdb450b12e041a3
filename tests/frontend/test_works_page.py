"""A writer's or publisher's login sees its works: this month's estimate of them (which adds
up from the rows shown), its finalized months and statements; nobody else's."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from artists.models import Payee, PortalAccount
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from tests.frontend.test_pages import assert_strict_page
from tests.payouts.test_publishing_api import T1, T2, _month, december_so_far

pytestmark = pytest.mark.django_db


def _login(payee: str | None = None, artist: str | None = None) -> Client:
    user = get_user_model().objects.create_user(username=f"u-{payee or artist}", password="x")
    PortalAccount.objects.create(user=user, payee_id=payee, artist_id=artist)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def month(settings: Any, distributor_api: APIClient, billing_api: APIClient, ingest_api: APIClient) -> None:
    """October finalized (see tests.payouts.test_publishing_api: wri-1 gets 1.05), and
    December so far: L1 (net 10.00) plays T1 three times and T2 once, from the database."""
    settings.PUBLISHING_RATES = {2026: Decimal("0.153")}
    settings.LIVE_REDIS_URL = ""
    _month(distributor_api, billing_api, ingest_api)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    payout_run_finalize(run_id=payout_run_drive(run_id=run.pk).pk, finalized_by="t")
    december_so_far(billing_api, ingest_api)


@pytest.mark.usefixtures("month")
def test_a_writer_sees_its_works_estimate_and_statements() -> None:
    client = _login(payee="wri-1")
    assert client.get("/dashboard/")["Location"] == "/works/wri-1/"
    page = client.get("/works/wri-1/")
    assert_strict_page(page)
    data = page.context["data"]
    # wri-1 writes half of wrk-1: (6.375 × 1 + 2.125 × 0.5) × 0.5 × 0.153 / 0.85 = 0.669375.
    assert data["estimate"] == "0.67"
    (work,) = data["works"]
    assert (work["id"], work["share"], work["amount"]) == ("wrk-1", "50%", "0.67")
    assert [(r["isrc"], r["link"], r["streams"], r["amount"]) for r in work["recordings"]] == [
        (T1, "100%", 3, "0.57"), (T2, "50%", 1, "0.10"),  # 0.57375 and 0.095625
    ]  # fmt: skip
    (october,) = data["finals"]
    assert (october["month"], october["publishing"], october["recording"]) == ("2026-10", "1.05", "0.00")
    text = " ".join(page.content.decode().split())
    assert "Song One" in text and "ISWC T-034.524.680-1" in text and "$0.67" in text
    statement = client.get(october["statement_url"])
    assert statement.status_code == 200
    assert "Publishing lines (musical works)" in b"".join(statement.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.mark.usefixtures("month")
def test_nobody_else_sees_a_writers_page() -> None:
    Payee.objects.create(id="wri-9", kind="writer", name="Another")
    other = _login(payee="wri-9")
    assert other.get("/works/wri-1/").status_code == 404
    assert other.get("/api/v1/payout-runs/1/statements/wri-1.csv").status_code == 404
    assert _login(artist="art-2").get("/works/wri-1/").status_code == 404
    assert Client().get("/works/wri-1/").status_code == 302  # to the login
