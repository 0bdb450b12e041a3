"""The player platform's side: preferences, messages, replies, read marks, blocks, reports."""

from typing import Any

import pytest

from messaging.models import Block, Message, Report
from streams.models import Listener
from tests.messaging.conftest import World, fan

pytestmark = pytest.mark.django_db

PREFERENCES = {"display_name": "Ann", "shown_to_artists": True, "accepts_messages": True}


def put(world: World, listener: str, body: Any) -> Any:
    return world.platform.put(f"/api/v1/listeners/{listener}/preferences", body, format="json")


def test_preferences_are_set_and_read_and_default_to_off(world: World) -> None:
    answer = put(world, "NEW-1", PREFERENCES)  # not known yet: added

    assert answer.status_code == 200, answer.content
    assert answer.json() == {"listener": "NEW-1", **PREFERENCES}
    listener = Listener.objects.get(pk="NEW-1")
    assert (listener.display_name, listener.show_to_artists, listener.accepts_messages) == ("Ann", True, True)
    assert world.platform.get("/api/v1/listeners/NEW-1/preferences").json() == {
        "listener": "NEW-1",
        **PREFERENCES,
    }
    # A PUT sets all three: what is left out is off again.
    assert put(world, "NEW-1", {"display_name": "  Ann B  "}).json() == {
        "listener": "NEW-1", "display_name": "Ann B", "shown_to_artists": False, "accepts_messages": False
    }  # fmt: skip
    assert put(world, "NEW-1", {"display_name": None}).json()["display_name"] == ""
    assert Listener(pk="x").accepts_messages is False
    assert world.platform.get("/api/v1/listeners/nobody/preferences").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"shown_to_artists": "yes"}, "shown_to_artists"),
        ({"accepts_messages": 1}, "accepts_messages"),
        ({"display_name": 5}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "a\nb"}, "display_name"),
        ({"nickname": "Ann"}, "nickname"),
    ],
)
def test_bad_preferences_name_their_field(world: World, body: dict[str, Any], field: str) -> None:
    answer = put(world, "L1", body)

    assert answer.status_code == 400 and field in answer.json(), answer.content
    assert not Listener.objects.filter(pk="L1").exists()


def test_bad_preference_requests_are_clean_4xx(world: World) -> None:
    url = "/api/v1/listeners/L1/preferences"
    for raw in (b"{", b"[]", b"true", b'{"display_name": "a", "display_name": "b"}'):
        answer = world.platform.generic("PUT", url, raw, "application/json")  # type: ignore[arg-type]
        assert answer.status_code == 400, raw
    assert put(world, "L" * 65, PREFERENCES).status_code == 400  # longer than a listener id
    assert world.artist.put("/api/v1/listeners/L1/preferences", PREFERENCES, format="json").status_code == 403
    assert not Listener.objects.filter(pk="L1").exists()


def test_a_listener_reads_replies_and_marks_read(world: World) -> None:
    handle = fan("L1")
    sent = world.send(handle, "Hello from Mira").json()

    inbox = world.platform.get("/api/v1/listeners/L1/messages").json()
    assert inbox == [{"id": sent["id"], "artist": {"id": "art-m", "name": "Mira"}, "from": "artist",
                      "body": "Hello from Mira", "sent_at": sent["sent_at"], "read": False}]  # fmt: skip

    read = world.platform.post(f"/api/v1/listeners/L1/messages/{sent['id']}/read")
    assert read.status_code == 200 and read.json()["read"] is True
    assert world.platform.post(f"/api/v1/listeners/L1/messages/{sent['id']}/read").status_code == 200

    reply = world.reply("L1", "Thank you!")
    assert reply.status_code == 201, reply.content
    assert reply.json()["from"] == "listener" and reply.json()["artist"] == {"id": "art-m", "name": "Mira"}
    assert [m["from"] for m in world.platform.get("/api/v1/listeners/L1/messages").json()] == [
        "artist",
        "listener",
    ]
    # Its own reply is not marked read by it; another listener's message is not its own.
    assert world.platform.post(f"/api/v1/listeners/L1/messages/{reply.json()['id']}/read").status_code == 400
    fan("L2")
    assert world.platform.post(f"/api/v1/listeners/L2/messages/{sent['id']}/read").status_code == 404
    assert world.platform.post("/api/v1/listeners/L1/messages/999999/read").status_code == 404


