"""`POST /api/v1/streams`: batches of plays, idempotent by event_id, bad events reported one by one."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from rest_framework.test import APIClient

from streams.models import Listener, StreamEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/streams"
SPEC_EXAMPLE = {
    "event_id": "0b6f3c1e-...", "listener": "L1", "isrc": "USRC17607839",
    "started_at": "2026-10-03T12:00:00Z", "duration_ms": 183000,
    "country": "US", "tier": "premium", "device": "d-77",
}  # fmt: skip


def event(**overrides: Any) -> dict[str, Any]:
    """A valid event an hour ago with a fresh event_id; overrides replace (or, with None, drop) fields."""
    base = {
        "event_id": str(uuid.uuid4()),
        "listener": "L1",
        "isrc": "USRC17607839",
        "started_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "duration_ms": 183000,
        "country": "US",
        "tier": "premium",
        "device": "d-77",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def post_raw(client: APIClient, body: bytes, content_type: str = "application/json") -> Any:
    # Django's client sends bytes as they are (the stubs only admit str): invalid UTF-8 must reach us.
    return client.generic("POST", URL, body, content_type=content_type)  # type: ignore[arg-type]


# --- accepted ------------------------------------------------------------------------


def test_the_spec_example_is_accepted_and_stored(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, SPEC_EXAMPLE, format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    stored = StreamEvent.objects.get()
    assert stored.event_id == "0b6f3c1e-..."
    assert stored.listener_id == "L1"
    assert stored.isrc == "USRC17607839"
    assert stored.started_at == datetime(2026, 10, 3, 12, 0, tzinfo=UTC)
    assert (stored.duration_ms, stored.country, stored.tier, stored.device) == (
        183000,
        "US",
        "premium",
        "d-77",
    )
    assert stored.batch_id is not None


def test_an_array_of_events_is_one_batch(ingest_api: APIClient) -> None:
    events = [event(listener=f"L{i}") for i in range(3)]

    response = ingest_api.post(URL, events, format="json")

    assert response.status_code == 202
    assert response.json()["accepted"] == 3
    assert set(StreamEvent.objects.values_list("event_id", flat=True)) == {e["event_id"] for e in events}
    assert len(set(StreamEvent.objects.values_list("batch_id", flat=True))) == 1


def test_listeners_are_created_on_first_sight(ingest_api: APIClient) -> None:
    ingest_api.post(URL, [event(listener="L1"), event(listener="L2"), event(listener="L1")], format="json")

    assert set(Listener.objects.values_list("id", flat=True)) == {"L1", "L2"}


def test_device_is_optional(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, event(device=None), format="json")

    assert response.status_code == 202
    assert StreamEvent.objects.get().device is None


def test_isrc_and_country_are_normalised(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, event(isrc="us-rc1-76-07839", country="us"), format="json")

    assert response.status_code == 202
    stored = StreamEvent.objects.get()
    assert (stored.isrc, stored.country) == ("USRC17607839", "US")


def test_timestamps_with_an_offset_are_stored_in_utc(ingest_api: APIClient) -> None:
    ingest_api.post(URL, event(started_at="2026-10-03T14:00:00+02:00"), format="json")

    assert StreamEvent.objects.get().started_at == datetime(2026, 10, 3, 12, 0, tzinfo=UTC)


def test_unknown_isrcs_are_accepted(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, event(isrc="ZZZZZ9999999"), format="json")

    assert response.status_code == 202
    assert StreamEvent.objects.filter(isrc="ZZZZZ9999999").count() == 1


def test_a_batch_of_1000_is_accepted(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, [event(listener=f"L{i % 50}") for i in range(1000)], format="json")

    assert response.status_code == 202
    assert response.json()["accepted"] == 1000
    assert StreamEvent.objects.count() == 1000
    assert Listener.objects.count() == 50


def test_a_play_four_minutes_ahead_is_within_clock_skew(ingest_api: APIClient) -> None:
    ahead = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()

    response = ingest_api.post(URL, event(started_at=ahead), format="json")

    assert response.status_code == 202
    assert StreamEvent.objects.count() == 1


# --- idempotency ---------------------------------------------------------------------


def test_replaying_a_batch_stores_nothing_twice(ingest_api: APIClient) -> None:
    batch = [event(), event()]
    ingest_api.post(URL, batch, format="json")

    response = ingest_api.post(URL, batch, format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert StreamEvent.objects.count() == 2


def test_a_replay_mixed_with_new_events_keeps_the_new_ones(ingest_api: APIClient) -> None:
    old = event()
    ingest_api.post(URL, old, format="json")

    response = ingest_api.post(URL, [old, event()], format="json")

    assert response.json() == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert StreamEvent.objects.count() == 2


def test_the_same_event_twice_in_one_batch_is_stored_once(ingest_api: APIClient) -> None:
    same = event()

    response = ingest_api.post(URL, [same, same], format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert StreamEvent.objects.count() == 1


# --- rejected events -----------------------------------------------------------------

BAD_EVENTS = [
    pytest.param({"isrc": "USRC1760783"}, "isrc", id="isrc-too-short"),
    pytest.param({"isrc": "US!C17607839"}, "isrc", id="isrc-bad-character"),
    pytest.param({"isrc": 17607839}, "isrc", id="isrc-number"),
    pytest.param({"event_id": None}, "event_id", id="event_id-missing"),
    pytest.param({"event_id": ""}, "event_id", id="event_id-empty"),
    pytest.param({"event_id": 42}, "event_id", id="event_id-number"),
    pytest.param({"listener": None}, "listener", id="listener-missing"),
    pytest.param({"listener": " L1"}, "listener", id="listener-leading-space"),
    pytest.param({"started_at": None}, "started_at", id="started_at-missing"),
    pytest.param({"started_at": "2026-10-03T12:00:00"}, "started_at", id="started_at-naive"),
    pytest.param({"started_at": "2026-10-03"}, "started_at", id="started_at-date-only"),
    pytest.param({"started_at": "yesterday"}, "started_at", id="started_at-words"),
    pytest.param({"started_at": 1790000000}, "started_at", id="started_at-epoch-number"),
    pytest.param({"started_at": "1999-12-31T23:59:59Z"}, "started_at", id="started_at-before-2000"),
    pytest.param({"started_at": "9999-12-31T23:59:59-01:00"}, "started_at", id="started_at-year-9999"),
    pytest.param({"duration_ms": None}, "duration_ms", id="duration-missing"),
    pytest.param({"duration_ms": "183000"}, "duration_ms", id="duration-string"),
    pytest.param({"duration_ms": 1.5}, "duration_ms", id="duration-float"),
    pytest.param({"duration_ms": True}, "duration_ms", id="duration-bool"),
    pytest.param({"duration_ms": -1}, "duration_ms", id="duration-negative"),
    pytest.param({"duration_ms": 2**63}, "duration_ms", id="duration-huge"),
    pytest.param({"country": "USA"}, "country", id="country-three-letters"),
    pytest.param({"country": "U1"}, "country", id="country-digit"),
    pytest.param({"country": None}, "country", id="country-missing"),
    pytest.param({"tier": "platinum"}, "tier", id="tier-unknown"),
    pytest.param({"tier": ["premium"]}, "tier", id="tier-list"),
    pytest.param({"device": {"id": "d-77"}}, "device", id="device-object"),
    pytest.param({"volume": 11}, "volume", id="unknown-field"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_EVENTS)
def test_a_bad_event_is_rejected_by_field_while_good_ones_are_kept(
    ingest_api: APIClient, overrides: dict[str, Any], field: str
) -> None:
    good_before, bad, good_after = event(), event(**overrides), event()

    response = ingest_api.post(URL, [good_before, bad, good_after], format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert body["duplicates"] == 0
    [rejection] = body["rejected"]
    assert rejection["index"] == 1
    assert rejection["event_id"] == (bad["event_id"] if isinstance(bad.get("event_id"), str) else None)
    assert list(rejection["errors"]) == [field]
    assert all(isinstance(message, str) and message for message in rejection["errors"][field])
    stored = set(StreamEvent.objects.values_list("event_id", flat=True))
    assert stored == {good_before["event_id"], good_after["event_id"]}


def test_every_problem_of_an_event_is_reported(ingest_api: APIClient) -> None:
    bad = {"event_id": "e-1", "isrc": "nope", "country": "USA", "duration_ms": "10"}

    response = ingest_api.post(URL, [bad, event()], format="json")

    [rejection] = response.json()["rejected"]
    assert set(rejection["errors"]) == {"isrc", "country", "duration_ms", "listener", "started_at", "tier"}


def test_a_play_more_than_five_minutes_ahead_is_rejected(ingest_api: APIClient) -> None:
    ahead = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()

    response = ingest_api.post(URL, [event(started_at=ahead), event()], format="json")

    assert response.status_code == 202
    [rejection] = response.json()["rejected"]
    assert "future" in rejection["errors"]["started_at"][0]
    assert StreamEvent.objects.count() == 1


def test_a_batch_where_every_event_is_bad_is_a_400_and_stores_nothing(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, [event(isrc="bad"), event(country="USA")], format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["accepted"] == 0
    assert [r["index"] for r in body["rejected"]] == [0, 1]
    assert not StreamEvent.objects.exists()
    assert not Listener.objects.exists()


def test_items_that_are_not_objects_are_rejected_not_crashed_on(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, [1, "x", None, [], event()], format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    assert [(r["index"], r["event_id"]) for r in body["rejected"]] == [
        (0, None),
        (1, None),
        (2, None),
        (3, None),
    ]
    assert all("non_field_errors" in r["errors"] for r in body["rejected"])
    assert StreamEvent.objects.count() == 1


def test_only_non_objects_is_a_400(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, [1, "x", None], format="json")

    assert response.status_code == 400
    assert len(response.json()["rejected"]) == 3
    assert not StreamEvent.objects.exists()


@pytest.mark.parametrize("field", ["event_id", "listener", "isrc", "started_at", "country", "tier", "device"])
def test_huge_strings_are_rejected_cleanly(ingest_api: APIClient, field: str) -> None:
    response = ingest_api.post(URL, event(**{field: "A" * 100_000}), format="json")

    assert response.status_code == 400
    assert field in response.json()["rejected"][0]["errors"]
    assert not StreamEvent.objects.exists()


def test_a_huge_unknown_field_name_is_rejected_cleanly(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, event(**{"x" * 100_000: 1}), format="json")

    assert response.status_code == 400
    [field] = response.json()["rejected"][0]["errors"]
    assert len(field) <= 64
    assert not StreamEvent.objects.exists()


# --- refused batches -----------------------------------------------------------------


def test_more_than_1000_events_is_a_400_and_stores_nothing(ingest_api: APIClient) -> None:
    response = ingest_api.post(URL, [event() for _ in range(1001)], format="json")

    assert response.status_code == 400
    assert "1,000" in response.json()["detail"]
    assert not StreamEvent.objects.exists()


@pytest.mark.parametrize("body", [[], "event", 42, None, True], ids=repr)
def test_a_body_that_is_not_an_object_or_a_non_empty_array_is_a_400(ingest_api: APIClient, body: Any) -> None:
    response = post_raw(ingest_api, orjson.dumps(body))

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not StreamEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"event_id": "e-1",',
        b"",
        b"   ",
        b'{"event_id": NaN}',
        b'{"duration_ms": Infinity}',
        b'[{"event_id": "e-1"}] trailing',
        b'{"event_id": "\xff\xfe"}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["truncated", "empty", "blank", "nan", "infinity", "trailing-garbage", "bad-utf8", "deep-nesting"],
)
def test_malformed_json_is_a_400(ingest_api: APIClient, body: bytes) -> None:
    response = post_raw(ingest_api, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert not StreamEvent.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_a_415(ingest_api: APIClient, content_type: str) -> None:
    response = post_raw(ingest_api, orjson.dumps(event()), content_type=content_type)

    assert response.status_code == 415
    assert response.json()["detail"]
    assert not StreamEvent.objects.exists()


def test_a_body_over_the_size_limit_is_a_413_and_stores_nothing(ingest_api: APIClient, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 2_000
    body = orjson.dumps([event() for _ in range(20)])
    assert len(body) > 2_000

    response = post_raw(ingest_api, body)

    assert response.status_code == 413
    assert "2000 bytes" in response.json()["detail"]
    assert not StreamEvent.objects.exists()


def test_a_body_just_under_the_size_limit_is_accepted(ingest_api: APIClient, settings: Any) -> None:
    body = orjson.dumps([event() for _ in range(5)])
    settings.API_MAX_BODY_BYTES = len(body)

    response = post_raw(ingest_api, body)

    assert response.status_code == 202
    assert StreamEvent.objects.count() == 5
