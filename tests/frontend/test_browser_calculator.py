"""The public calculator, the landing page's worked example and the 404 page, in a real
browser against a live server: what a visitor reads, checked against the API."""

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from payouts.maths import artist_centric, threshold
from tests.frontend.browser import NARROW, axe_violations, sideways_scroll, wait_for_charts
from tests.frontend.browser_fixtures import api_get, money

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PARAMETER_NAMES = re.compile(r"[a-z]+_[a-z_]+|[a-z_]+=")  # listener_streams, price=14.99


def calculator(page: Page, live_server: Any) -> Page:
    page.goto(f"{live_server.url}/calculator/")
    expect(page.locator("#uc-payout")).to_have_text("$0.64")
    expect(page.locator("#pg-payout")).not_to_have_text("–")
    return page


def user_centric(page: Page, live_server: Any, price: str, listener: int, artist: int) -> dict[str, str]:
    return api_get(  # type: ignore[no-any-return]
        page,
        f"{live_server.url}/api/v1/calculator?model=user_centric&price={price}"
        f"&listener_streams={listener}&artist_streams={artist}",
    )


# ---------------------------------------------------------------------------- decimal commas


def test_a_decimal_comma_is_read_as_the_decimal_point_and_said_so(page: Page, live_server: Any) -> None:
    calculator(page, live_server)
    page.get_by_label("Monthly price, after tax and payment fees").fill("9,99")
    page.get_by_label("Plays by that listener this month").fill("1,000")
    api = user_centric(page, live_server, "9.99", 1000, 50)
    expect(page.locator("#uc-payout")).to_have_text(money(api["payout"]))
    assert api["payout"] == "0.42"  # not the 999.00 of a comma dropped: 9.99 × 0.85 × 50/1000
    expect(page.locator("#price-read")).to_have_text("Read as 9.99.")
    expect(page.locator("#listener-sentence")).to_contain_text("own $9.99")
    # A grouping comma in a count is a thousands separator, and is not remarked upon.
    expect(page.locator("#listener-sentence")).to_contain_text("among the 1,000 plays")
    expect(page.get_by_label("Monthly price, after tax and payment fees")).not_to_have_attribute(
        "aria-invalid", "true"
    )


def test_a_number_that_cannot_be_read_is_refused_in_words(page: Page, live_server: Any) -> None:
    calculator(page, live_server)
    page.get_by_label("Monthly price, after tax and payment fees").fill("14,9,9")
    error = page.locator("#price-error")
    expect(error).to_contain_text("is not an amount; write it like 14.99 or 14,99")
    page.get_by_label("Plays by that listener this month").fill("1,5")
    expect(page.locator("#listener_streams-error")).to_have_text("Plays are counted in whole numbers.")


# ---------------------------------------------------------------------------- errors


def test_the_field_at_fault_is_marked_in_words_and_the_old_result_greyed(
    page: Page, live_server: Any
) -> None:
    calculator(page, live_server)
    results = page.locator("#listener-results")
    expect(results).not_to_have_class(re.compile(r"\bstale\b"))
    listener = page.get_by_label("Plays by that listener this month")
    artist = page.get_by_label("Of those, plays of your music")

    # Fewer listener plays than the artist's 50: the field just changed is at fault.
    listener.fill("20")
    expect(listener).to_have_attribute("aria-invalid", "true")
    message = page.locator("#listener_streams-error")
    expect(message).to_have_text("The listener's plays include your 50, so at least 50.")
    expect(artist).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#artist_streams-error")).to_have_text("")
    # The figures of the last good numbers stay, greyed, and the notice says so in words.
    expect(results).to_have_class(re.compile(r"\bstale\b"))
    notice = page.locator("#listener-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(
        "Check the listener's plays. The results below are for your previous numbers."
    )
    expect(page.locator("#uc-payout")).to_have_text("$0.64")
    opacity = page.locator("#listener-chart").evaluate("c => getComputedStyle(c).opacity")
    assert float(opacity) < 0.5
    colour = page.locator("#uc-payout").evaluate("d => getComputedStyle(d).color")
    assert colour == "rgb(81, 74, 102)"  # the muted ink, not the figures' usual one

    # Now the artist's plays are changed past the listener's: that field is the one marked.
    listener.fill("1000")
    expect(results).not_to_have_class(re.compile(r"\bstale\b"))
    artist.fill("5000")
    expect(artist).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#artist_streams-error")).to_have_text(
        "Your plays are part of the listener's, so at most 1,000."
    )
    expect(listener).not_to_have_attribute("aria-invalid", "true")

    # Fixed: fresh figures that agree with the API, nothing marked or greyed.
    artist.fill("100")
    api = user_centric(page, live_server, "14.99", 1000, 100)
    expect(page.locator("#uc-payout")).to_have_text(money(api["payout"]))
    expect(results).not_to_have_class(re.compile(r"\bstale\b"))
    expect(notice).to_be_hidden()
    expect(artist).not_to_have_attribute("aria-invalid", "true")


