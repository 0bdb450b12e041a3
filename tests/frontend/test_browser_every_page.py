"""Every page of the site at 360 px, as a phone shows it: nothing scrolls sideways and axe-core
finds nothing. The pages with their own browser tests (dashboard, console, run, calculator)
check the same at their states; this file covers the rest, and each one's error states."""

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.frontend.browser import NARROW, axe_violations, log_in, sideways_scroll
from tests.frontend.browser_fixtures import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_login_password_change_and_not_found_fit_360_px_and_axe_finds_nothing(
    browser: Browser, live_server: Any, demo: dict
) -> None:
    context = browser.new_context(viewport=NARROW)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("artist")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert").or_(page.locator(".errorlist, .error")).first).to_be_visible()
        assert (sideways_scroll(page), axe_violations(page)) == (0, []), "login with an error"

        log_in(page, live_server.url, "artist", DEMO_PASSWORD)
        page.goto(f"{live_server.url}/password/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert (sideways_scroll(page), axe_violations(page)) == (0, []), "password change"
        page.get_by_role("button").last.click()  # sent empty: the form says what is missing
        assert (sideways_scroll(page), axe_violations(page)) == (0, []), "password change with errors"

        response = page.goto(f"{live_server.url}/no-such-page/")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page.get_by_role("link", name="Your dashboard")).to_be_visible()  # still logged in
        assert (sideways_scroll(page), axe_violations(page)) == (0, []), "the 404 page"
    finally:
        context.close()


def test_a_songwriters_works_fit_360_px_add_up_and_axe_finds_nothing(
    browser: Browser, live_server: Any, demo: dict, settings: Any
) -> None:
    """The demo's "writer" login lands on its works; the month's estimate is the sum of the
    works' amounts shown, and each work's the sum of its recordings'."""
    settings.PUBLISHING_RATES = {2026: Decimal("0.153")}
    settings.LIVE_REDIS_URL = ""  # the database's estimate: the demo's plays are in the database
    context = browser.new_context(viewport=NARROW)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "writer", DEMO_PASSWORD)
        assert "/works/" in page.url
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        estimate = cents(page.locator("#works-estimate").inner_text())
        works = page.locator("#works-table tr.work-row")
        assert works.count() > 0
        shown = [cents(text) for text in page.locator("#works-table .work-amount").all_inner_texts()]
        assert estimate == sum(shown) > 0
        by_work = page.evaluate(
            """() => [...document.querySelectorAll('#works-table tr.work-row')].map(row => {
                 let parts = 0, next = row.nextElementSibling;
                 while (next && !next.classList.contains('work-row')) {
                   parts += Math.round(parseFloat(next.querySelector('.recording-amount').innerText
                                                  .replace(/[^0-9.]/g, '')) * 100);
                   next = next.nextElementSibling;
                 }
                 return [Math.round(parseFloat(row.querySelector('.work-amount').innerText
                                              .replace(/[^0-9.]/g, '')) * 100), parts];
               })"""
        )
        assert all(work == parts for work, parts in by_work if parts), by_work
        assert (sideways_scroll(page), axe_violations(page)) == (0, []), "a songwriter's works"
    finally:
        context.close()


def cents(text: str) -> int:
    return round(Decimal("".join(ch for ch in text if ch.isdigit() or ch == ".")) * 100)