def test_a_reply_needs_a_conversation_the_artist_started(world: World) -> None:
    fan("L1")

    answer = world.reply("L1")
    assert answer.status_code == 409 and answer.json()["code"] == "no_conversation"
    unknown = world.reply("L1", artist="nobody")
    assert unknown.status_code == 400 and "artist" in unknown.json()
    assert world.reply("nobody").status_code == 404
    assert Message.objects.count() == 0


def test_a_reply_is_checked_like_a_message(world: World) -> None:
    handle = fan("L1")
    assert world.send(handle).status_code == 201

    long = world.reply("L1", "z" * 1001)
    assert long.status_code == 400 and long.json()["code"] == "too_long"
    assert world.reply("L1", "   ").status_code == 400
    bodies: list[Any] = [
        {"artist": "art-m"},
        {"artist": 5, "body": "x"},
        {"artist": "art-m", "body": "x", "to": 1},
        [],
    ]
    for body in bodies:
        assert world.platform.post("/api/v1/listeners/L1/messages", body, format="json").status_code == 400
    assert Message.objects.count() == 1


def test_blocks(world: World) -> None:
    handle = fan("L1")
    assert world.send(handle).status_code == 201
    url = "/api/v1/listeners/L1/blocks"

    first = world.platform.post(url, {"artist": "art-m"}, format="json")
    again = world.platform.post(url, {"artist": "art-m"}, format="json")

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["artist"] == {"id": "art-m", "name": "Mira"}
    assert Block.objects.count() == 1
    replied = world.reply("L1")
    assert replied.status_code == 403 and replied.json()["code"] == "blocked"
    for body in ({"artist": "nobody"}, {}, {"artist": 3}, {"artist": "art-m", "why": "x"}, ["art-m"]):
        assert world.platform.post(url, body, format="json").status_code == 400, body
    assert (
        world.platform.post("/api/v1/listeners/nobody/blocks", {"artist": "art-m"}, format="json").status_code
        == 404
    )


def test_a_report_goes_to_the_moderation_queue(world: World) -> None:
    handle = fan("L1")
    sent = world.send(handle, "Buy my merch at shop.example").json()
    url = "/api/v1/listeners/L1/reports"

    answer = world.platform.post(url, {"message": sent["id"], "reason": "Spam"}, format="json")

    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "open" and answer.json()["artist"]["id"] == "art-m"
    report = Report.objects.get()
    assert (report.artist_id, report.listener_id, report.evidence, report.reason) == (
        "art-m", "L1", "Buy my merch at shop.example", "Spam"
    )  # fmt: skip
    assert world.platform.post(url, {"message": sent["id"]}, format="json").status_code == 200
    assert Report.objects.count() == 1
    reply = world.reply("L1", "no thanks").json()
    for body in ({"message": reply["id"]}, {"message": 999999}, {"message": "1"}, {"message": True},
                 {"message": sent["id"], "reason": 5}, {"message": sent["id"], "reason": "r" * 1001},
                 {"reason": "x"}, {"message": sent["id"], "extra": 1}, {"message": 2**70}):  # fmt: skip
        bad = world.platform.post(url, body, format="json")
        assert bad.status_code == 400, (body, bad.content)
    fan("L2")
    assert (
        world.platform.post(
            "/api/v1/listeners/L2/reports", {"message": sent["id"]}, format="json"
        ).status_code
        == 400
    )
    assert Report.objects.count() == 1


def test_only_the_platform_and_admins_reach_listeners(world: World, admin_api: Any) -> None:
    fan("L1")
    for url in (
        "/api/v1/listeners/L1/messages",
        "/api/v1/listeners/L1/export",
        "/api/v1/listeners/L1/preferences",
    ):
        assert world.artist.get(url).status_code == 403
        assert admin_api.get(url).status_code == 200
    assert world.artist.delete("/api/v1/listeners/L1").status_code == 403
    assert world.platform.get("/api/v1/listeners/nobody/messages").status_code == 404
    assert world.platform.get("/api/v1/listeners/nobody/export").status_code == 404
