"""Sign-up, e-mail verification, logging in with the e-mail, password reset and e-mail
change, through the pages and a real SMTP server."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.helpers import link_in
from tests.mail import Inbox

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Passphrase-42"


def sign_up(client: Client, *, email: str = "mira@example.com", username: str = "mira") -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_sign_up_sends_a_verification_mail_and_verifying_logs_in(client: Client, smtp: Inbox) -> None:
    sign_up(client)
    assert not EmailAddress.objects.get(email="mira@example.com").verified
    assert client.get("/dashboard/").status_code == 302  # not logged in yet
    assert client.get("/dashboard/")["Location"].startswith("/login/")
    (mail,) = smtp.to("mira@example.com")
    assert "Kalipxo" in str(mail["Subject"])
    confirm = link_in(smtp, "mira@example.com", containing="/accounts/confirm-email/")
    assert client.get(confirm).status_code == 200
    response = client.post(confirm, follow=True)
    assert EmailAddress.objects.get(email="mira@example.com").verified
    assert response.redirect_chain[-1][0] == "/account/claim/"  # logged in, no artist yet
    assert "Claim your artist profile" in response.content.decode()


def test_an_unverified_account_cannot_log_in(client: Client, smtp: Inbox) -> None:
    sign_up(client)
    fresh = Client()
    # An address not verified yet is no login name; the username is, and is told to verify.
    assert fresh.post("/login/", {"username": "mira@example.com", "password": PASSWORD}).status_code == 200
    response = fresh.post("/login/", {"username": "mira", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/confirm-email/"
    assert "Verify your e-mail" in response.content.decode() or "verify" in response.content.decode().lower()
    assert fresh.get("/dashboard/")["Location"].startswith("/login/")


def test_a_verified_account_logs_in_with_its_e_mail_or_its_username(client: Client, smtp: Inbox) -> None:
    sign_up(client)
    client.post(link_in(smtp, "mira@example.com", containing="/accounts/confirm-email/"))
    for typed in ("mira@example.com", "MIRA@example.com", "mira"):
        fresh = Client()
        response = fresh.post("/login/", {"username": typed, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/dashboard/", typed
    assert Client().post("/login/", {"username": "mira@example.com", "password": "wrong"}).status_code == 200


def test_the_same_e_mail_cannot_sign_up_twice(client: Client, smtp: Inbox) -> None:
    sign_up(client)
    response = Client().post(
        "/accounts/signup/",
        {"email": "Mira@Example.com", "username": "other", "password1": PASSWORD, "password2": PASSWORD},
    )
    # allauth does not tell a stranger that the address has an account: it mails the owner.
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="other").count() == 0


def test_password_reset_by_mail(client: Client, smtp: Inbox) -> None:
    sign_up(client)
    client.post(link_in(smtp, "mira@example.com", containing="/accounts/confirm-email/"))
    anonymous = Client()
    response = anonymous.post("/accounts/password/reset/", {"email": "mira@example.com"})
    assert response.status_code == 302
    reset = link_in(smtp, "mira@example.com", containing="/accounts/password/reset/key/")
    form_page = anonymous.get(reset, follow=True)
    assert form_page.status_code == 200
    response = anonymous.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset,
        {"password1": "another-Passphrase-77", "password2": "another-Passphrase-77"},
    )
    assert response.status_code == 302
    assert (
        Client().post("/login/", {"username": "mira", "password": "another-Passphrase-77"}).status_code == 302
    )
    assert Client().post("/login/", {"username": "mira", "password": PASSWORD}).status_code == 200


def test_a_new_e_mail_address_is_verified_before_it_counts(client: Client, smtp: Inbox) -> None:
    sign_up(client)
    client.post(link_in(smtp, "mira@example.com", containing="/accounts/confirm-email/"))
    response = client.post("/accounts/email/", {"action_add": "", "email": "mira@band.example"})
    assert response.status_code == 302
    assert not EmailAddress.objects.get(email="mira@band.example").verified
    client.post(link_in(smtp, "mira@band.example", containing="/accounts/confirm-email/"))
    assert EmailAddress.objects.get(email="mira@band.example").verified


def test_logins_an_admin_made_need_no_e_mail(client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    django_user_model.objects.create_user("made-by-admin", password=PASSWORD)
    assert client.post("/login/", {"username": "made-by-admin", "password": PASSWORD}).status_code == 302


def test_the_pages_run_under_the_policy_and_link_each_other(client: Client) -> None:
    login = client.get("/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in login and 'href="/accounts/signup/"' in login
    for path in ("/accounts/signup/", "/accounts/password/reset/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert 'class="card account-card"' in response.content.decode()
