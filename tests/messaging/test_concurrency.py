"""Sends of one artist at the same moment, on PostgreSQL: they are decided one after the
other under the artist's lock, so two of them never both take the last place of a limit."""

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from messaging.models import Conversation, Message
from messaging.rules import Refused
from messaging.services import artist_message_send
from tests.messaging.conftest import World, fan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(world: World, sends: list[tuple[str, str]]) -> list[Any]:
    """Each (fan_id, body) sent from its own thread and connection, all released together."""
    start = threading.Barrier(len(sends))
    outcomes: list[Any] = []

    def send(handle: str, body: str) -> None:
        try:
            start.wait(timeout=30)
            outcomes.append(artist_message_send(artist=world.mira, handle=handle, body=body)[0])
        except Refused as exc:
            outcomes.append(exc.body["code"])
        except BaseException as exc:  # handed to the test's thread below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=pair) for pair in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@override_settings(MESSAGES_PER_ARTIST_PER_DAY=3)
def test_two_new_conversations_at_once_never_pass_the_daily_limit(world: World) -> None:
    handles = [fan(f"L{n}") for n in range(6)]
    for handle in handles[:2]:
        artist_message_send(artist=world.mira, handle=handle, body="Hello")

    outcomes = at_once(world, [(handle, f"Hello number {n}") for n, handle in enumerate(handles[2:])])

    assert sorted(o if isinstance(o, str) else "sent" for o in outcomes) == ["daily_limit"] * 3 + ["sent"], (
        outcomes
    )
    assert Conversation.objects.count() == 3


def test_two_copies_at_once_never_pass_the_duplicate_rule(world: World) -> None:
    handles = [fan(f"L{n}") for n in range(8)]
    for handle in handles[:4]:
        artist_message_send(artist=world.mira, handle=handle, body="Same words for everyone")

    outcomes = at_once(world, [(handle, "SAME words for   everyone") for handle in handles[4:]])

    assert sorted(o if isinstance(o, str) else "sent" for o in outcomes) == ["duplicate_text"] * 3 + [
        "sent"
    ], outcomes
    assert Message.objects.count() == 5
