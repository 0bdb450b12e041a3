"""The payout console, a run's page and the artist picker in a real browser (headless
Chromium): bulk hold decisions with the reject confirmation, decision changes, the model
comparison and the payee table, at 360 px and checked by axe.
"""

import csv
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from artists.models import Artist, PortalAccount
from tests.frontend.browser import NARROW, axe_violations, log_in, sideways_scroll
from tests.frontend.browser_fixtures import DEMO_PASSWORD, api_get, money

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LONG = 180_000
# What sticks out past the viewport (the deepest elements first), to say why a page scrolls.
WIDE = """() => {
  const edge = document.documentElement.clientWidth + 0.5;
  const out = (e) => e.getBoundingClientRect().right > edge;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => out(e) && !Array.from(e.children).some(out))
    .slice(0, 8)
    .map((e) => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`);
}"""


def fits_and_is_clean(page: Page, what: str) -> None:
    """At 360 px nothing scrolls sideways, and axe finds nothing."""
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(200)  # charts resize on the next frame
    assert sideways_scroll(page) == 0, (f"{what} scrolls sideways at 360 px", page.evaluate(WIDE))
    assert axe_violations(page) == [], what
    page.set_viewport_size({"width": 1280, "height": 900})


def exact_sum(values: list[str]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


def cents_money(amount: Decimal) -> str:
    """A pool as the page writes it: in cents, half away from zero (the exact one on hover)."""
    return money(str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))


def release_the_rest(page: Page) -> None:
    """Release the waiting holds one by one, each card gone before the next click."""
    cards = page.locator("#holds-list .hold")
    while (left := cards.count()) > 0:
        cards.first.locator(".hold-release").click()
        expect(cards).to_have_count(left - 1)


