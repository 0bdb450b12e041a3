"""Redis restarted or flushed in the middle of ingestion: no event lost, estimates recover.

The service (gunicorn) and a real Celery worker run on a private `redis-server` started
here without persistence, so a restart really comes back empty and the machine's shared
Redis is never touched. Ingestion goes on through the outage; every event must be in
PostgreSQL, and once the sweep has caught up the live estimates must equal an exact
recomputation and a from-scratch `rebuild_live_pools`. Every test runs twice: with the live
pools on that one Redis, and on a 3-node Redis Cluster of their own, one node of which
fails instead (restarted empty, or every node flushed).
"""

import contextlib
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import redis
from django.test import override_settings
from rest_framework.test import APIClient

from artists.models import ApiClient
from artists.tokens import api_client_create
from kalipxo.celery import app
from streams.live import pricing, store
from streams.models import IngestBatch, StreamEvent
from streams.tasks import revenue_apply
from tests.servers import Answer, RedisClusterNodes, RedisServer, WebServer, manage, monitor, service_env
from tests.streams.faults import live_state, send_sweep, waiting_on
from tests.streams.test_live_pools import MONTH, all_applied, assert_live_matches, catalog, events, pools_for
from tests.workers import WorkerProcess, wait_until, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.fault, pytest.mark.django_db(transaction=True)]

PLAYS = [
    (f"L{n}", ("QZKPX2600001", "QZKPX2600002", "ZZXXX2600009")[n % 3], 1 + n % 9) for n in range(300)
] + [(f"L{n}", "QZKPX2600001", 2) for n in range(0, 300, 7)]
PART = 100  # events per request


@dataclass
class Stack:
    redis: RedisServer  # the broker's, and the live pools' unless `cluster`
    web: WebServer
    worker: WorkerProcess
    cluster: RedisClusterNodes | None

    def env(self) -> dict[str, str]:
        if self.cluster is None:
            return service_env(redis_url=self.redis.url)
        return service_env(redis_url=self.redis.url, live_url=self.cluster.url, live_cluster=True)

    # With one Redis, the broker and the live pools fail together. With the cluster, a node
    # of the live pools fails and the broker stays (its own outage is the first case).
    def kill(self) -> None:
        if self.cluster is None:
            self.redis.kill()
        else:
            self.cluster.nodes[1].kill()

    def start(self) -> None:
        if self.cluster is None:
            self.redis.start()
        else:
            self.cluster.nodes[1].start()
            self.cluster.wait_ok()

    def restart(self) -> None:
        self.kill()
        self.start()

    def flush(self) -> None:
        if self.cluster is None:
            redis.Redis.from_url(self.redis.url).flushall()
        else:
            for node in self.cluster.nodes:
                redis.Redis(port=node.port).flushall()


class WorkerSupervisor(threading.Thread):
    """Starts the worker again when it exits on its own, as a process supervisor does in a
    deployment. Kombu's Redis transport can end the worker while it reconnects to a broker
    that came back ("Unrecoverable error: 'NoneType' object has no attribute 'hostname'");
    what these tests check is that no event or revenue is lost and the estimates recover,
    which must hold whichever worker process applies them."""

    def __init__(self, worker: WorkerProcess) -> None:
        super().__init__(daemon=True)
        self.worker = worker
        self.done = threading.Event()
        self.restarts = 0

    def run(self) -> None:
        while not self.done.wait(0.5):
            if not self.worker.running:
                self.restarts += 1
                # While the broker is still down the start fails: tried again next round.
                with contextlib.suppress(RuntimeError, AssertionError):
                    self.worker.start()

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=90)


@pytest.fixture(scope="module", params=["one Redis", "Redis Cluster"])
def stack(request: pytest.FixtureRequest, django_db_setup: None) -> Iterator[Stack]:
    """A private Redis, and the service and a worker that use it (so does this process's
    live store, to read the estimates); with the cluster, the live pools are on a 3-node
    Redis Cluster of their own and the Redis stays the broker."""
    redis_server = RedisServer()
    cluster = RedisClusterNodes() if request.param == "Redis Cluster" else None
    override = None
    started: list[WebServer | WorkerProcess] = []
    supervisor = None
    try:
        # Started inside the `try`, so a failure on the way stops whatever did start.
        redis_server.start()
        if cluster is not None:
            cluster.start()
        live_url = cluster.url if cluster else redis_server.url
        override = override_settings(
            REDIS_URL=redis_server.url, LIVE_REDIS_URL=live_url, LIVE_REDIS_CLUSTER=cluster is not None
        )
        override.enable()
        store.reset_client()
        worker = WorkerProcess()
        started.append(worker)
        worker.start()
        web = WebServer(redis_url=redis_server.url, live_url=live_url, live_cluster=cluster is not None)
        started.append(web)
        web.start()
        supervisor = WorkerSupervisor(worker)
        supervisor.start()
        yield Stack(redis_server, web, worker, cluster)
    finally:
        if supervisor is not None:
            supervisor.stop()
        for process in reversed(started):
            process.stop()
        if override is not None:
            override.disable()
        store.reset_client()
        redis_server.kill()
        if cluster is not None:
            cluster.stop()


