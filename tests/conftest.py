"""Shared fixtures: API clients per role, catalog factories, and service availability."""

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from artists.models import ApiClient
from artists.tokens import api_client_create
from tests.factories import ArtistFactory, DistributorFactory
from tests.mail import Inbox, SmtpServer
from tests.servers import RedisClusterNodes
from tests.workers import STARTED, WorkerProcess, broker_reset, workers_drain

ApiFactory = Callable[..., APIClient]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests whose real services are not configured (the suite also runs on SQLite)."""
    has_redis = bool(os.environ.get("REDIS_URL"))
    has_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    for item in items:
        if not has_redis and ("redis" in item.keywords or "worker" in item.keywords):
            item.add_marker(pytest.mark.skip(reason="needs REDIS_URL"))
        if not has_postgres and ("postgres" in item.keywords or "worker" in item.keywords):
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL pointing at PostgreSQL"))


@pytest.fixture(autouse=True)
def _no_requests_counted_yet() -> None:
    """Rate limits start from zero: client ids repeat between tests (SQLite rolls them back)."""
    from django.core.cache import cache

    if settings.REDIS_URL:
        client = cache._cache.get_client()  # type: ignore[attr-defined]
        keys = [
            key
            for pattern in ("*kx:throttle:*", "*allauth:rl:*")
            for key in client.scan_iter(match=pattern, count=1000)
        ]
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture
def api_as(db: None) -> ApiFactory:
    """Make a DRF test client that sends a fresh bearer token for a role."""
    counter = iter(range(1_000_000))

    def make(role: str, *, distributor: str | None = None, artist: str | None = None) -> APIClient:
        _, token = api_client_create(
            name=f"{role}-{next(counter)}", role=role, distributor_name=distributor, artist_id=artist
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def admin_api(api_as: ApiFactory) -> APIClient:
    """A client with the admin role."""
    return api_as(ApiClient.Role.ADMIN)


@pytest.fixture
def ingest_api(api_as: ApiFactory) -> APIClient:
    """A client with the ingest role (player platform)."""
    return api_as(ApiClient.Role.INGEST)


@pytest.fixture
def billing_api(api_as: ApiFactory) -> APIClient:
    """A client with the billing role."""
    return api_as(ApiClient.Role.BILLING)


@pytest.fixture
def distributor_api(api_as: ApiFactory) -> APIClient:
    """A client for the distributor named 'Distro One'."""
    return api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro One")


@pytest.fixture
def anon_api() -> APIClient:
    """A client with no credentials."""
    return APIClient()


@pytest.fixture
def is_postgres(db: None) -> bool:
    """Whether the tests run on PostgreSQL."""
    return connection.vendor == "postgresql"


__all__ = ["ArtistFactory", "DistributorFactory"]


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


BUSY_SESSIONS = """
    SELECT pid, state, left(query, 300) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_type = 'client backend' AND state <> 'idle'
"""


def _database_quiet_wait(*, timeout: float = 60) -> None:
    """Wait until no other session of the test database is inside a statement or a
    transaction (an idle connection holds no table lock)."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(BUSY_SESSIONS)
            busy = cursor.fetchall()
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"sessions still at work on the test database after {timeout}s: {busy}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _background_work_ends_with_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """What a test set going in the background (a worker's tasks and the steps they send,
    a request the live server is still answering) is over before the database is flushed:
    TRUNCATE under another session's query deadlocks. Requesting the database first puts
    this teardown before the flush."""
    transactional = _is_transactional(request)
    if transactional:
        request.getfixturevalue("transactional_db")
    yield
    # Twice: a request the live server finishes meanwhile may send work of its own.
    for _ in range(2):
        if any(worker.running for worker in STARTED):
            workers_drain()
        if transactional and connection.vendor == "postgresql":
            _database_quiet_wait()


@pytest.fixture
def live_redis() -> Iterator[None]:
    """Empty live pools before and after the test (only Kalipxo's keys, not the queues)."""
    from streams.live import store

    def clear() -> None:
        keys = list(store.client().scan_iter(match="kx:*", count=5000))
        if keys:
            store.client().unlink(*keys)

    clear()
    yield
    clear()


@pytest.fixture(scope="session")
def _live_cluster() -> Iterator[RedisClusterNodes]:
    """A 3-node Redis Cluster for the live pools, started once for the tests that ask."""
    cluster = RedisClusterNodes().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["one Redis", "Redis Cluster"])
def live_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test twice: with the live pools on the suite's Redis, then on a Redis Cluster
    (the broker stays). Ask for it before any worker fixture, so the worker uses it too."""
    from django.test import override_settings

    from streams.live import store

    if request.param == "one Redis":
        yield request.param
        return
    cluster = request.getfixturevalue("_live_cluster")
    with override_settings(LIVE_REDIS_URL=cluster.url, LIVE_REDIS_CLUSTER=True):
        store.reset_client()
        try:
            yield request.param
        finally:
            store.reset_client()


@pytest.fixture(scope="session")
def _worker_session(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[WorkerProcess]]:
    """Started workers of the session, stopped at its end."""
    broker_reset()  # messages left by an earlier session refer to rows that are gone
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()
    broker_reset()  # a killed worker's unacknowledged messages would haunt the next session


@pytest.fixture
def celery_worker_process(_worker_session: list[WorkerProcess], live_redis: None) -> WorkerProcess:
    """A running real Celery worker (a fresh one if a test killed the previous one, or if
    the test keeps its live pools elsewhere, see `live_store`)."""
    live = (settings.LIVE_REDIS_URL, settings.LIVE_REDIS_CLUSTER)
    for worker in _worker_session:
        if worker.running and worker.live != live:
            worker.stop()
    running = [w for w in _worker_session if w.running]
    if running:
        return running[0]
    worker = WorkerProcess().start()
    _worker_session.append(worker)
    return worker


@pytest.fixture
def start_worker(_worker_session: list[WorkerProcess]) -> Callable[[], WorkerProcess]:
    """Start another real worker (e.g. after killing one)."""

    def start() -> WorkerProcess:
        worker = WorkerProcess().start()
        _worker_session.append(worker)
        return worker

    return start


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(_smtp_server: SmtpServer, settings: Any) -> Inbox:
    """Mail goes through Django's SMTP backend to a real SMTP server; read it from the inbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    _smtp_server.inbox.clear()
    return _smtp_server.inbox
