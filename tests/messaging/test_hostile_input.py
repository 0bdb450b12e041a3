"""Hostile input on every messaging endpoint: bodies, path and query values always get a 4xx
JSON answer (or, for a valid path, a clean 2xx), never a 500, and a refused write stores
nothing."""

from typing import Any

import pytest

from messaging.models import Block, Conversation, Message, Report
from streams.models import Listener
from tests.messaging.conftest import World, fan

pytestmark = pytest.mark.django_db

MB = 1_000_000
HOSTILE_BODIES: list[bytes] = [
    b"", b"{", b"[]", b"null", b"1", b'"text"', b"\xff\xfe\x00", b'{"a": NaN}', b'{"a": Infinity}',
    b"[" * 10_000 + b"]" * 10_000, b'{"body": "' + b"a" * MB + b'"}', b'{"body": "\\ud800"}',
    b'{"body": 1e999}', b'{"artist": ' + str(2**70).encode() + b"}", b'{"fan_id": {"x": 1}, "body": []}',
    b'{"message": -1, "reason": null}', b'{"display_name": "\\u0000"}', b'{"artist": "a\\u0000"}',
]  # fmt: skip
# (method, path): the listener is L1, in a conversation with Mira.
WRITES = [
    ("PUT", "/api/v1/listeners/L1/preferences"),
    ("POST", "/api/v1/listeners/L1/messages"),
    ("POST", "/api/v1/listeners/L1/blocks"),
    ("POST", "/api/v1/listeners/L1/reports"),
    ("POST", "/api/v1/artists/art-m/messages"),
]


def held() -> tuple[Any, ...]:
    listener = Listener.objects.get(pk="L1")
    return (
        Conversation.objects.count(), Message.objects.count(), Block.objects.count(), Report.objects.count(),
        listener.display_name, listener.show_to_artists, listener.accepts_messages, Listener.objects.count(),
    )  # fmt: skip


def assert_json_4xx(answer: Any, what: str) -> None:
    assert 400 <= answer.status_code < 500, f"{what}: {answer.status_code} {answer.content[:200]!r}"
    assert answer["Content-Type"].startswith("application/json"), what
    assert answer.json(), what


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[p for _, p in WRITES])
def test_a_hostile_body_is_a_clean_4xx_and_stores_nothing(world: World, method: str, path: str) -> None:
    assert world.send(fan("L1", name="Ann")).status_code == 201
    client = world.artist if "/artists/" in path else world.platform
    client.raise_request_exception = False
    before = held()

    for raw in HOSTILE_BODIES:
        answer = client.generic(method, path, raw, "application/json")  # type: ignore[arg-type]
        assert_json_4xx(answer, f"{method} {path} {raw[:40]!r}")
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ):
        assert_json_4xx(client.generic(method, path, b'{"body": "x"}', content_type), f"{content_type}")  # type: ignore[arg-type]

    assert held() == before


PATH_VALUES = [
    "%FF",
    "%00",
    "a%00b",
    "%ED%A0%80",
    "-1",
    "9" * 5000,
    "a" * 10_000,
    "%2E%2E",
    "%252F",
    "..",
    "%C2%B2",
]
PATHS = [
    ("platform", "GET", "/api/v1/listeners/X/messages"),
    ("platform", "GET", "/api/v1/listeners/X/export"),
    ("platform", "GET", "/api/v1/listeners/X/preferences"),
    ("platform", "PUT", "/api/v1/listeners/X/preferences"),
    ("platform", "POST", "/api/v1/listeners/L1/messages/X/read"),
    ("platform", "POST", "/api/v1/listeners/X/messages/1/read"),
    ("platform", "DELETE", "/api/v1/listeners/X"),
    ("artist", "GET", "/api/v1/artists/X/messages"),
    ("artist", "GET", "/api/v1/artists/art-m/messages/X"),
    ("artist", "POST", "/api/v1/artists/art-m/messages/X/read"),
    ("artist", "GET", "/api/v1/artists/art-m/messages?limit=X"),
]


@pytest.mark.parametrize(("who", "method", "url"), PATHS, ids=[f"{m} {u}" for _, m, u in PATHS])
def test_hostile_path_and_query_values_never_get_a_500(world: World, who: str, method: str, url: str) -> None:
    fan("L1")
    client = world.artist if who == "artist" else world.platform
    client.raise_request_exception = False
    for value in PATH_VALUES:
        path, _, query = url.replace("X", value).partition("?")
        body = b'{"accepts_messages": true}'
        answer = client.generic(method, path, body, "application/json", QUERY_STRING=query)  # type: ignore[arg-type]
        what = f"{method} {url} X={value[:40]!r}"
        assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.content[:200]!r}"
        if answer.status_code >= 400:
            assert_json_4xx(answer, what)
    assert not Listener.objects.exclude(pk="L1").exists()  # no hostile id became a listener
