"""The artist dashboard in a real browser: what a person reads on it agrees with the API,
sentences agree with the figures they speak of, and it fits a 360 px phone.

The paid-month cases reuse test_final_month's finalized month (its bot's hold rejected);
the live case uses the demo, with a real worker when Redis is set.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from artists.models import ApiClient, Artist, Track
from artists.tokens import api_client_create
from payouts.models import PayoutRun, ReviewRequest
from streams.live.estimates import fan_name
from streams.models import Listener, RevenueRecord, StreamEvent
from tests.frontend.browser import NARROW, axe_violations, log_in, sideways_scroll, wait_for_charts
from tests.frontend.browser_fixtures import DEMO_PASSWORD, api_get, money
from tests.frontend.conftest import PASSWORD
from tests.frontend.test_final_month import last_month_start, paid_month  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CENTS = re.compile(r"^−?\$[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$")


@pytest.fixture
def ada(catalog: dict[str, Any], make_user: Any) -> str:
    """Artist art-a's own login; returns its username."""
    make_user("ada", artist=catalog["artists"][0])
    return "ada"


@pytest.fixture
def final_month(catalog: dict[str, Any], request: pytest.FixtureRequest) -> PayoutRun:
    """Last month, paid: test_final_month's paid_month (the bot's hold rejected), with what
    the catalog's listeners paid recorded first, so that the month pays something and
    splits leave sub-cent shares."""
    month = last_month_start().date()
    for listener in ("LT0", "LT1", "LT2", "LT3"):
        RevenueRecord.objects.create(
            id=f"inv-{listener}", listener_id=listener, month=month, source="subscription",
            plan="premium", country="US", gross="9.99", tax="0.83", fees="0.30",
        )  # fmt: skip
    run: PayoutRun = request.getfixturevalue("paid_month")
    return run


