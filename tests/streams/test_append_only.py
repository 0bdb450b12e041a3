"""Stream events are append-only, enforced by a database trigger rather than by code paths."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from streams.models import Listener, StreamEvent
from tests.factories import ListenerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_event() -> StreamEvent:
    """One stored play of USRC17607839."""
    return StreamEvent.objects.create(
        event_id="ev-1",
        listener=ListenerFactory.create(id="L1"),
        isrc="USRC17607839",
        started_at=datetime(2026, 10, 3, 12, 0, tzinfo=UTC),
        duration_ms=183000,
        country="US",
        tier="premium",
    )


def test_an_update_is_refused_on_every_database(stored_event: StreamEvent) -> None:
    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        StreamEvent.objects.filter(pk=stored_event.pk).update(duration_ms=1)

    assert StreamEvent.objects.get().duration_ms == 183000


def test_saving_a_changed_event_is_refused(stored_event: StreamEvent) -> None:
    stored_event.isrc = "QZKPX0000001"

    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        stored_event.save()

    assert StreamEvent.objects.get().isrc == "USRC17607839"


def test_raw_sql_cannot_bypass_the_trigger(stored_event: StreamEvent) -> None:
    with (
        pytest.raises((IntegrityError, InternalError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE streams_streamevent SET tier = 'free'")

    assert StreamEvent.objects.get().tier == "premium"


@pytest.mark.postgres
def test_postgres_refuses_deletes(stored_event: StreamEvent) -> None:
    with (
        pytest.raises(IntegrityError, match="streams_streamevent rows are append-only"),
        transaction.atomic(),
    ):
        StreamEvent.objects.filter(pk=stored_event.pk).delete()

    assert StreamEvent.objects.filter(pk=stored_event.pk).exists()


@pytest.mark.postgres
def test_postgres_refuses_raw_deletes(stored_event: StreamEvent) -> None:
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM streams_streamevent")

    assert StreamEvent.objects.count() == 1


def test_new_events_can_still_be_appended(stored_event: StreamEvent) -> None:
    StreamEvent.objects.create(
        event_id="ev-2",
        listener=stored_event.listener,
        isrc="USRC17607839",
        started_at=datetime(2026, 10, 3, 12, 5, tzinfo=UTC),
        duration_ms=120000,
        country="US",
        tier="premium",
    )

    assert StreamEvent.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    ["DELETE FROM streams_listener WHERE id = 'L1'", "UPDATE streams_listener SET id = 'L9' WHERE id = 'L1'"],
    ids=["delete", "rename"],
)
def test_a_listener_with_streams_cannot_be_deleted_or_renamed(stored_event: StreamEvent, sql: str) -> None:
    # Stream events keep their listener by trigger, not by a foreign key (migration 0004).
    with (
        pytest.raises(IntegrityError, match="listener L1 has stream events"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert Listener.objects.filter(id="L1").exists()


@pytest.mark.postgres
def test_a_listener_without_streams_can_still_be_renamed_and_deleted(stored_event: StreamEvent) -> None:
    ListenerFactory.create(id="L2", display_name="Ada")

    Listener.objects.filter(id="L1").update(display_name="kept")  # other columns stay editable
    with connection.cursor() as cursor:
        cursor.execute("UPDATE streams_listener SET id = 'L3' WHERE id = 'L2'")
        cursor.execute("DELETE FROM streams_listener WHERE id = 'L3'")

    assert list(Listener.objects.values_list("id", "display_name")) == [("L1", "kept")]
