"""The pages in a real browser (headless Chromium) against a live server.

With REDIS_URL and PostgreSQL set, the flows that need background work get a real Celery
worker; without them the same flows run with tasks in-process on SQLite.
"""

import calendar
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from artists.models import ApiClient, Artist, Track
from artists.tokens import api_client_create
from payouts.models import PayoutRun
from tests.frontend.browser import (
    CANVAS_DRAWN,
    DESKTOP,
    NARROW,
    PHONE,
    axe_violations,
    log_in,
    sideways_scroll,
    wait_for_charts,
)
from tests.frontend.browser_fixtures import DEMO_PASSWORD, api_get, money

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# ---------------------------------------------------------------------------- artist


def test_artist_logs_in_and_the_dashboard_matches_the_api(page: Page, live_server: Any, demo: dict) -> None:
    log_in(page, live_server.url, "artist", DEMO_PASSWORD)
    artist: Artist = demo["artist"]
    expect(page).to_have_url(f"{live_server.url}/dashboard/{artist.id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(artist.name)
    expect(page.locator(".badge.estimate").first).to_contain_text("Estimate")

    wait_for_charts(page, "history-chart", "daily-chart", "fans-chart")
    api = api_get(page, f"{live_server.url}/api/v1/artists/{artist.id}/earnings")
    expect(page.locator("#est-amount")).to_have_text(money(api["amount"]))
    expect(page.locator("#est-streams")).to_have_text(f"{api['streams']:,}")
    expect(page.locator("#est-listeners")).to_have_text(f"{api['listeners']:,}")
    expect(page.locator("#est-per-stream")).to_have_text(money(api["per_stream"]))
    expect(page.locator("#cmp-pr")).to_have_text(money(api["pro_rata_amount"]))

    fans = api_get(page, f"{live_server.url}/api/v1/artists/{artist.id}/fans?limit=10")
    rows = page.locator("#fans-table tbody tr")
    expect(rows).to_have_count(len(fans))
    expect(rows.first.locator("th")).to_have_text(fans[0]["fan"])
    expect(rows.first.locator("td").nth(1)).to_have_text(money(fans[0]["amount"]))
    assert page.locator("#tracks-table tbody tr").count() >= 1


def test_charts_draw_something(page: Page, live_server: Any, demo: dict) -> None:
    log_in(page, live_server.url, "artist", DEMO_PASSWORD)
    for canvas in ("history-chart", "daily-chart", "fans-chart"):
        page.wait_for_function(CANVAS_DRAWN, arg=canvas)
        box = page.locator(f"#{canvas}").bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 100


def test_events_posted_through_the_api_move_the_estimate_on_an_open_page(
    page: Page, live_server: Any, demo: dict
) -> None:
    log_in(page, live_server.url, "artist", DEMO_PASSWORD)
    artist: Artist = demo["artist"]
    amount = page.locator("#est-amount")
    streams = page.locator("#est-streams")
    before_amount, before_streams = amount.inner_text(), streams.inner_text()

    _, token = api_client_create(name=f"player-{uuid.uuid4().hex[:6]}", role=ApiClient.Role.INGEST)
    isrc = Track.objects.filter(artist=artist).values_list("isrc", flat=True).first()
    now = datetime.now(UTC)
    listener = f"L-new-{uuid.uuid4().hex[:6]}"
    events = [
        {"event_id": str(uuid.uuid4()), "listener": listener, "isrc": isrc,
         "started_at": (now - timedelta(minutes=2, seconds=i)).isoformat(), "duration_ms": 200_000,
         "country": "US", "tier": "premium"}
        for i in range(5)
    ]  # fmt: skip
    response = httpx.post(
        f"{live_server.url}/api/v1/streams", json=events, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 5

    # A new premium listener whose every play is this artist's: the pool goes to the artist.
    expect(streams).not_to_have_text(before_streams, timeout=30_000)
    expect(amount).not_to_have_text(before_amount)
    expected = int(before_streams.replace(",", "")) + 5
    expect(streams).to_have_text(f"{expected:,}")


def test_an_artist_cannot_see_another_artists_dashboard(page: Page, live_server: Any, demo: dict) -> None:
    log_in(page, live_server.url, "artist", DEMO_PASSWORD)
    other = Artist.objects.exclude(pk=demo["artist"].pk).first()
    assert other is not None
    response = page.goto(f"{live_server.url}/dashboard/{other.id}/")
    assert response is not None and response.status == 404


def test_login_works_with_the_keyboard_alone(page: Page, live_server: Any, demo: dict) -> None:
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("document.activeElement.id") == "id_username"  # autofocus
    page.keyboard.type("artist")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/dashboard/**")
    # The first Tab on a page reaches the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_fit_a_phone_screen(browser: Browser, live_server: Any, demo: dict) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        log_in(phone, live_server.url, "artist", DEMO_PASSWORD)
        for path in ("/", "/calculator/", f"/dashboard/{demo['artist'].id}/"):
            phone.goto(f"{live_server.url}{path}")
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    finally:
        context.close()


# ---------------------------------------------------------------------------- payout console


def cents(value: str) -> int:
    return int(Decimal(value) * 100)


def test_admin_runs_a_payout_end_to_end_through_the_console(
    page: Page, browser: Browser, live_server: Any, demo: dict
) -> None:
    month = f"{demo['month']:%Y-%m}"
    log_in(page, live_server.url, "admin", DEMO_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/console/")
    page.get_by_label("Month", exact=True).fill(month)
    page.get_by_role("button", name="Start the payout run").click()
    page.wait_for_url(re.compile(r".*/console/runs/\d+/$"))
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    status = page.locator("#run-status")

    # Screening holds the demo's bot and the listeners of its shared device.
    expect(status).to_have_attribute("data-status", "review", timeout=120_000)
    cards = page.locator("#holds-list .hold")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    wait_for_charts(page, cards.first.locator("canvas").get_attribute("id") or "")
    expect(cards.first.locator(".hold-tracks tbody tr").first).to_be_visible()
    assert page.get_by_role("button", name="Finalize").is_disabled()

    bot = page.locator('#holds-list .hold[data-rules~="streams_per_day"]')
    expect(bot).to_have_count(1)
    bot.get_by_role("button", name=re.compile("^Reject")).click()
    page.get_by_role("button", name=re.compile("^Yes, reject")).click()  # reject asks first
    expect(page.locator("#decided-table tbody tr")).to_have_count(1)
    while page.locator("#holds-list .hold-release:not([disabled])").count():
        before = page.locator("#decided-table tbody tr").count()
        page.locator("#holds-list .hold-release:not([disabled])").first.click()
        expect(page.locator("#decided-table tbody tr")).to_have_count(before + 1)
    expect(page.locator("#decided-table .badge.reject")).to_have_count(1)

    # The last decision lets the run compute by itself.
    expect(status).to_have_attribute("data-status", "computed", timeout=120_000)
    run = api_get(page, f"{live_server.url}/api/v1/payout-runs/{run_id}")
    totals = run["totals"]
    assert cents(totals["allocated"]) + cents(totals["suspense"]) + cents(totals["retained"]) == cents(
        totals["pools"]
    )
    expect(page.locator("#t-pools")).to_have_text(money(totals["pools"]))
    expect(page.locator("#t-allocated")).to_have_text(money(totals["allocated"]))
    expect(page.locator("#comparison-table tbody tr").first).to_be_visible()

    # Finalizing asks first; cancelling changes nothing.
    finalize = page.get_by_role("button", name=re.compile("^Finalize"))
    finalize.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(status).to_have_attribute("data-status", "computed")
    finalize.click()
    page.get_by_role("button", name="Yes, finalize").click()
    expect(status).to_have_attribute("data-status", "finalized", timeout=60_000)
    expect(page.locator("#run-progress")).to_have_attribute("value", "1")

    csv = page.request.get(live_server.url + (page.locator("#csv-link").get_attribute("href") or ""))
    assert csv.ok
    header = csv.text().splitlines()[0].split(",")
    assert header[:5] == ["payee", "kind", "name", "streams", "amount"]
    page.goto(f"{live_server.url}/console/")
    expect(page.locator("#runs-table tbody tr").first).to_contain_text("Finalized")

    # The artist now sees the month as final, with a statement to download.
    context = browser.new_context(viewport=DESKTOP)
    artist_page = context.new_page()
    try:
        log_in(artist_page, live_server.url, "artist", DEMO_PASSWORD)
        row = artist_page.locator("#payouts-table tbody tr").first
        expect(row).to_contain_text(calendar.month_name[demo["month"].month])
        statement = artist_page.request.get(
            live_server.url + (row.get_by_role("link").get_attribute("href") or "")
        )
        assert statement.ok
        expect(artist_page.locator("#settlement .chain li.total")).to_be_visible()
        wait_for_charts(artist_page, "history-chart")
    finally:
        context.close()


def test_admin_starts_a_failed_runs_month_again_from_its_page(
    page: Page, live_server: Any, demo: dict
) -> None:
    failed = PayoutRun.objects.create(
        month=demo["month"],
        policy={"minor_exponent": 2},
        status="failed",
        failure_reason="OperationalError: gone",
    )
    log_in(page, live_server.url, "admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/console/runs/{failed.pk}/")
    expect(page.locator("#run-status")).to_have_attribute("data-status", "failed")
    expect(page.locator("#failure-reason")).to_have_text("OperationalError: gone")

    page.get_by_role("button", name=f"Start {demo['month']:%Y-%m} again").click()

    page.wait_for_url(lambda url: not url.endswith(f"/console/runs/{failed.pk}/"))
    again = PayoutRun.objects.exclude(pk=failed.pk).get()
    assert page.url.endswith(f"/console/runs/{again.pk}/")
    assert again.month == demo["month"]
    expect(page.locator("#run-status")).not_to_have_attribute("data-status", "failed")
    expect(page.locator("#failed")).to_be_hidden()


# ---------------------------------------------------------------------------- public calculator


def test_calculator_shows_the_seed_examples(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/calculator/")
    # Seed 000: $14.99, 1,000 plays by the listener, 50 of them the artist's.
    expect(page.locator("#uc-payout")).to_have_text("$0.64")
    expect(page.locator("#uc-rate")).to_have_text("$0.0127")
    wait_for_charts(page, "listener-chart", "curve-chart")
    # Seed 003: 2.21 billion plays at the default settings.
    page.get_by_label("Your plays this month").fill("2210000000")
    expect(page.locator("#pg-payout")).to_have_text("$808,882.50")
    expect(page.locator("#pg-crossover")).to_have_text("30,893,281")


def test_calculator_names_a_bad_parameter_next_to_its_input(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/calculator/")
    expect(page.locator("#uc-payout")).to_have_text("$0.64")
    page.get_by_label("Of those, plays of your music").fill("5000")
    error = page.locator("#artist_streams-error")
    expect(error).to_contain_text("at most 1,000")  # in words, not the API's parameter name
    expect(error).not_to_contain_text("listener_streams")
    expect(page.get_by_label("Of those, plays of your music")).to_have_attribute("aria-invalid", "true")


def test_the_landing_page_fits_360_px_and_axe_finds_nothing(browser: Browser, live_server: Any) -> None:
    context = browser.new_context(viewport=NARROW)
    try:
        tab = context.new_page()
        tab.goto(f"{live_server.url}/")
        assert sideways_scroll(tab) == 0
        assert axe_violations(tab) == []
    finally:
        context.close()
