"""An artist writes to its fans through the API: every rule of docs/rules.md §2 Messages with
its refusal code, and nothing stored on a refusal."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from artists.models import ApiClient
from messaging.models import ArtistMessaging, Conversation, DuplicateRefusal, Message
from streams.fans import fan_id
from streams.models import Listener
from tests.messaging.conftest import ISRC_O, World, fan, played

pytestmark = pytest.mark.django_db


def stored() -> tuple[int, int, int]:
    return Conversation.objects.count(), Message.objects.count(), ArtistMessaging.objects.count()


def refused(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.content
    body = answer.json()
    assert body["code"] == code and body["detail"], body
    return body


def test_an_artist_writes_to_a_fan_who_opted_in(world: World) -> None:
    handle = fan("L1", name="Ann", shown=True)

    answer = world.send(handle, "  Thanks for listening!\r\nSee you soon.  ")

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body == {"fan": "Ann", "fan_id": handle, "id": body["id"], "from": "artist", "read": False,
                    "body": "Thanks for listening!\nSee you soon.", "sent_at": body["sent_at"]}  # fmt: skip
    assert "L1" not in answer.content.decode()
    message = Message.objects.get()
    assert message.conversation.listener_id == "L1" and message.conversation.artist_id == "art-m"
    assert world.send(handle, "A second message").status_code == 201
    assert Conversation.objects.count() == 1 and Message.objects.count() == 2


def test_a_fan_not_shown_to_artists_is_a_pseudonym(world: World) -> None:
    handle = fan("L1", name="Ann", shown=False)

    body = world.send(handle).json()

    assert body["fan"].startswith("Fan ") and "Ann" not in body["fan"]


def test_the_body_is_checked(world: World) -> None:
    handle = fan("L1")

    assert world.send(handle, "x" * 1000).status_code == 201
    long = refused(world.send(handle, "y" * 1001), 400, "too_long")
    assert "body" in long
    for bad in ("", "   ", None, 5, ["hi"], {"text": "hi"}, "a\x00b", "bell\x07"):
        answer = world.send(handle, bad)
        assert answer.status_code == 400 and "body" in answer.json(), (bad, answer.content)
    assert Message.objects.count() == 1


def test_only_to_a_fan_who_accepts_messages(world: World) -> None:
    handle = fan("L1", accepts=False, name="Ann", shown=True)

    refused(world.send(handle), 403, "not_opted_in")

    assert stored() == (0, 0, 0)


def test_only_to_a_fan_who_played_the_artist_in_the_last_90_days(world: World) -> None:
    Listener.objects.create(pk="OLD", accepts_messages=True)
    played("OLD", days_ago=91)
    played("OLD", ISRC_O, days_ago=1)  # another artist's track does not count
    old = fan_id(artist_id="art-m", listener_id="OLD")

    refused(world.send(old), 403, "not_a_recent_fan")
    assert stored() == (0, 0, 0)

    played("OLD", days_ago=89)
    assert world.send(old).status_code == 201


def test_a_listener_who_blocked_the_artist_gets_nothing_more(world: World) -> None:
    handle = fan("L1")
    assert world.send(handle).status_code == 201
    assert (
        world.platform.post("/api/v1/listeners/L1/blocks", {"artist": "art-m"}, format="json").status_code
        == 201
    )

    refused(world.send(handle, "Still there?"), 403, "blocked")

    assert Message.objects.count() == 1


@override_settings(MESSAGES_PER_ARTIST_PER_DAY=3)
def test_new_conversations_are_limited_per_rolling_24_hours(world: World) -> None:
    handles = [fan(f"L{n}") for n in range(5)]
    for handle in handles[:3]:
        assert world.send(handle).status_code == 201

    answer = world.send(handles[3], "Hello there")
    body = refused(answer, 429, "daily_limit")

    assert 0 < int(answer["Retry-After"]) <= 24 * 3600 and body["retry_after"] == int(answer["Retry-After"])
    assert Conversation.objects.count() == 3 and Message.objects.count() == 3
    assert world.send(handles[0], "A follow-up is not a new conversation").status_code == 201
    # The oldest conversation leaves the window: room for one more, not two.
    first = Conversation.objects.order_by("started_at").first()
    assert first is not None
    Conversation.objects.filter(pk=first.pk).update(
        started_at=timezone.now() - timedelta(hours=24, seconds=1)
    )
    assert world.send(handles[3], "Hello there").status_code == 201
    refused(world.send(handles[4], "Hello there"), 429, "daily_limit")


def test_the_same_text_to_more_than_5_fans_is_refused_and_3_refusals_suspend(world: World) -> None:
    handles = [fan(f"L{n}") for n in range(9)]
    variants = ["New single out: listen at https://x.example/a1 !",
                "NEW   single out: listen at http://y.example/b2 !",
                "new single out:\nlisten at www.z.example !", "New Single Out: Listen At bit.ly/77 !",
                "New single out: listen at https://x.example/a99 !"]  # fmt: skip
    for handle, text in zip(handles, variants, strict=False):
        assert world.send(handle, text).status_code == 201, text
    # The same fan again is not another fan.
    assert world.send(handles[0], variants[1]).status_code == 201

    answer = world.send(handles[5], "new single OUT: listen at https://other.example/zz !")
    refused(answer, 429, "duplicate_text")
    assert int(answer["Retry-After"]) > 0
    assert Conversation.objects.count() == 5 and Message.objects.count() == 6
    assert DuplicateRefusal.objects.count() == 1 and not ArtistMessaging.objects.exists()

    # Something else is fine; two more duplicate refusals suspend messaging for 24 hours.
    assert world.send(handles[5], "Thank you for playing my record so much").status_code == 201
    refused(world.send(handles[6], variants[0]), 429, "duplicate_text")
    third = refused(world.send(handles[7], variants[0]), 429, "duplicate_text")
    assert "suspended" in third["detail"]
    suspended = world.send(handles[8], "Something entirely different")
    refused(suspended, 429, "suspended")
    assert 23 * 3600 < int(suspended["Retry-After"]) <= 24 * 3600
    assert world.send(handles[0], "Even to a fan already written to").json()["code"] == "suspended"
    assert Message.objects.count() == 7 and DuplicateRefusal.objects.count() == 3

    ArtistMessaging.objects.update(suspended_until=timezone.now() - timedelta(seconds=1))
    assert world.send(handles[8], "Something entirely different").status_code == 201


def test_a_fan_id_is_the_artists_own(world: World) -> None:
    handle = fan("L1")
    played("L1", ISRC_O)
    others = fan_id(artist_id="art-o", listener_id="L1")
    tampered = handle[:-2] + ("AA" if handle[-2:] != "AA" else "BB")

    for bad in (others, tampered, "L1", "", "x" * 5000, 12, None, ["L1"], "not base64!"):
        answer = world.send(bad)
        assert answer.status_code == 400 and "fan_id" in answer.json(), (bad, answer.content)
    assert world.send(fan_id(artist_id="art-m", listener_id="nobody")).status_code == 400
    assert stored() == (0, 0, 0)
    # Otto may use its own handle (Otto's track was played yesterday too).
    Listener.objects.filter(pk="L1").update(accepts_messages=True)
    assert (
        world.other_artist.post(
            "/api/v1/artists/art-o/messages", {"fan_id": others, "body": "Hi"}, format="json"
        ).status_code
        == 201
    )


def test_who_may_write(world: World, api_as: Callable[..., APIClient], admin_api: APIClient) -> None:
    handle = fan("L1")
    body = {"fan_id": handle, "body": "Hello"}
    url = "/api/v1/artists/art-m/messages"

    assert world.other_artist.post(url, body, format="json").status_code == 404
    assert world.other_artist.get(url).status_code == 404
    distributor = api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro M")
    assert distributor.post(url, body, format="json").status_code == 403
    assert distributor.get(url).status_code == 403
    assert world.platform.post(url, body, format="json").status_code == 403
    assert APIClient().post(url, body, format="json").status_code in (401, 403)
    assert world.artist.post("/api/v1/artists/nobody/messages", body, format="json").status_code == 404
    assert stored() == (0, 0, 0)
    assert admin_api.post(url, body, format="json").status_code == 201


def test_bad_requests_are_clean_400s(world: World) -> None:
    handle = fan("L1")
    url = "/api/v1/artists/art-m/messages"
    for raw in (b"{", b"[]", b'"hi"', b"null", b'{"fan_id": "a", "fan_id": "b", "body": "x"}', b"\xff\xfe"):
        answer = world.artist.generic("POST", url, raw, "application/json")  # type: ignore[arg-type]
        assert answer.status_code == 400, (raw, answer.content)
    extra = world.artist.post(url, {"fan_id": handle, "body": "hi", "to": "L1"}, format="json")
    assert extra.status_code == 400 and "to" in extra.json()
    missing = world.artist.post(url, {}, format="json")
    assert missing.status_code == 400 and set(missing.json()) == {"fan_id", "body"}
    big = world.artist.generic("POST", url, b'{"body": "' + b"x" * 6_000_000 + b'"}', "application/json")  # type: ignore[arg-type]
    assert big.status_code == 413
    assert world.artist.post(url, "fan_id=x", content_type="text/plain").status_code == 415
    assert stored() == (0, 0, 0)