def test_errors_from_the_server_are_worded_for_the_field(page: Page, live_server: Any) -> None:
    calculator(page, live_server)
    price = page.get_by_label("Monthly price, after tax and payment fees")
    price.fill("")
    expect(page.locator("#price-error")).to_have_text("Enter the monthly price, for example 14.99.")
    price.fill("2000000")  # over the API's limit: its message, without parameter names
    error = page.locator("#price-error")
    expect(error).to_contain_text("at most 1,000,000")
    assert not PARAMETER_NAMES.search(error.inner_text()), error.inner_text()
    expect(price).to_have_attribute("aria-invalid", "true")
    plays = page.get_by_label("Curve ends after (plays)")
    plays.fill("400000")  # before the base plays end, changed last: this field is at fault
    expect(page.locator("#curve_plays-error")).to_have_text(
        "The curve must end after the 500,000 plays paid the base value."
    )
    expect(page.get_by_label("Plays paid the base value")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#progressive-results")).to_have_class(re.compile(r"\bstale\b"))
    for box in page.locator(".field .error").all():
        assert not PARAMETER_NAMES.search(box.inner_text()), box.inner_text()


# ---------------------------------------------------------------------------- the flat-rate figure


def test_plays_worth_the_flat_rate_are_counted_among_the_visitors_plays(page: Page, live_server: Any) -> None:
    calculator(page, live_server)
    plays = page.get_by_label("Your plays this month")
    api = api_get(page, f"{live_server.url}/api/v1/calculator?model=progressive&plays=10000000")
    assert api["crossover_plays"] == 30_893_281  # beyond the 10,000,000 plays
    expect(page.locator("#pg-crossover")).to_have_text("10,000,000")
    expect(page.locator("#pg-crossover-of")).to_have_text("all of your plays")
    expect(page.locator("#progressive-sentence")).to_contain_text(
        "All 10,000,000 of your plays are worth at least the flat rate of $0.0040 a play; "
        "plays would be worth less only after the first 30,893,281."
    )
    plays.fill("40000000")
    expect(page.locator("#pg-crossover")).to_have_text("30,893,281")
    expect(page.locator("#pg-crossover-of")).to_have_text("of your 40,000,000")
    expect(page.locator("#progressive-sentence")).to_contain_text(
        "The first 30,893,281 of your 40,000,000 plays are worth at least the flat rate of $0.0040 "
        "a play; the other 9,106,719 are worth less."
    )
    page.get_by_label("Compare with a flat rate of").fill("0.01")  # above the base value
    expect(page.locator("#pg-crossover")).to_have_text("0")
    expect(page.locator("#progressive-sentence")).to_contain_text("None of your 40,000,000 plays")


# ---------------------------------------------------------------------------- phones, axe


def test_the_calculator_fits_360_px_and_axe_finds_nothing(browser: Browser, live_server: Any) -> None:
    context = browser.new_context(viewport=NARROW)
    try:
        tab = context.new_page()
        calculator(tab, live_server)
        wait_for_charts(tab, "listener-chart", "curve-chart")
        assert sideways_scroll(tab) == 0
        assert axe_violations(tab) == []
        # And with an error showing and the results greyed.
        tab.get_by_label("Plays by that listener this month").fill("20")
        expect(tab.locator("#listener-results")).to_have_class(re.compile(r"\bstale\b"))
        tab.get_by_label("Your plays this month").fill("12345678901234")
        expect(tab.locator("#plays-error")).not_to_have_text("")
        assert sideways_scroll(tab) == 0
        assert axe_violations(tab) == []
    finally:
        context.close()


# ---------------------------------------------------------------------------- artist-centric, threshold


def test_the_artist_centric_and_threshold_models_agree_with_the_api_at_360_px(
    browser: Browser, live_server: Any
) -> None:
    context = browser.new_context(viewport=NARROW)
    try:
        tab = context.new_page()
        calculator(tab, live_server)
        base = f"{live_server.url}/api/v1/calculator"

        # Artist-centric: the page's defaults, then every parameter changed.
        expect(tab.locator("#ac-rule")).to_have_text(artist_centric.RULE)
        expect(tab.locator("#ac-payout")).to_have_text("$152.00")  # 20,000 × 2 × (0.9 + 0.1 × 0.5) × 0.004
        tab.get_by_label("Your streams this month").fill("1,500")
        tab.get_by_label("Your unique listeners this month").fill("400")
        tab.get_by_label("Value of one weighted stream").fill("0,005")
        tab.get_by_label("Streams to count as professional").fill("1000")
        tab.get_by_label("Listeners to count as professional").fill("300")
        tab.get_by_label("Share of your streams from listeners over 1,000 streams a month").fill("0.2")
        tab.get_by_label("Those streams' average scale").fill("0.25")
        api = api_get(
            tab,
            f"{base}?model=artist_centric&plays=1500&listeners=400&rate=0.005&min_streams=1000"
            "&min_listeners=300&capped_share=0.2&cap_factor=0.25",
        )
        assert (api["payout"], api["weighted_streams"], api["professional"]) == ("12.75", "2550.0000", True)
        expect(tab.locator("#ac-payout")).to_have_text(money(api["payout"]))
        expect(tab.locator("#ac-per-stream")).to_have_text(money(api["per_stream"]))
        expect(tab.locator("#ac-weighted")).to_have_text("2,550")
        expect(tab.locator("#ac-professional")).to_have_text("Yes: streams count double")
        expect(tab.locator("#artist-centric-sentence")).to_contain_text("the 20% from listeners over the cap")
        # More listeners than streams: the field changed last is marked, in words.
        listeners = tab.get_by_label("Your unique listeners this month")
        listeners.fill("2000")
        expect(listeners).to_have_attribute("aria-invalid", "true")
        expect(tab.locator("#ac_listeners-error")).to_have_text(
            "Every listener streamed at least once, so at most 1,500."
        )
        expect(tab.locator("#artist-centric-results")).to_have_class(re.compile(r"\bstale\b"))
        listeners.fill("200")  # under the 300 listeners' bar now
        expect(tab.locator("#ac-professional")).to_have_text("No")
        api = api_get(
            tab,
            f"{base}?model=artist_centric&plays=1500&listeners=200&rate=0.005&min_streams=1000"
            "&min_listeners=300&capped_share=0.2&cap_factor=0.25",
        )
        expect(tab.locator("#ac-payout")).to_have_text(money(api["payout"]))

        # Threshold: paid by default, then under the minimum.
        expect(tab.locator("#th-rule")).to_have_text(threshold.RULE)
        expect(tab.locator("#th-payout")).to_have_text("$3.20")  # 800 × 0.004
        expect(tab.locator("#th-paid")).to_have_text("Yes")
        tab.get_by_label("The track's streams this month").fill("400")
        tab.get_by_label("Its streams over the last 12 months, this one included").fill("900")
        tab.get_by_label("Rate per stream").fill("0.0045")
        tab.get_by_label("Streams over 12 months needed to be paid").fill("1000")
        api = api_get(
            tab, f"{base}?model=threshold&plays=400&trailing_plays=900&rate=0.0045&min_streams=1000"
        )
        assert (api["payout"], api["paid"], api["streams_short"]) == ("0.00", False, 100)
        expect(tab.locator("#th-paid")).to_have_text("No")
        expect(tab.locator("#th-payout")).to_have_text(money(api["payout"]))
        expect(tab.locator("#th-per-stream")).to_have_text(money(api["per_stream"]))
        expect(tab.locator("#th-short")).to_have_text("100")
        expect(tab.locator("#threshold-sentence")).to_have_text("Not paid this month. " + api["reason"])
        tab.get_by_label("Streams over 12 months needed to be paid").fill("900")
        api = api_get(tab, f"{base}?model=threshold&plays=400&trailing_plays=900&rate=0.0045&min_streams=900")
        expect(tab.locator("#th-payout")).to_have_text(money(api["payout"]))
        assert api["payout"] == "1.80"

        wait_for_charts(tab, "listener-chart", "curve-chart")
        assert sideways_scroll(tab) == 0
        assert axe_violations(tab) == []
        # With an error showing as well.
        tab.get_by_label("Its streams over the last 12 months, this one included").fill("10")
        expect(tab.locator("#th_trailing_plays-error")).to_have_text(
            "The 12 months include this month's 400, so at least 400."
        )
        assert sideways_scroll(tab) == 0
        assert axe_violations(tab) == []
        for box in tab.locator(".field .error").all():
            assert not PARAMETER_NAMES.search(box.inner_text()), box.inner_text()
    finally:
        context.close()


# ---------------------------------------------------------------------------- landing, 404


def test_the_worked_example_says_after_tax_and_agrees_with_the_api(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/")
    rows = {
        row.locator("th").inner_text(): row.locator("td").inner_text()
        for row in page.locator("table.worked-example tr").all()
    }
    assert rows["Subscription after tax and payment fees"] == "$14.99"
    api = user_centric(page, live_server, "14.99", 1000, 50)
    assert rows["Split over the listener's 1,000 plays"] == f"{money(api['per_stream'])} a play"
    assert rows["Your 50 plays"] == money(api["payout"])
    expect(page.locator("#example-title + p")).to_contain_text("after tax and payment fees")


def test_the_debug_404_page_is_styled_without_a_console_error(
    page: Page, live_server: Any, settings: Any
) -> None:
    settings.DEBUG = True
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("Page not found")
    # Django's own stylesheet for the page applied: its grey background, not the default white.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(238, 238, 238)"
