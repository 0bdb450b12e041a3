"""The verification queue and a payee's payment status in a real browser (headless Chromium):
what a reviewer reads and does, what an artist reads about its money, at 360 px, axe clean."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from artists.models import Artist, PortalAccount
from artists.payees import payee_row
from kalipxo.money import format_minor
from payments.batches import batch_approve, batch_create, results_apply, results_parse
from payments.models import Method, Verification
from payments.verification import MethodIn, VerificationIn, verification_record
from tests.frontend.browser import fits_and_is_clean, log_in
from tests.frontend.browser_fixtures import money
from tests.payments.world import IBAN_ART_1, IBAN_DISTRO, payable

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-42"


def record(payee_id: str, status: str, legal: str, method: MethodIn) -> Verification:
    payee = payee_row(payee_id)
    assert payee is not None
    return verification_record(holder=payee, data=VerificationIn(status, legal, method, ""), actor="ops")


def test_a_reviewer_works_the_verification_queue(page: Page, live_server: Any, world: dict[str, Any]) -> None:
    get_user_model().objects.create_user(username="rev", password=PASSWORD, is_staff=True)
    record(
        "art-1",
        "pending",
        "Artist One",
        MethodIn(Method.IBAN, iban=IBAN_ART_1.replace(" ", ""), holder="Artist One"),
    )
    record(
        "art-3", "verified", "Boris Ivanov", MethodIn(Method.IBAN, iban=IBAN_DISTRO, holder="Boris Ivanov")
    )
    log_in(page, live_server.url, "rev", PASSWORD)
    page.goto(f"{live_server.url}/console/payments/")
    items = page.locator("#queue-list .queue-item")
    expect(items).to_have_count(2)
    pending = page.locator('.queue-item[data-holder="art-1"]')
    expect(pending).to_contain_text("Verification pending since")
    expect(pending).to_contain_text("IBAN …3000")
    hit = page.locator('.queue-item[data-holder="art-3"]')
    expect(hit).to_contain_text("IVANOV, Boris")  # the listed name it matched
    expect(hit.get_by_role("button", name="Clear the match and verify")).to_be_visible()
    fits_and_is_clean(page, "the payments console")

    pending.get_by_role("button", name="Verify").click()
    expect(page.locator(".messages")).to_contain_text("verified")
    expect(items).to_have_count(1)  # only the possible match waits now
    hit.get_by_role("button", name="Reject").click()  # without a reason: refused, and said why
    expect(page.locator(".messages")).to_contain_text("Say why")
    expect(items).to_have_count(1)
    assert Verification.objects.get(payee_id="art-1").status == "verified"
    expect(page.locator("#audit-table")).to_contain_text("verification.verified")


def test_an_artist_reads_what_happened_to_its_money(
    page: Page, live_server: Any, world: dict[str, Any]
) -> None:
    user = get_user_model().objects.create_user(username="one", password=PASSWORD)
    PortalAccount.objects.create(user=user, artist=Artist.objects.get(pk="art-1"))
    log_in(page, live_server.url, "one", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/art-1/")
    owed = format_minor(payable(world["october"], "art-1"), 2)
    expect(page.locator("#money-balance")).to_have_text(money(owed))
    expect(page.locator("#money-held")).to_have_text(
        "Add a payout account to get paid. Your balance stays here until then: nothing is lost."
    )

    record(
        "art-1",
        "verified",
        "Artist One",
        MethodIn(Method.IBAN, iban=IBAN_ART_1.replace(" ", ""), holder="Artist One"),
    )
    batch, _ = batch_create(month=world["month"], actor="ops")
    batch = batch_approve(batch=batch, actor="second")
    reference = batch.payments.get(payee_id="art-1").reference
    returned = [{"reference": reference, "status": "paid"}, {"reference": reference, "status": "returned",
                                                              "reason": "account closed"}]  # fmt: skip
    results_apply(batch=batch, items=results_parse(batch, returned), actor="ops")
    page.reload()
    status = page.locator("#money-payments tbody tr").first
    expect(status.locator("td").nth(0)).to_have_text(money(owed))
    expect(status.locator("td").nth(1)).to_have_text(
        "Returned by the bank: account closed. Update your payout account."
    )
    expect(page.locator("#money-balance")).to_have_text(money(owed))  # back in the balance
    api = page.request.get(f"{live_server.url}/api/v1/payees/art-1/balance").json()
    assert money(api["balance"]) == money(owed) and api["last_payment"]["status"] == "returned"
    fits_and_is_clean(page, "the dashboard with its payments")