@pytest.fixture
def narrow(browser: Browser) -> Any:
    """A 360 px wide page that fails its test on console errors (CSP violations included)."""
    context = browser.new_context(viewport=NARROW, is_mobile=True, has_touch=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield tab
    context.close()
    assert not problems, problems


def _right_edge(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"]


# ---------------------------------------------------------------------------- phone widths


def test_dashboard_landing_and_login_fit_360_px_and_axe_finds_nothing(
    narrow: Page, live_server: Any, ada: str, final_month: PayoutRun
) -> None:
    for path in ("/", "/login/"):
        narrow.goto(f"{live_server.url}{path}")
        assert sideways_scroll(narrow) == 0, path
        assert axe_violations(narrow) == [], path
    log_in(narrow, live_server.url, ada, PASSWORD)
    wait_for_charts(narrow, "history-chart", "daily-chart", "fans-chart")
    # A paid month brings the widest parts: the payouts table with its hidden link labels,
    # the held streams and the settlement chain.
    expect(narrow.locator("#payouts-table tbody tr")).to_have_count(1)
    expect(narrow.locator("#holds tbody tr")).to_have_count(1)
    assert sideways_scroll(narrow) == 0
    assert axe_violations(narrow) == []
    # Money is on screen without scrolling any table: it comes right after the row's name.
    for cell in ("#tracks-table tbody tr td:nth-child(2)", "#payouts-table tbody tr td:nth-child(2)",
                 "#fans-table tbody tr td:nth-child(3)"):  # fmt: skip
        assert _right_edge(narrow, cell) <= NARROW["width"], cell
    share = narrow.locator("#tracks-table thead th").nth(1)
    expect(share).to_have_text("Your share after splits")


def test_every_day_of_the_month_so_far_is_on_the_daily_axis(narrow: Page, live_server: Any, ada: str) -> None:
    log_in(narrow, live_server.url, ada, PASSWORD)
    wait_for_charts(narrow, "daily-chart")
    labels = narrow.evaluate(
        """() => {
          const chart = Chart.getChart(document.getElementById("daily-chart"));
          const axis = chart.options.indexAxis === "y" ? chart.scales.y : chart.scales.x;
          return axis.ticks.map(t => axis.getLabelForValue(t.value));
        }"""
    )
    today = datetime.now(UTC).day
    assert labels == [str(day) for day in range(1, today + 1)]


# ---------------------------------------------------------------------------- a paid month


def test_the_settlement_chain_is_in_cents_with_the_exact_value_on_hover(
    page: Page, live_server: Any, ada: str, final_month: PayoutRun
) -> None:
    log_in(page, live_server.url, ada, PASSWORD)
    final = api_get(page, f"{live_server.url}/api/v1/artists/art-a/earnings?month={final_month.month:%Y-%m}")
    amounts = page.locator("#settlement .chain li > .num")
    assert amounts.count() >= 2
    for index in range(amounts.count()):
        cell = amounts.nth(index)
        shown = cell.evaluate("n => n.firstChild.textContent.trim()")
        assert CENTS.match(shown) or shown == "under $0.01", shown
        assert shown != "$0.00", "a stage of nothing is left out"
        exact = cell.get_attribute("title")
        if exact is not None:  # rounded stages keep their exact value
            value = Decimal(exact.removeprefix("Exact: $").replace(",", ""))
            cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
            assert shown in (money(str(cents)), "under $0.01")
            assert value != cents
    total = page.locator("#settlement .chain li.total > .num")
    expect(total).to_have_text(money(final["payable"]))
    # What a sighted reader sees: no six-decimal dollars (the hidden text for screen
    # readers carries the exact values, as the hover does).
    seen = page.locator("#settlement").evaluate(
        """n => { const c = n.cloneNode(true);
                  c.querySelectorAll(".visually-hidden").forEach(h => h.remove());
                  return c.textContent; }"""
    )
    assert "$" in seen
    assert not re.search(r"\.[0-9]{3,}", seen), seen


def test_held_streams_show_a_pseudonym_even_for_a_fan_who_shares_a_name(
    page: Page, live_server: Any, ada: str, final_month: PayoutRun
) -> None:
    Listener.objects.filter(id="LBOT").update(display_name="Night Owl", show_to_artists=True)
    log_in(page, live_server.url, ada, PASSWORD)
    row = page.locator("#holds tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(fan_name("LBOT", "", False))
    expect(row).to_contain_text("rejected")
    expect(page.locator("body")).not_to_contain_text("Night Owl")


def test_a_review_asked_after_the_month_was_paid_says_what_really_happens(
    page: Page, live_server: Any, ada: str, final_month: PayoutRun
) -> None:
    log_in(page, live_server.url, ada, PASSWORD)
    page.get_by_label("Month", exact=True).select_option(f"{final_month.month:%Y-%m}")
    page.get_by_label("What should the reviewer know?").fill("A radio feature explains the spike.")
    page.get_by_role("button", name="Send the request").click()
    result = page.locator("#review-result")
    expect(result).to_contain_text("is already paid and will not change")
    expect(result).to_contain_text("later month")
    expect(result).not_to_contain_text("before")
    assert ReviewRequest.objects.filter(artist_id="art-a", month=final_month.month).count() == 1


# ---------------------------------------------------------------------------- live figures


def _artists_top_listener(artist: Artist, month_start: datetime) -> str:
    """The listener who gives the artist the largest part of its own plays this month."""
    isrcs = list(Track.objects.filter(artist=artist).values_list("isrc", flat=True))
    counted = StreamEvent.objects.filter(started_at__gte=month_start, duration_ms__gte=30_000)
    best, best_share = "", 0.0
    for listener in set(counted.filter(isrc__in=isrcs).values_list("listener_id", flat=True)):
        mine = counted.filter(listener_id=listener, isrc__in=isrcs).count()
        share = mine / counted.filter(listener_id=listener).count()
        if share > best_share:
            best, best_share = listener, share
    return best


def test_an_estimate_that_moves_without_new_streams_says_so_and_the_models_keep_their_snapshot(
    page: Page, live_server: Any, demo: dict
) -> None:
    artist: Artist = demo["artist"]
    log_in(page, live_server.url, "artist", DEMO_PASSWORD)
    amount, streams = page.locator("#est-amount"), page.locator("#est-streams")
    before_amount, before_streams = amount.inner_text(), streams.inner_text()
    snapshot = page.locator("#cmp-uc").inner_text()
    assert snapshot == before_amount
    expect(page.locator("#cmp-why")).to_contain_text(page.locator("#cmp-pg").inner_text())

    now = datetime.now(UTC)
    fan = _artists_top_listener(artist, now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    other = Track.objects.exclude(artist=artist).values_list("isrc", flat=True).first()
    _, token = api_client_create(name=f"player-{uuid.uuid4().hex[:6]}", role=ApiClient.Role.INGEST)
    events = [
        {"event_id": str(uuid.uuid4()), "listener": fan, "isrc": other,
         "started_at": (now - timedelta(minutes=1, seconds=i)).isoformat(), "duration_ms": 200_000,
         "country": "US", "tier": "premium"}
        for i in range(20)
    ]  # fmt: skip
    response = httpx.post(
        f"{live_server.url}/api/v1/streams", json=events, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202, response.text

    # The fan's subscription is now shared with another artist: less reaches this one.
    expect(amount).not_to_have_text(before_amount, timeout=30_000)
    api = api_get(page, f"{live_server.url}/api/v1/artists/{artist.id}/earnings")
    expect(amount).to_have_text(money(api["amount"]))
    expect(streams).to_have_text(before_streams)
    expect(page.locator("#est-moved")).to_contain_text(
        f"Moved from {before_amount} to {money(api['amount'])} while your streams stayed at {before_streams}"
    )
    # The comparison is one snapshot: its figures stay, and it says the estimate has moved.
    expect(page.locator("#cmp-uc")).to_have_text(snapshot)
    expect(page.locator("#cmp-moved")).to_contain_text(f"moved from {snapshot} to {money(api['amount'])}")
