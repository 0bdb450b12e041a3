"""PostgreSQL sessions lost under a running service: a retryable 503, never a 500 or half a batch.

The service runs under gunicorn (one sync worker, so one persistent PostgreSQL session)
on the test database. A second session holds a table lock so that the service's ingest
statement waits inside its transaction; the test then ends the service's session with
`pg_terminate_backend`, which is what a database restart or failover does to it.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from django.conf import settings

from artists.models import ApiClient
from artists.tokens import api_client_create
from streams.models import IngestBatch, Listener, StreamEvent
from tests.servers import Answer, WebServer, monitor, sessions
from tests.workers import wait_until, worker_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.fault, pytest.mark.django_db(transaction=True)]

WHEN = datetime.now(UTC).replace(day=1, hour=0, minute=30).isoformat()


@pytest.fixture(scope="module")
def web(django_db_setup: None) -> Iterator[WebServer]:
    server = WebServer(redis_url=settings.REDIS_URL, workers=1).start()
    yield server
    server.stop()


@pytest.fixture
def token(db: None) -> str:
    return api_client_create(name="player", role=ApiClient.Role.INGEST)[1]


def batch(prefix: str, size: int) -> list[dict[str, Any]]:
    return [
        {"event_id": f"{prefix}-{n}", "listener": f"{prefix}-L{n % 37}", "isrc": "QZKPX2600001",
         "started_at": WHEN, "duration_ms": 180_000, "country": "US", "tier": "premium"}
        for n in range(size)
    ]  # fmt: skip


def stored(events: list[dict[str, Any]]) -> int:
    return StreamEvent.objects.filter(event_id__in=[e["event_id"] for e in events]).count()


def assert_retryable(answer: Answer) -> None:
    assert answer.status == 503, (answer.status, answer.body)
    assert float(answer.headers["retry-after"]) > 0
    assert "detail" in answer.body


def assert_stored_once(web: WebServer, events: list[dict[str, Any]], token: str) -> None:
    """Sent again, the batch is stored whole, exactly once; a third time changes nothing."""
    again = web.post("/api/v1/streams", events, token=token)
    assert again.status == 202, (again.status, again.body)
    assert again.body == {"accepted": len(events), "duplicates": 0, "rejected": []}
    assert stored(events) == len(events)
    assert list(IngestBatch.objects.values_list("events", flat=True)) == [len(events)]
    third = web.post("/api/v1/streams", events, token=token)
    assert third.body == {"accepted": 0, "duplicates": len(events), "rejected": []}
    assert stored(events) == len(events)


# The ingest writes listeners, events and the batch row (one statement today, three in a
# transaction before): wherever the write waits, dropping the session must leave nothing.
@pytest.mark.parametrize("table", ["streams_ingestbatch", "streams_streamevent", "streams_listener"])
def test_a_session_dropped_inside_the_ingest_transaction_is_a_503_and_stores_nothing(
    web: WebServer, token: str, table: str
) -> None:
    events = batch(f"drop-{table}", 300)
    blocker = psycopg.connect(worker_database_url())
    try:
        blocker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as pool, monitor() as watch:
            pending = pool.submit(web.post, "/api/v1/streams", events, token=token)
            waiting: list[int] = []

            def service_waits_on_the_lock() -> bool:
                waiting[:] = [pid for pid, _, wait in sessions(watch, web.application_name) if wait == "Lock"]
                return bool(waiting) or pending.done()

            wait_until(service_waits_on_the_lock, timeout=30)
            assert waiting, pending.result()  # answered without waiting: the lock missed the ingest
            watch.execute("SELECT pg_terminate_backend(%s)", [waiting[0]])
            answer = pending.result(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()

    assert_retryable(answer)
    assert stored(events) == 0
    assert not IngestBatch.objects.exists()
    assert not Listener.objects.filter(id__startswith=f"drop-{table}").exists()
    assert_stored_once(web, events, token)


def test_a_session_dropped_between_requests_is_replaced_by_the_next_request(
    web: WebServer, token: str
) -> None:
    first = batch("idle-1", 50)
    assert web.post("/api/v1/streams", first, token=token).status == 202
    with monitor() as watch:
        before = [pid for pid, _, _ in sessions(watch, web.application_name)]
        assert len(before) == 1  # one sync worker keeps one persistent session
        watch.execute("SELECT pg_terminate_backend(%s)", [before[0]])
        wait_until(lambda: not sessions(watch, web.application_name), timeout=10)

        second = batch("idle-2", 50)
        answer = web.post("/api/v1/streams", second, token=token)
        assert answer.status == 202, (answer.status, answer.body)
        assert answer.body["accepted"] == 50
        assert stored(second) == 50
        after = [pid for pid, _, _ in sessions(watch, web.application_name)]
        assert after and after != before  # a new session, not the dead one


def test_an_unreachable_database_is_a_503_until_it_is_back(web: WebServer, token: str) -> None:
    events = batch("down", 100)
    name = settings.DATABASES["default"]["NAME"]
    with monitor() as watch, monitor(database="postgres") as admin:
        # New sessions are refused and the service's current one is ended: the database
        # is down as far as the service can tell (this test's own session stays open).
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            for pid, _, _ in sessions(watch, web.application_name):
                watch.execute("SELECT pg_terminate_backend(%s)", [pid])
            wait_until(lambda: not sessions(watch, web.application_name), timeout=10)
            answers = [web.post("/api/v1/streams", events, token=token) for _ in range(2)]
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    for answer in answers:
        assert_retryable(answer)
    assert stored(events) == 0
    assert_stored_once(web, events, token)
