"""Fixtures and helpers of the browser tests (a pytest plugin of tests/frontend/conftest.py):
one headless Chromium per session, a page that fails its test on console errors, a small
demo with its logins, and reading the JSON API with the page's session."""

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, ConsoleMessage, Page

from artists.models import PortalAccount
from demo.load import demo_data_load
from streams.live import dispatch
from tests.frontend.browser import CHROMIUM, DESKTOP, chromium

DEMO_PASSWORD = "kalipxo-demo"  # create_demo_logins' default


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's /usr/bin/chromium)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make meanwhile are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with chromium() as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _is_problem(message: ConsoleMessage) -> bool:
    """Console errors other than HTTP statuses (tests provoke 400s and 404s on purpose):
    CSP violations and script errors show up here."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop-sized page; the test fails if the page logged errors."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if _is_problem(m) else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.set_default_timeout(20_000)
    yield tab
    context.close()
    assert not problems, problems


@pytest.fixture
def demo(request: pytest.FixtureRequest, transactional_db: None) -> dict[str, Any]:
    """A small demo (last month and this month so far) with the "admin" and "artist" logins;
    with Redis, a real worker too."""
    if dispatch.live_enabled():
        request.getfixturevalue("celery_worker_process")
    summary = demo_data_load(listeners=150, streams=2_500, artists=20)
    call_command("create_demo_logins", stdout=open(os.devnull, "w"))  # noqa: SIM115
    artist = PortalAccount.objects.get(user__username="artist").artist
    return {"month": summary.month, "live_month": summary.live_month, "artist": artist}


def api_get(page: Page, path: str) -> Any:
    """GET the JSON API with the page's session."""
    response = page.request.get(path)
    assert response.ok, (path, response.status, response.text())
    return response.json()


def money(value: str) -> str:
    return f"${Decimal(value):,}"
