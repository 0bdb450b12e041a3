"""`POST /api/v1/streams`: batches of plays, idempotent by event_id, bad events reported one by one."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from streams.ingest import ID_REUSED, stream_events_ingest
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


# --- an event_id names one play (docs/rules.md §4b) -------------------------------------------

PLAY = {**SPEC_EXAMPLE, "event_id": "ev-play"}
ANOTHER_PLAY = [
    pytest.param({"listener": "L2"}, id="another-listener"),
    pytest.param({"isrc": "GBAYE0601498"}, id="another-isrc"),
    pytest.param({"duration_ms": 183001}, id="another-duration"),
    pytest.param({"started_at": "2026-10-03T12:00:00.000001Z"}, id="another-start"),
    pytest.param({"started_at": "2026-10-03T12:00:00+02:00"}, id="same-clock-time-other-instant"),
]
THE_SAME_PLAY = [
    pytest.param({"started_at": "2026-10-03T14:00:00+02:00"}, id="same-instant-other-offset"),
    pytest.param({"started_at": "2026-10-03T12:00:00.000Z"}, id="same-instant-written-with-millis"),
    pytest.param({"isrc": "us-rc1-76-07839"}, id="same-isrc-written-otherwise"),
    pytest.param({"country": "FR"}, id="other-country"),
    pytest.param({"tier": "free"}, id="other-tier"),
    pytest.param({"device": "d-78"}, id="other-device"),
    pytest.param({"device": None}, id="no-device"),
]


def stored_play(event_id: str) -> tuple[Any, ...]:
    return StreamEvent.objects.values_list("listener_id", "isrc", "started_at", "duration_ms").get(
        event_id=event_id
    )


def reused(index: int, event_id: str = "ev-play") -> dict[str, Any]:
    """The rejection of an event whose id is held by another play."""
    return {"index": index, "event_id": event_id, "errors": {"event_id": [ID_REUSED]}}


def test_the_reused_id_message_says_what_to_do() -> None:
    assert "already used for another play" in ID_REUSED
    assert "own event_id" in ID_REUSED


@pytest.mark.parametrize("overrides", ANOTHER_PLAY)
def test_an_id_stored_for_another_play_is_rejected_and_the_stored_event_kept(
    ingest_api: APIClient, overrides: dict[str, Any]
) -> None:
    ingest_api.post(URL, PLAY, format="json")
    before = stored_play("ev-play")
    new = event()

    response = ingest_api.post(URL, [{**PLAY, **overrides}, new], format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": [reused(0)]}
    assert stored_play("ev-play") == before
    assert StreamEvent.objects.count() == 2


@pytest.mark.parametrize("overrides", THE_SAME_PLAY)
def test_the_same_play_with_other_details_stays_a_duplicate(
    ingest_api: APIClient, overrides: dict[str, Any]
) -> None:
    ingest_api.post(URL, PLAY, format="json")

    changed = {key: value for key, value in {**PLAY, **overrides}.items() if value is not None}
    response = ingest_api.post(URL, changed, format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    stored = StreamEvent.objects.get()
    assert (stored.country, stored.tier, stored.device) == ("US", "premium", "d-77")


@pytest.mark.parametrize("overrides", ANOTHER_PLAY)
def test_within_one_batch_the_first_event_of_an_id_wins(
    ingest_api: APIClient, overrides: dict[str, Any]
) -> None:
    response = ingest_api.post(URL, [PLAY, {**PLAY, **overrides}], format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": [reused(1)]}
    assert stored_play("ev-play") == ("L1", "USRC17607839", datetime(2026, 10, 3, 12, tzinfo=UTC), 183000)


@pytest.mark.parametrize("overrides", THE_SAME_PLAY)
def test_within_one_batch_the_same_play_with_other_details_is_a_duplicate(
    ingest_api: APIClient, overrides: dict[str, Any]
) -> None:
    changed = {key: value for key, value in {**PLAY, **overrides}.items() if value is not None}

    response = ingest_api.post(URL, [PLAY, changed], format="json")

    assert response.json() == {"accepted": 1, "duplicates": 1, "rejected": []}


def test_repeats_of_a_stored_id_are_each_compared_with_the_stored_play(ingest_api: APIClient) -> None:
    ingest_api.post(URL, PLAY, format="json")
    other = {**PLAY, "listener": "L2"}

    response = ingest_api.post(URL, [other, PLAY, other, event()], format="json")

    assert response.json() == {"accepted": 1, "duplicates": 1, "rejected": [reused(0), reused(2)]}


def test_a_batch_of_only_reused_ids_is_a_400_that_changes_nothing(ingest_api: APIClient) -> None:
    ingest_api.post(URL, PLAY, format="json")
    listeners = set(Listener.objects.values_list("id", flat=True))

    response = ingest_api.post(URL, {**PLAY, "listener": "L-new"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": [reused(0)]}
    assert set(Listener.objects.values_list("id", flat=True)) == listeners  # no listener added
    assert StreamEvent.objects.count() == 1


def test_every_event_of_a_batch_is_counted_exactly_once(ingest_api: APIClient) -> None:
    ingest_api.post(URL, PLAY, format="json")
    fresh = event()
    batch = [
        fresh,  # accepted
        {**PLAY, "device": "d-1"},  # duplicate of the stored play
        event(isrc="bad"),  # invalid
        {**PLAY, "duration_ms": 1},  # reused id
        fresh,  # repeated in the batch: duplicate
        {**fresh, "listener": "L9"},  # the batch's first event of that id holds it
    ]

    answer = ingest_api.post(URL, batch, format="json").json()

    assert (answer["accepted"], answer["duplicates"]) == (1, 2)
    assert [r["index"] for r in answer["rejected"]] == [2, 3, 5]
    assert answer["accepted"] + answer["duplicates"] + len(answer["rejected"]) == len(batch)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("overrides", "reused_id"), [({}, False), ({"listener": "L2"}, True)])
def test_an_id_written_by_a_concurrent_request_is_compared_once_that_one_commits(
    ingest_api: APIClient, overrides: dict[str, Any], reused_id: bool
) -> None:
    """The other request's event is not in this statement's snapshot; it is still compared."""
    inserted, release = threading.Event(), threading.Event()

    def other_request() -> None:
        try:
            with transaction.atomic():
                stream_events_ingest(items=[PLAY])
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def this_request() -> Any:
        try:
            return ingest_api.post(URL, [{**PLAY, **overrides}, event()], format="json")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        other = pool.submit(other_request)
        assert inserted.wait(timeout=30)
        answer = pool.submit(this_request)
        wait_for_a_lock_wait()  # this request's insert waits for the other's event id
        release.set()
        other.result(timeout=30)
        response = answer.result(timeout=30)

    expected = {"accepted": 1, "duplicates": 0, "rejected": [reused(0)]} if reused_id else {
        "accepted": 1, "duplicates": 1, "rejected": []
    }  # fmt: skip
    assert response.json() == expected
    assert stored_play("ev-play")[0] == "L1"


def wait_for_a_lock_wait(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the request never waited for the other one's event id")


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
