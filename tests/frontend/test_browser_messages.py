"""Messages with fans in a real browser (headless Chromium): an artist writes to an opted-in
fan from its top-fans list, the player platform fetches the message and replies over the API,
the artist reads the reply; a fan who did not opt in is refused with the reason and nothing is
stored; the pages fit 360 px, are axe clean and never show a listener id."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from messaging.models import Message
from streams.fans import fan_listener
from tests.conftest import ApiFactory
from tests.frontend.browser import fits_and_is_clean, log_in
from tests.frontend.browser_fixtures import DEMO_PASSWORD, api_get

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_artist_writes_to_a_fan_who_replies_through_the_player(
    page: Page, live_server: Any, demo: dict[str, Any], api_as: ApiFactory
) -> None:
    artist = demo["artist"]
    base = live_server.url
    log_in(page, base, "artist", DEMO_PASSWORD)
    fans = api_get(page, f"{base}/api/v1/artists/{artist.id}/fans?limit=10&month={demo['live_month']:%Y-%m}")
    assert len(fans) >= 2
    player = api_as("ingest")
    chosen, other = (fan_listener(artist_id=artist.id, handle=f["fan_id"]) for f in fans[-2:])
    assert chosen and other
    on = {"display_name": "Rosa P.", "shown_to_artists": True, "accepts_messages": True}
    off = {"display_name": "", "shown_to_artists": False, "accepts_messages": False}
    assert player.put(f"/api/v1/listeners/{chosen}/preferences", on, format="json").status_code == 200
    assert player.put(f"/api/v1/listeners/{other}/preferences", off, format="json").status_code == 200

    page.goto(f"{base}/dashboard/{artist.id}/")
    page.get_by_role("link", name="Write to Rosa P.").click()
    expect(page.get_by_role("heading", name=f"{artist.name} and Rosa P.")).to_be_visible()
    page.get_by_label("Your message").fill("Thank you for all the plays, Rosa!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thread")).to_contain_text("Thank you for all the plays, Rosa!")
    fits_and_is_clean(page, "a conversation")

    inbox = player.get(f"/api/v1/listeners/{chosen}/messages").json()
    mine = [m for m in inbox if m["artist"]["id"] == artist.id]
    assert mine[-1]["body"] == "Thank you for all the plays, Rosa!" and mine[-1]["from"] == "artist"
    reply = player.post(
        f"/api/v1/listeners/{chosen}/messages",
        {"artist": artist.id, "body": "You're welcome!"},
        format="json",
    )
    assert reply.status_code == 201

    page.goto(f"{base}/dashboard/{artist.id}/")
    expect(page.locator("#messages-unread")).to_be_visible()
    page.get_by_role("link", name="Messages with fans").click()
    rosa = page.locator("#conversations li", has_text="Rosa P.")
    expect(rosa).to_contain_text("1 unread")
    fits_and_is_clean(page, "the conversations")
    rosa.get_by_role("link").click()
    expect(page.locator("#thread")).to_contain_text("You're welcome!")
    page.goto(f"{base}/dashboard/{artist.id}/messages/")
    expect(page.locator("#conversations li", has_text="Rosa P.")).not_to_contain_text("unread")

    # A fan who did not opt in: the page says why, and nothing is stored.
    before = Message.objects.count()
    other_fan = next(f for f in api_get(page, f"{base}/api/v1/artists/{artist.id}/fans?limit=10") if
                     fan_listener(artist_id=artist.id, handle=f["fan_id"]) == other)  # fmt: skip
    page.goto(f"{base}/dashboard/{artist.id}/messages/{other_fan['fan_id']}/")
    page.get_by_label("Your message").fill("Hello there")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#refusal")).to_contain_text("Nothing was sent")
    assert Message.objects.count() == before
    for text in (page.content(), str(fans)):
        assert chosen not in text and other not in text  # no listener id reaches the artist