def forget_live_state() -> None:
    """Only Kalipxo's keys: the broker's queues and bindings stay, as in production."""
    keys = list(store.client().scan_iter(match="kx:*", count=5000))
    if keys:
        store.client().unlink(*keys)


class Player:
    """A player platform posting `body` through the service, `PART` events a request."""

    def __init__(self, web: WebServer, body: list[dict[str, Any]]) -> None:
        self.web = web
        self.body = body
        self.parts = [body[i : i + PART] for i in range(0, len(body), PART)]
        self.token = api_client_create(name="player", role=ApiClient.Role.INGEST)[1]
        self.answers: list[Answer] = []

    def post(self, first: int, last: int | None = None) -> None:
        for part in self.parts[first:last]:
            self.answers.append(self.web.post("/api/v1/streams", part, token=self.token))

    def assert_all_stored(self) -> None:
        """Every request answered 202 and every event is in PostgreSQL, exactly once."""
        statuses = [a.status for a in self.answers]
        assert statuses == [202] * len(self.parts), [a.body for a in self.answers if a.status != 202]
        assert sum(a.body["accepted"] for a in self.answers) == len(self.body)
        assert StreamEvent.objects.count() == len(self.body)
        sent = {e["event_id"] for e in self.body}
        assert set(StreamEvent.objects.values_list("event_id", flat=True)) == sent


def assert_estimates_exact(paid: dict[str, str] | None = None) -> None:
    """The live estimates equal docs/rules.md §2 computed by hand (tests.streams.test_live_pools)."""
    listeners = {f"L{n}": "14.99" for n in range(300)} | (paid or {})
    assert_live_matches(PLAYS, pools_for(listeners))
    streams = {"art-1": 0, "art-2": 0}
    for _, isrc, count in PLAYS:
        if isrc in ("QZKPX2600001", "QZKPX2600002"):
            streams["art-1" if isrc == "QZKPX2600001" else "art-2"] += count
    assert {a: pricing.read_artist(month=MONTH, artist_id=a).streams for a in streams} == streams


def catch_up(stack: Stack) -> None:
    """What beat does after an outage: the sweep enqueues batches whose messages died."""
    send_sweep(stack.redis.url)
    wait_until(all_applied, timeout=60)


@pytest.mark.parametrize("fault", ["restart", "flush"])
def test_redis_lost_mid_ingestion_loses_no_event_and_the_estimates_recover(
    stack: Stack, admin_api: APIClient, fault: str
) -> None:
    forget_live_state()
    catalog(admin_api)
    body = events(PLAYS)
    random.Random(7).shuffle(body)
    player = Player(stack.web, body)
    player.post(0, 4)
    wait_until(lambda: IngestBatch.objects.filter(applied_at__isnull=False).exists(), timeout=60)

    # Holding `streams_closedmonth` stops the worker's batch tasks after they read their
    # events and before they look at Redis: the outage lands while both are in flight.
    blocker = psycopg.connect(worker_database_url())
    try:
        blocker.execute("LOCK TABLE streams_closedmonth IN ACCESS EXCLUSIVE MODE")
        player.post(4, 7)
        with monitor() as watch:
            wait_until(lambda: len(waiting_on(watch, "streams_closedmonth")) >= 2, timeout=30)
        if fault == "restart":
            stack.kill()
            player.post(7, 9)  # ingestion goes on while Redis is down
            stack.start()
        else:
            stack.flush()
            player.post(7, 9)
    finally:
        blocker.rollback()
        blocker.close()
    player.post(9)

    player.assert_all_stored()
    catch_up(stack)
    assert_estimates_exact()
    recovered = live_state(MONTH)

    out = manage("rebuild_live_pools", f"{MONTH:%Y-%m}", env=stack.env())
    assert f"Rebuilt {MONTH:%Y-%m}" in out
    assert live_state(MONTH) == recovered  # the automatic recovery left nothing to repair
    assert_estimates_exact()


