"""A worker SIGKILLed while it applies batches: the estimates end up as if nothing happened.

`test_live_pools` checks a killed worker's estimates against docs/rules.md §2 computed by
hand (within 0.0001). Here the kill lands at the worst moment, after a batch was written
to Redis and before PostgreSQL recorded it, and the result is compared key by key with an
undisturbed run of the same events: the same integers, not merely close ones.
"""

import random
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from streams.live import store
from streams.models import IngestBatch
from streams.tasks import batches_sweep
from tests.servers import monitor
from tests.streams.faults import live_state, waiting_on
from tests.streams.test_live_pools import MONTH, all_applied, assert_live_matches, catalog, events, pools_for
from tests.workers import WorkerProcess, wait_until, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.fault, pytest.mark.django_db(transaction=True)]

PLAYS = [
    (f"L{n}", ("QZKPX2600001", "QZKPX2600002", "ZZXXX2600009")[n % 3], 1 + n % 6) for n in range(400)
] + [(f"L{n}", "QZKPX2600002", 3) for n in range(0, 400, 3)]
PART = 100


def post(ingest_api: APIClient, parts: list[list[dict[str, Any]]]) -> None:
    for part in parts:
        answer = ingest_api.post("/api/v1/streams", part, format="json")
        assert answer.status_code == 202 and answer.json()["accepted"] == len(part)


def test_a_worker_killed_between_redis_and_postgresql_counts_every_batch_once(
    live_store: str,
    celery_worker_process: WorkerProcess,
    start_worker: Any,
    admin_api: APIClient,
    ingest_api: APIClient,
) -> None:
    catalog(admin_api)
    body = events(PLAYS)
    random.Random(11).shuffle(body)
    parts = [body[i : i + PART] for i in range(0, len(body), PART)]
    half = len(parts) // 2

    # 1. Revenue is read just before a task writes to Redis: holding its table parks the
    #    worker's two processes there while the first half of the batches arrives.
    revenue_lock = psycopg.connect(worker_database_url())
    batch_rows = psycopg.connect(worker_database_url())
    with monitor() as watch:
        try:
            revenue_lock.execute("LOCK TABLE streams_revenuerecord IN ACCESS EXCLUSIVE MODE")
            post(ingest_api, parts[:half])
            wait_until(lambda: len(waiting_on(watch, "streams_revenuerecord")) >= 2, timeout=30)
            # 2. Locking the batch rows, then letting revenue go: both tasks write to Redis
            #    and wait to record `applied_at`. That is when the worker dies.
            batch_rows.execute("SELECT 1 FROM streams_ingestbatch FOR UPDATE")
            revenue_lock.rollback()
            wait_until(lambda: len(waiting_on(watch, "streams_ingestbatch")) >= 2, timeout=30)
            celery_worker_process.kill()
            # PostgreSQL notices a dead client only when it next talks to it; end the dead
            # worker's sessions so their UPDATEs do not complete after the fact.
            for pid in waiting_on(watch, "streams_ingestbatch"):
                watch.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            revenue_lock.rollback()
            revenue_lock.close()
            batch_rows.rollback()
            batch_rows.close()

    # The scenario really happened: batches in Redis that PostgreSQL says are not applied.
    unrecorded = IngestBatch.objects.filter(applied_at__isnull=True).values_list("pk", flat=True)
    in_redis = [b for b in unrecorded if store.batch_seen(MONTH, str(b))]
    assert len(in_redis) >= 2

    post(ingest_api, parts[half:])  # the second half arrives while no worker runs
    start_worker()
    # The killed worker's messages come back only after the broker's visibility timeout
    # (an hour); the periodic sweep sends their batches again long before.
    batches_sweep.apply(kwargs={"older_than_seconds": 0})
    wait_until(all_applied, timeout=90)
    pools: dict[str, Decimal] = pools_for({f"L{n}": "14.99" for n in range(400)})
    assert_live_matches(PLAYS, pools)
    disturbed = live_state(MONTH)

    # The undisturbed run: the same stored batches applied again from an empty month by a
    # worker nobody kills.
    store.clear_month(MONTH)
    IngestBatch.objects.update(applied_at=None)
    batches_sweep.apply(kwargs={"older_than_seconds": 0})
    wait_until(all_applied, timeout=90)
    assert live_state(MONTH) == disturbed


def test_a_worker_whose_database_connections_were_cut_applies_the_next_batches(
    live_store: str, celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient
) -> None:
    """Workers keep their connection between tasks; one the server dropped (a restart, a
    failover, an idle timeout) is replaced before the next task, not reported by it."""
    catalog(admin_api)
    body = events(PLAYS)
    parts = [body[i : i + PART] for i in range(0, len(body), PART)]
    half = len(parts) // 2
    post(ingest_api, parts[:half])
    wait_until(all_applied, timeout=60)

    with monitor() as watch, connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (mine,) = cursor.fetchone()
        cut = watch.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
            [mine],
        ).fetchall()
    assert cut, "the workers held no connection to cut"

    post(ingest_api, parts[half:])
    wait_until(all_applied, timeout=30)  # no sweep: every task succeeded the first time
    assert_live_matches(PLAYS, pools_for({f"L{n}": "14.99" for n in range(400)}))
