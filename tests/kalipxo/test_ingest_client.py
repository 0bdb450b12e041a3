"""Backpressure: 429 with Retry-After per API client, and clients/ingest_client.py honouring it.

The client is tested against a real HTTP server (pytest-django's live_server) with the
rates shrunk through settings, so 429s and 503s really happen on the wire.
"""

import socket
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from artists.models import ApiClient
from artists.tokens import api_client_create
from clients.ingest_client import IngestClient, IngestError
from kalipxo import api
from streams import views as stream_views
from streams.models import StreamEvent
from tests.conftest import ApiFactory


def events(count: int) -> list[dict[str, Any]]:
    return [
        {"event_id": f"ev-{uuid.uuid4()}", "listener": f"L{i % 7}", "isrc": "USRC17607839",
         "started_at": "2026-10-03T12:00:00Z", "duration_ms": 183000, "country": "US", "tier": "premium"}
        for i in range(count)
    ]  # fmt: skip


@pytest.fixture
def rates(settings: Any) -> Callable[..., None]:
    """Set the API rates for this test (DRF rereads its settings when they change)."""

    def set_rates(**scoped: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scoped},
        }

    return set_rates


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stored_ids() -> list[str]:
    return list(StreamEvent.objects.values_list("event_id", flat=True))


# --- the service's answer --------------------------------------------------------------


@pytest.mark.django_db
def test_over_the_rate_is_a_429_with_retry_after_and_nothing_stored(
    ingest_api: APIClient, rates: Callable[..., None]
) -> None:
    rates(ingest="2/minute")
    first, second, third = events(3)

    assert ingest_api.post("/api/v1/streams", first, format="json").status_code == 202
    assert ingest_api.post("/api/v1/streams", second, format="json").status_code == 202
    refused = ingest_api.post("/api/v1/streams", third, format="json")

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    answer = refused.json()
    assert answer["retry_after"] == wait
    assert "ingest rate is 2/minute" in answer["detail"] and "Retry-After" in answer["detail"]
    assert sorted(stored_ids()) == sorted([first["event_id"], second["event_id"]])


@pytest.mark.django_db
def test_each_client_and_each_scope_has_its_own_allowance(
    api_as: ApiFactory, rates: Callable[..., None]
) -> None:
    rates(ingest="1/minute", revenue="1/minute")
    one, two = api_as(ApiClient.Role.INGEST), api_as(ApiClient.Role.INGEST)
    admin = api_as(ApiClient.Role.ADMIN)

    assert one.post("/api/v1/streams", events(1), format="json").status_code == 202
    assert one.post("/api/v1/streams", events(1), format="json").status_code == 429
    assert two.post("/api/v1/streams", events(1), format="json").status_code == 202
    assert admin.post("/api/v1/streams", events(1), format="json").status_code == 202
    # The admin's streams allowance is spent; its revenue allowance is not.
    assert admin.post("/api/v1/revenue", {}, format="json").status_code == 400


@pytest.mark.django_db
def test_reads_are_not_throttled(distributor_api: APIClient, rates: Callable[..., None]) -> None:
    rates(catalog="1/minute")

    for _ in range(3):
        assert distributor_api.get("/api/v1/catalog/tracks").status_code == 200
    assert distributor_api.post("/api/v1/catalog/tracks", [], format="json").status_code == 400
    assert distributor_api.post("/api/v1/catalog/tracks", [], format="json").status_code == 429


@pytest.mark.django_db
def test_without_its_cache_the_api_keeps_accepting(
    ingest_api: APIClient, rates: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis down must not stop ingestion: the rate is then not checked."""
    rates(ingest="1/minute")

    def unreachable(key: str, *, timeout: int) -> int:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(api, "_count", unreachable)

    for _ in range(3):
        assert ingest_api.post("/api/v1/streams", events(1), format="json").status_code == 202


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("600/second", (600, 1)), ("30/minute", (30, 60)), ("1/hour", (1, 3600)), ("5/day", (5, 86400))],
)
def test_rates_read_like_drf(rate: str, parsed: tuple[int, int]) -> None:
    assert api.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["fast", "10/fortnight", "x/second", "/second"])
def test_a_malformed_rate_is_named(rate: str) -> None:
    with pytest.raises(ValueError, match="600/second"):
        api.parse_rate(rate)


# --- the client against a live server ----------------------------------------------


@pytest.fixture
def token(transactional_db: None) -> str:
    return api_client_create(name=f"player-{uuid.uuid4().hex[:8]}", role=ApiClient.Role.INGEST)[1]


def test_the_client_waits_out_429s_and_every_event_lands_once(
    live_server: Any, token: str, rates: Callable[..., None]
) -> None:
    rates(ingest="4/second")
    sent = events(40)

    with IngestClient(live_server.url, token, batch_size=2) as client:  # 20 requests at 4 per second
        report = client.send(sent)

    assert report.throttled >= 1 and report.waited_s > 0
    assert (report.accepted, report.duplicates, report.rejected) == (40, 0, [])
    assert sorted(stored_ids()) == sorted(e["event_id"] for e in sent)


def test_a_lost_answer_is_retried_and_stored_once(
    live_server: Any, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch is stored but answered 503 (say a proxy timed out): sent again, it
    comes back as duplicates, and the database holds every event exactly once."""
    real = stream_views.ingest.stream_events_ingest
    calls = {"n": 0}

    def stored_then_lost(**kwargs: Any) -> Any:
        calls["n"] += 1
        result = real(**kwargs)
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return result

    monkeypatch.setattr(stream_views.ingest, "stream_events_ingest", stored_then_lost)
    waits: list[float] = []
    sent = events(6)

    report = IngestClient(live_server.url, token, batch_size=3, sleep=waits.append).send(sent)

    assert waits == [2.0]  # the 503's Retry-After
    assert report.retried == 1
    assert (report.accepted, report.duplicates) == (3, 3)
    assert sorted(stored_ids()) == sorted(e["event_id"] for e in sent)


def test_rejected_events_are_reported_with_their_position(live_server: Any, token: str) -> None:
    sent = events(5)
    sent[1]["isrc"] = "nope"
    sent[4]["duration_ms"] = "long"

    report = IngestClient(live_server.url, token, batch_size=2).send(sent)

    assert report.accepted == 3
    assert [r["index"] for r in report.rejected] == [1, 4]


def test_a_refused_token_stops_at_once(live_server: Any, transactional_db: None) -> None:
    waits: list[float] = []
    client = IngestClient(live_server.url, "kx_not-a-token", sleep=waits.append)

    with pytest.raises(IngestError) as refused:
        client.send(events(1))

    assert refused.value.status == 401
    assert waits == []


def test_an_unreachable_service_is_given_up_after_max_attempts() -> None:
    waits: list[float] = []
    client = IngestClient(f"http://127.0.0.1:{free_port()}", "kx_x", max_attempts=4, sleep=waits.append)

    with pytest.raises(IngestError, match="after 4 attempts"):
        client.send(events(1))

    # Exponential backoff from 0.5 s, with jitter within the upper half of each step.
    assert len(waits) == 3
    assert [0.25 <= waits[0] <= 0.5, 0.5 <= waits[1] <= 1, 1 <= waits[2] <= 2] == [True] * 3
