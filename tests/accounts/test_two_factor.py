"""Two-factor (allauth's TOTP) for staff: a console session decides or moves no money without
it; API tokens are never asked; a login with it on gives its code after the password."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from payouts.models import PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.start import payout_run_start
from tests.accounts.helpers import totp_now
from tests.payouts.months import Month, catalog_body, store

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Passphrase-42"


@pytest.fixture
def two_factor_on(settings: Any) -> None:
    settings.STAFF_TWO_FACTOR = True


@pytest.fixture
def computed_run(admin_api: APIClient) -> PayoutRun:
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(
        Month(plays=[("L1", "QZKPX2600001", 4), ("L2", "QZKPX2600002", 2)], paid={"L1": "9.99", "L2": "4.99"})
    )
    run, _ = payout_run_start(month=datetime(2026, 10, 1, tzinfo=UTC).date(), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    return run


def staff_session(username: str = "operator") -> Client:
    get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def activate_totp(client: Client) -> str:
    """As a person does: allauth asks for the password again, then shows the secret."""
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(page["Location"], {"password": PASSWORD}).status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # the page shows it for typing into an app
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert response.status_code == 302, response.content.decode()[-3000:]
    return str(secret)


def test_a_staff_session_without_two_factor_cannot_finalize(
    two_factor_on: None, computed_run: PayoutRun
) -> None:
    client = staff_session()
    response = client.post(f"/api/v1/payout-runs/{computed_run.pk}/finalize", content_type="application/json")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]
    computed_run.refresh_from_db()
    assert computed_run.status == PayoutRun.Status.COMPUTED
    # ... nor use the console's forms that move money; reading stays open.
    page = client.post("/console/payments/batches", {"month": "2026-10"})
    assert page.status_code == 403 and "Turn on two-factor first" in page.content.decode()
    assert client.get("/console/").status_code == 200
    assert client.get(f"/api/v1/payout-runs/{computed_run.pk}").status_code == 200


def test_with_two_factor_on_the_same_staff_finalizes(two_factor_on: None, computed_run: PayoutRun) -> None:
    client = staff_session()
    activate_totp(client)
    response = client.post(f"/api/v1/payout-runs/{computed_run.pk}/finalize", content_type="application/json")
    assert response.status_code in (200, 202), response.content
    computed_run.refresh_from_db()
    assert computed_run.status == PayoutRun.Status.FINALIZED


def test_an_api_token_is_never_asked_for_a_second_factor(
    two_factor_on: None, computed_run: PayoutRun, admin_api: APIClient
) -> None:
    response = admin_api.post(f"/api/v1/payout-runs/{computed_run.pk}/finalize", format="json")
    assert response.status_code in (200, 202), response.content


def test_a_login_with_two_factor_gives_its_code_after_the_password(two_factor_on: None) -> None:
    secret = activate_totp(staff_session())
    client = Client()
    response = client.post("/login/", {"username": "operator", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/console/")["Location"].startswith("/login/")  # not logged in yet
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_the_console_says_when_two_factor_is_off(settings: Any) -> None:
    settings.STAFF_TWO_FACTOR = False
    client = staff_session()
    assert "Two-factor is off" in client.get("/console/").content.decode()
    settings.STAFF_TWO_FACTOR = True
    page = client.get("/console/").content.decode()
    assert "Two-factor is off" not in page
    assert re.search(r"Turn on two-factor", page)
    activate_totp(client)
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 1
    assert "Turn on two-factor" not in client.get("/console/").content.decode()


def test_wrong_codes_are_limited_but_the_password_step_is_not(two_factor_on: None) -> None:
    secret = activate_totp(staff_session())
    client = Client()
    client.post("/login/", {"username": "operator", "password": PASSWORD})
    for _ in range(5):
        assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    refused = client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert refused.status_code == 200 and "Too many" in refused.content.decode()
    # The password itself is never locked out by that: a new place gets to the second step.
    fresh = Client()
    response = fresh.post("/login/", {"username": "operator", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"


def test_a_session_that_passed_no_second_factor_cannot_act(
    two_factor_on: None, computed_run: PayoutRun
) -> None:
    early = staff_session()  # logged in with the password alone, before the factor existed
    activate_totp(password_session())
    response = early.post(f"/api/v1/payout-runs/{computed_run.pk}/finalize", content_type="application/json")
    assert response.status_code == 403
    computed_run.refresh_from_db()
    assert computed_run.status == PayoutRun.Status.COMPUTED


def password_session() -> Client:
    client = Client()
    assert client.post("/login/", {"username": "operator", "password": PASSWORD}).status_code == 302
    return client


def test_the_django_admin_needs_the_second_factor_too(two_factor_on: None) -> None:
    client = staff_session()
    assert client.get("/admin/").status_code == 302
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 403 and "Turn on two-factor first" in page.content.decode()
    activate_totp(client)
    assert client.get("/admin/").status_code == 200