def test_redis_restarted_between_a_batch_state_check_and_its_update(
    stack: Stack, admin_api: APIClient
) -> None:
    """The unlucky moment: the task found the month in Redis, then Redis restarted empty
    before the task wrote to it. Writing the batch alone would leave a partial month that
    every later batch builds on."""
    forget_live_state()
    catalog(admin_api)
    player = Player(stack.web, events(PLAYS))
    player.post(0, 4)
    wait_until(all_applied, timeout=60)
    # Revenue is read after the task has looked for the month and before it writes.
    blocker = psycopg.connect(worker_database_url())
    try:
        blocker.execute("LOCK TABLE streams_revenuerecord IN ACCESS EXCLUSIVE MODE")
        player.post(4, 6)
        with monitor() as watch:
            wait_until(lambda: len(waiting_on(watch, "streams_revenuerecord")) >= 2, timeout=30)
        stack.restart()
    finally:
        blocker.rollback()
        blocker.close()
    player.post(6)

    player.assert_all_stored()
    catch_up(stack)
    assert_estimates_exact()


def test_revenue_recorded_after_a_redis_restart_does_not_hide_the_lost_month(
    stack: Stack, admin_api: APIClient
) -> None:
    forget_live_state()
    catalog(admin_api)
    player = Player(stack.web, events(PLAYS))
    player.post(0, 4)
    wait_until(all_applied, timeout=60)
    stack.restart()

    billing = api_client_create(name="billing", role=ApiClient.Role.BILLING)[1]
    record = {"id": "inv-L1", "listener": "L1", "month": f"{MONTH:%Y-%m}", "source": "subscription",
              "plan": "premium", "country": "US", "gross": "4.99", "tax": "0.00", "fees": "0.00"}  # fmt: skip
    assert stack.web.post("/api/v1/revenue", record, token=billing).status == 201
    # The service's first publish after the restart may fail (it says so and goes on); the
    # update is sent here as well so that it reaches the worker either way.
    with app.connection_for_write(stack.redis.url) as connection:
        app.send_task(revenue_apply.name, args=(f"{MONTH:%Y-%m}", ["L1"]), connection=connection)
    wait_until(lambda: store.month_exists(MONTH), timeout=30)
    player.post(4)

    player.assert_all_stored()
    catch_up(stack)
    assert_estimates_exact({"L1": "4.99"})


def test_the_update_script_writes_nothing_to_a_month_redis_lost(stack: Stack) -> None:
    """The check behind the recoveries above is made inside the script, atomically with
    the write: no gap between looking for the month and writing to it."""
    forget_live_state()
    update = {"L1": {"plan": 1000, "n": 1, "w": {"b:art-2": 1}}}
    # A batch task that saw the month, and a rebuild whose flag went with a restart.
    assert store.apply_update(month=MONTH, payload=update, marker="b1", existing=True) == "lost"
    assert store.apply_update(month=MONTH, payload=update, rebuild="gone-token") == "lost"
    assert live_state(MONTH) == {}  # not even the batch marker
    # The month's very first update, then a later one.
    assert store.apply_update(month=MONTH, payload=update, marker="b1") == "ok"
    assert store.apply_update(month=MONTH, payload=update, marker="b2", existing=True) == "ok"
    assert pricing.read_artist(month=MONTH, artist_id="art-2").streams == 2


def test_a_rebuild_that_lost_its_flag_stops_writing(stack: Stack) -> None:
    """A rebuild's writes need its own token on the month's flag: after the flag expired
    it makes the month read as missing; once another rebuild holds it, it changes nothing."""
    forget_live_state()
    update = {"L1": {"plan": 1000, "n": 1, "w": {"b:art-2": 1}}}
    first = store.take_rebuild_flag(MONTH)
    assert first and store.take_rebuild_flag(MONTH) is None  # one rebuild at a time
    assert store.apply_update(month=MONTH, payload=update, rebuild=first) == "ok"
    assert store.apply_update(month=MONTH, payload=update, marker="b1") == "busy"  # batches wait

    store.client().delete(*store.rebuild_flags(MONTH))  # as if they expired
    assert store.apply_update(month=MONTH, payload=update, rebuild=first) == "lost"
    assert not store.month_exists(MONTH)  # partial: the next update rebuilds the month

    second = store.take_rebuild_flag(MONTH)
    assert second
    assert store.apply_update(month=MONTH, payload=update, rebuild=second) == "ok"
    before = live_state(MONTH)
    assert store.apply_update(month=MONTH, payload=update, rebuild=first) == "lost"
    store.release_rebuild_flag(MONTH, first)  # the stale holder cannot release the new flag
    assert live_state(MONTH) == before and store.rebuilding(MONTH)
    store.release_rebuild_flag(MONTH, second)
    assert not store.rebuilding(MONTH)
