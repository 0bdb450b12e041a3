"""Every page of the site at 360 px, as a phone shows it: nothing scrolls sideways and axe-core
finds nothing. The pages with their own browser tests (dashboard, console, run, calculator)
check the same at their states; this file covers the rest, and each one's error states."""

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