def start_run(page: Page, base: str, month: str) -> int:
    log_in(page, base, "admin", DEMO_PASSWORD)
    page.get_by_label("Month", exact=True).fill(month)
    page.get_by_role("button", name="Start the payout run").click()
    page.wait_for_url(re.compile(r".*/console/runs/\d+/$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_holds_are_decided_by_reason_after_a_confirmation_and_can_change_until_computing(
    page: Page, live_server: Any, demo: dict
) -> None:
    base = live_server.url
    run_id = start_run(page, base, f"{demo['month']:%Y-%m}")
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-status", "review", timeout=LONG)
    expect(status).to_have_text("Waiting for hold decisions")  # words, not the API's "review"

    holds = api_get(page, f"{base}/api/v1/payout-runs/{run_id}/holds")
    shared = [h for h in holds if "shared_device" in h["rules"]]
    assert len(shared) > 1, "the demo shares a device among more listeners than the limit"
    at_stake = exact_sum([h["pool"] for h in shared])
    streams = sum(h["streams"] for h in shared)

    row = page.locator("#bulk-table tbody tr", has_text="Reason: device shared by too many listeners")
    expect(row.locator("td").nth(0)).to_have_text(str(len(shared)))
    expect(row.locator("td").nth(1)).to_have_text(f"{streams:,}")
    expect(row.locator("td").nth(2)).to_have_text(cents_money(at_stake))
    fits_and_is_clean(page, "the run page in review")

    # Reject asks first, with what is at stake; cancelling decides nothing.
    reject = row.get_by_role("button", name=re.compile(f"^Reject {len(shared)} holds"))
    reject.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Reject {len(shared)} holds?")
    expect(dialog).to_contain_text(f"{streams:,} streams will count toward nothing")
    expect(dialog).to_contain_text(f"{cents_money(at_stake)} of pools will be retained")
    expect(dialog).to_contain_text("still waiting")  # the bot waits: not the last decision
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    after_cancel = api_get(page, f"{base}/api/v1/payout-runs/{run_id}/holds")
    assert all(h["decision"] is None for h in after_cancel)

    reject.click()
    page.get_by_role("button", name=f"Yes, reject {len(shared)} holds").click()
    expect(page.locator("#bulk-result")).to_have_text(f"Rejected {len(shared)} holds.")
    decided = page.locator("#decided-table tbody tr")
    expect(decided).to_have_count(len(shared))
    by_id = {h["id"]: h for h in api_get(page, f"{base}/api/v1/payout-runs/{run_id}/holds")}
    assert all(by_id[h["id"]]["decision"] == "reject" for h in shared)
    first = by_id[shared[0]["id"]]
    assert first["history"][0]["chosen_by"] == "by reason: shared_device"
    assert first["history"][0]["decided_by"] == "admin"
    expect(page.locator(f'#decided-table tr[data-hold="{first["id"]}"] .history')).to_contain_text(
        "Rejected by admin"
    )

    # Still in review (the bot waits): a decision can change, and the trail keeps both.
    page.locator(f'#decided-table tr[data-hold="{first["id"]}"]').get_by_role(
        "button", name=re.compile("^Change to release")
    ).click()
    row_of_first = page.locator(f'#decided-table tr[data-hold="{first["id"]}"]')
    expect(row_of_first.locator(".badge")).to_have_text("Released")
    expect(row_of_first.locator(".history")).to_contain_text("Changed to release by admin")
    changed = {h["id"]: h for h in api_get(page, f"{base}/api/v1/payout-runs/{run_id}/holds")}[first["id"]]
    assert [(r["previous"], r["decision"]) for r in changed["history"]] == [
        (None, "reject"),
        ("reject", "release"),
    ]
    fits_and_is_clean(page, "the run page with decided holds")

    # Deciding the rest lets the run compute; then nothing can change.
    release_the_rest(page)
    expect(status).to_have_attribute("data-status", re.compile("computing|computed"), timeout=LONG)
    expect(status).to_have_attribute("data-status", "computed", timeout=LONG)
    expect(page.locator("#decided-table .change-decision")).to_have_count(0)


def test_the_comparison_reconciles_and_every_payee_is_searchable(
    page: Page, live_server: Any, demo: dict, settings: Any
) -> None:
    """With the service's own publishing side (docs/rules.md §2 Publishing): the models share
    the recording pools, the publishing methods the publishing pools."""
    settings.PUBLISHING_RATES = {2026: Decimal("0.153")}  # snapshotted by the run at its start
    base = live_server.url
    run_id = start_run(page, base, f"{demo['month']:%Y-%m}")
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-status", "review", timeout=LONG)
    page.get_by_role("button", name=re.compile("^Release \\d+ holds, reason: device")).click()
    expect(page.locator("#bulk-result")).to_have_text(re.compile("^Released \\d+ holds"))
    release_the_rest(page)
    expect(status).to_have_attribute("data-status", "computed", timeout=LONG)
    expect(status).to_have_text("Computed, not final yet")
    run = api_get(page, f"{base}/api/v1/payout-runs/{run_id}")
    totals = run["totals"]
    comparison = run["comparison"]
    works = totals["publishing"]
    assert run["policy"]["publishing_rate"] == "0.153" and Decimal(works["pools"]) > 0

    def recording(name: str) -> str:  # the recording side's part of a v1 total
        return str(Decimal(totals[name]) - Decimal(works[name]))

    # Each model's row adds up to the recording pools, and its total is the API's.
    models = page.locator("#models-table tbody tr")
    expect(models).to_have_count(3)
    for key, total in (
        ("user_centric", comparison["total_user_centric"]),
        ("pro_rata", comparison["total_pro_rata"]),
        ("progressive", comparison["total_progressive"]),
    ):
        line = page.locator(f'#models-table tr[data-model="{key}"]')
        expect(line.locator(".model-allocated")).to_have_text(money(total))
        parts = [
            line.locator(f".model-{p}").inner_text()
            for p in ("allocated", "suspense", "retained", "undistributed")
        ]
        assert exact_sum([p.replace("$", "").replace(",", "") for p in parts]) == Decimal(recording("pools"))
    user_centric = page.locator('#models-table tr[data-model="user_centric"]')
    expect(user_centric.locator(".model-allocated")).to_have_text(money(recording("allocated")))
    expect(user_centric.locator(".model-suspense")).to_have_text(money(recording("suspense")))
    expect(user_centric.locator(".model-retained")).to_have_text(money(recording("retained")))
    # Beside them, the works' side by both methods, each adding up to the publishing pools;
    # the run's own method is the one in its totals.
    methods = page.locator("#publishing-table tbody tr")
    expect(methods).to_have_count(2)
    for i in range(2):
        cells = [c.replace("$", "").replace(",", "") for c in methods.nth(i).locator("td").all_inner_texts()]
        assert exact_sum(cells[:3]) == Decimal(cells[3]) == Decimal(works["pools"])
    own = page.locator('#publishing-table tr[data-method="user_centric"] td')
    expect(own.first).to_have_text(money(works["allocated"]))
    expect(page.locator('#publishing-table tr[data-method="user_centric"] th')).to_contain_text("this run")
    # The sentence on pro-rata states the difference of the two totals shown.
    difference = Decimal(comparison["total_pro_rata"]) - Decimal(comparison["total_user_centric"])
    why = page.locator("#models-why li").first
    if difference:
        word = "more" if difference > 0 else "less"
        expect(why).to_contain_text(f"Pro-rata pays {money(str(abs(difference)))} {word} than user-centric")
    else:
        expect(why).to_contain_text("Pro-rata pays payees the same")

    # Every payee, not a top 20: the total of all of them is "Allocated to payees".
    exported = page.request.get(f"{base}/api/v1/payout-runs/{run_id}/payouts.csv").text()
    payees = list(csv.DictReader(exported.splitlines()))
    expect(page.locator("#payees-total")).to_have_text(money(totals["allocated"]))
    expect(page.locator("#payees")).to_contain_text(
        f"All {len(payees):,} payees, equal to “Allocated to payees”"
    )
    fits_and_is_clean(page, "the computed run page")

    # Search by part of a name: only the matches, their total computed from their amounts.
    target = next(p for p in payees if p["kind"] == "artist")
    needle = target["name"].split()[0]
    page.get_by_label("Name or id").fill(needle)
    page.get_by_role("button", name="Search payees").click()
    expect(page.locator("#payees-count")).to_contain_text(f"match “{needle}”")
    matches = [
        p for p in payees if needle.lower() in p["name"].lower() or needle.lower() in p["payee"].lower()
    ]
    rows = page.locator("#comparison-table tbody tr")
    expect(rows).to_have_count(min(len(matches), 25))
    for i in range(rows.count()):
        assert needle.lower() in rows.nth(i).locator("th").inner_text().lower()
    expect(page.locator("#payees-matching-total")).to_have_text(
        money(str(exact_sum([p["amount"] for p in matches])))
    )
    # Statement links read as what they are: "CSV" is part of their name (axe label-content-name-mismatch).
    expect(rows.first.get_by_role("link", name=re.compile("^CSV statement of"))).to_be_visible()
    expect(page.locator("#payees")).to_contain_text(
        "Statements are issued to artists and distributors when the run is finalized"
    )
    fits_and_is_clean(page, "the payee search")

    # Sorting by streams puts the most played first.
    page.get_by_role("link", name="Streams").click()
    shown = [int(rows.nth(i).locator("td").nth(1).inner_text().replace(",", "")) for i in range(rows.count())]
    assert shown == sorted(shown, reverse=True)


def test_the_console_speaks_in_words(page: Page, live_server: Any, demo: dict) -> None:
    log_in(page, live_server.url, "admin", DEMO_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/console/")
    page.get_by_label("Month", exact=True).evaluate("(input) => input.removeAttribute('max')")
    page.get_by_label("Month", exact=True).fill("2999-03")
    page.get_by_role("button", name="Start the payout run").click()
    error = page.locator("#run-month-error")
    expect(error).to_contain_text("has not started yet")
    assert not error.inner_text().startswith("month:")
    fits_and_is_clean(page, "the console")


def test_staff_search_artists_with_this_months_estimate(page: Page, live_server: Any, demo: dict) -> None:
    log_in(page, live_server.url, "admin", DEMO_PASSWORD)
    artist: Artist = demo["artist"]
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_label("Name or id").fill(artist.id)
    page.get_by_role("button", name="Search").click()
    results = page.locator("#artist-results li")
    expect(results).to_have_count(1)
    earnings = api_get(page, f"{live_server.url}/api/v1/artists/{artist.id}/earnings")
    expect(results.first.locator(".picker-amount")).to_have_text(money(earnings["amount"]))
    expect(results.first).to_contain_text(f"{earnings['streams']:,} streams")
    fits_and_is_clean(page, "the artist picker")
    results.first.get_by_role("link", name=artist.name).click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/{artist.id}/")

    page.goto(f"{live_server.url}/dashboard/?q=no-such-artist-anywhere")
    expect(page.locator("#artist-count")).to_contain_text("No artist matches")


def test_a_distributor_sees_its_whole_catalog_first(browser: Browser, live_server: Any, demo: dict) -> None:
    artist: Artist = demo["artist"]
    distributor = artist.distributor
    user = get_user_model().objects.create_user(username="label-ops", password=DEMO_PASSWORD)
    PortalAccount.objects.create(user=user, distributor=distributor)
    context = browser.new_context()
    page = context.new_page()
    try:
        log_in(page, live_server.url, "label-ops", DEMO_PASSWORD)
        page.goto(f"{live_server.url}/dashboard/")
        mine = list(Artist.objects.filter(distributor=distributor).values_list("id", flat=True))
        estimates = [api_get(page, f"{live_server.url}/api/v1/artists/{a}/earnings") for a in mine]
        expect(page.locator("#catalog-artists")).to_have_text(f"{len(mine):,}")
        expect(page.locator("#catalog-streams")).to_have_text(f"{sum(e['streams'] for e in estimates):,}")
        expect(page.locator("#catalog-amount")).to_have_text(
            money(str(exact_sum([e["amount"] for e in estimates])))
        )
        fits_and_is_clean(page, "the distributor's picker")
    finally:
        context.close()
