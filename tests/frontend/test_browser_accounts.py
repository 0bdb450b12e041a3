"""An artist's own way in, in a real browser (headless Chromium), as a new user does it:
sign up, verify the e-mail read from a real SMTP server, set up two-factor with the secret
the page shows, claim the artist with a code its distributor issued over the API, submit
who it is, and an operator approves it in the console. Every page on the way fits 360 px
and is axe clean."""

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import FilePayload, Page, expect

from artists.models import PortalAccount
from tests.accounts.helpers import link_in, totp_now
from tests.conftest import ApiFactory
from tests.factories import ArtistFactory, DistributorFactory
from tests.frontend.browser import fits_and_is_clean
from tests.mail import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-Passphrase-42"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_new_artist_signs_up_verifies_sets_up_two_factor_claims_and_is_verified(
    page: Page, live_server: Any, smtp: Inbox, api_as: ApiFactory, settings: Any, tmp_path: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    artist = ArtistFactory(id="art-new", name="Mira Vale", distributor=DistributorFactory(name="dist-a"))
    base = live_server.url

    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Create your artist account").click()
    fits_and_is_clean(page, "the sign-up page")
    page.get_by_label("Email").fill("mira@example.com")
    page.get_by_label("Username").fill("mira")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Create your artist account").click()
    expect(page.locator("main")).to_contain_text("Verify Your Email Address")
    fits_and_is_clean(page, "the check-your-e-mail page")

    page.goto(base + link_in(smtp, "mira@example.com", containing="/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Claim your artist profile")).to_be_visible()
    fits_and_is_clean(page, "the claim page")

    # Two-factor, as a person sets it up: the password again, then the app's code.
    page.goto(f"{base}/account/")
    expect(page.locator(".facts")).to_contain_text("Off")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    fits_and_is_clean(page, "the two-factor set-up page")
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("main")).to_contain_text("Recovery Codes")

    # The distributor issues a claim code over the API; the artist types it in.
    issued = api_as("distributor", distributor="dist-a").post(f"/api/v1/artists/{artist.id}/claim-codes")
    assert issued.status_code == 201
    page.goto(f"{base}/account/claim/")
    page.get_by_label("Claim code").fill(issued.json()["code"].lower())
    page.get_by_role("button", name="Claim", exact=True).click()
    page.wait_for_url(f"{base}/dashboard/{artist.id}/")
    expect(page.locator(".messages")).to_contain_text("You are now owner of Mira Vale")
    assert PortalAccount.objects.get(user__username="mira").role == "owner"

    # Who the artist is and where to pay it, with a document, for review.
    page.get_by_role("link", name="Identity and payout account").first.click()
    page.get_by_label("A person or a company").select_option("person")
    page.get_by_label("Legal name").fill("Mira Vale")
    page.get_by_label("Date of birth (a person)").fill("1994-05-17")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Postal address").fill("Torstrasse 1\n10119 Berlin")
    page.get_by_label("Identity document").set_input_files(
        files=[FilePayload(name="passport.pdf", mimeType="application/pdf", buffer=PDF)]
    )
    page.get_by_label("Payout method").select_option("iban")
    page.get_by_label("IBAN (a bank account)").fill("DE89 3704 0044 0532 0130 00")
    fits_and_is_clean(page, "the identity form")
    page.get_by_role("button", name="Send for verification").click()
    expect(page.locator("main")).to_contain_text("Waiting for review")
    fits_and_is_clean(page, "the identity page, waiting")

    # An operator approves it in the console (another browser session).
    get_user_model().objects.create_user("operator", password=PASSWORD, is_staff=True)
    staff = page.context.browser.new_page()  # type: ignore[union-attr]
    staff.goto(f"{base}/login/")
    staff.get_by_label("Username").fill("operator")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.goto(f"{base}/console/payments/")
    item = staff.locator('.queue-item[data-holder="art-new"]')
    expect(item).to_contain_text("Mira Vale")
    expect(item).to_contain_text("passport.pdf")
    item.get_by_role("button", name="Verify").click()
    expect(staff.locator(".messages")).to_contain_text("verified")
    staff.close()
    page.reload()
    expect(page.locator("main")).to_contain_text("Verified")

    # A later login asks for the second factor after the password.
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("mira@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Code")).to_be_visible()
    fits_and_is_clean(page, "the two-factor code page")
    page.get_by_label("Code").fill(totp_now(secret))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/dashboard/{artist.id}/")


def test_a_staff_login_without_two_factor_cannot_finalize(
    page: Page, live_server: Any, settings: Any
) -> None:
    settings.STAFF_TWO_FACTOR = True
    get_user_model().objects.create_user("operator", password=PASSWORD, is_staff=True)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/console/")
    expect(page.locator(".banner")).to_contain_text("Turn on two-factor to finalize")
    fits_and_is_clean(page, "the console without two-factor")
