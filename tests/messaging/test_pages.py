"""The artist's messages pages and the console's moderation queue, through the test client:
owners write (every refusal said on the page, nothing stored), viewers read, others see
nothing; staff uphold or dismiss reports; no listener id on any page."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from artists.models import PortalAccount
from messaging import selectors
from messaging.models import ArtistMessaging, Message, Report
from tests.messaging.conftest import World, fan

pytestmark = pytest.mark.django_db


def login_of(world: World, role: str | None, username: str) -> Client:
    user = get_user_model().objects.create_user(username, password="x-long-Passphrase-1")
    if role:
        PortalAccount.objects.create(user=user, artist=world.mira, role=role)
    client = Client()
    client.force_login(user)
    return client


def write(client: Client, handle: str, body: str) -> Any:
    return client.post(f"/dashboard/art-m/messages/{handle}/", {"body": body})


def test_an_owner_writes_and_reads_the_reply(world: World) -> None:
    handle = fan("L-rosa", name="Rosa", shown=True)
    owner = login_of(world, "owner", "mira")
    response = write(owner, handle, "Thank you, Rosa!")
    assert response.status_code == 302
    assert world.reply("L-rosa", "You're welcome").status_code == 201
    listing = owner.get("/dashboard/art-m/messages/").content.decode()
    assert "Rosa" in listing and "1 unread" in listing
    page = owner.get(f"/dashboard/art-m/messages/{handle}/").content.decode()
    assert "Thank you, Rosa!" in page and "You&#x27;re welcome" in page
    assert "unread" not in owner.get("/dashboard/art-m/messages/").content.decode()
    for text in (listing, page, owner.get("/dashboard/art-m/").content.decode()):
        assert "L-rosa" not in text


@pytest.mark.parametrize(
    "setup, body, words",
    [
        ({"accepts": False}, "Hello", "does not accept messages"),
        ({}, "x" * 1001, "1,000"),
        ({}, "   ", "Required"),
    ],
)
def test_every_refusal_is_said_on_the_page_and_nothing_is_stored(
    world: World, setup: dict[str, Any], body: str, words: str
) -> None:
    handle = fan("L-fan", **setup)
    owner = login_of(world, "owner", "mira")
    response = write(owner, handle, body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was sent" in page and words in page, page[page.find('id="refusal"') :][:400]
    assert not Message.objects.exists()


def test_a_blocked_artist_is_told_so(world: World) -> None:
    handle = fan("L-fan")
    assert (
        world.platform.post("/api/v1/listeners/L-fan/blocks", {"artist": "art-m"}, format="json").status_code
        == 201
    )
    response = write(login_of(world, "owner", "mira"), handle, "Hello")
    assert response.status_code == 400 and "blocked" in response.content.decode()


def test_a_viewer_reads_but_does_not_write_and_strangers_see_nothing(world: World) -> None:
    handle = fan("L-fan")
    viewer = login_of(world, "viewer", "sam")
    page = viewer.get(f"/dashboard/art-m/messages/{handle}/")
    assert page.status_code == 200 and "Your message" not in page.content.decode()
    assert write(viewer, handle, "Hi").status_code == 404
    stranger = login_of(world, None, "stranger")
    assert stranger.get("/dashboard/art-m/messages/").status_code == 404
    assert login_of(world, "owner", "mira").get("/dashboard/art-m/messages/not-a-fan-id/").status_code == 404
    assert not Message.objects.exists()


def test_staff_uphold_a_report_and_the_artist_is_suspended(world: World) -> None:
    handle = fan("L-fan")
    message_id = world.send(handle, "Buy my merch at example.com").json()["id"]
    report = world.platform.post(
        "/api/v1/listeners/L-fan/reports", {"message": message_id, "reason": "spam"}, format="json"
    )
    assert report.status_code == 201
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("mod", is_staff=True))
    queue = staff.get("/console/moderation/").content.decode()
    assert "Buy my merch" in queue and "spam" in queue and "L-fan" not in queue
    decided = staff.post(
        f"/console/moderation/{Report.objects.get().pk}", {"decision": "uphold", "note": "spam"}
    )
    assert decided.status_code == 302
    assert Report.objects.get().status == "upheld"
    assert ArtistMessaging.objects.get(artist_id="art-m").suspended_until is not None
    assert world.send(fan("L-two"), "Another").json()["code"] == "suspended"
    again = staff.post(f"/console/moderation/{Report.objects.get().pk}", {"decision": "dismiss"}, follow=True)
    assert "upheld already" in again.content.decode()


def test_only_staff_moderate(world: World) -> None:
    owner = login_of(world, "owner", "mira")
    assert owner.get("/console/moderation/").status_code == 403


def test_a_viewer_cannot_write_through_the_api_either(world: World) -> None:
    handle = fan("L-fan")
    viewer = login_of(world, "viewer", "sam")
    response = viewer.post(
        "/api/v1/artists/art-m/messages", {"fan_id": handle, "body": "Hi"}, content_type="application/json"
    )
    assert response.status_code == 403 and "owners write" in response.json()["detail"]
    assert viewer.get("/api/v1/artists/art-m/messages").status_code == 200
    assert not Message.objects.exists()


def test_write_is_offered_only_to_fans_who_accept_messages(world: World) -> None:
    open_fan, closed_fan, blocking_fan = fan("L-open"), fan("L-closed", accepts=False), fan("L-block")
    world.platform.post("/api/v1/listeners/L-block/blocks", {"artist": "art-m"}, format="json")
    handles = [open_fan, closed_fan, blocking_fan, "not-a-fan-id"]
    assert selectors.writable_fans(world.mira, handles) == {open_fan}
