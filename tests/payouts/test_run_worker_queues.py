"""Workers and queues with a real Celery worker, PostgreSQL and Redis: `celery -A kalipxo
worker` with no -Q takes payout runs; a worker narrowed with -Q to other queues leaves a
run queued, and the API and the console say so, with the command that fixes it."""

import re
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from payouts.models import PayoutRun
from payouts.run.tasks import payout_runs_resume_task
from streams.tasks import batches_sweep
from tests.payouts.months import MONTH, Month, push
from tests.workers import STARTED, WorkerProcess, broker_reset, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SMALL = Month(plays=[("L1", "QZKPX2600001", 5), ("L2", "QZKPX2600002", 3)], paid={"L1": "9.99", "L2": "4.99"})


def status_of(admin: APIClient, run_id: int) -> dict[str, Any]:
    answer = admin.get(f"/api/v1/payout-runs/{run_id}")
    assert answer.status_code == 200
    return answer.json()


def test_a_worker_started_without_q_takes_every_queue_and_computes_a_run(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    assert celery_worker_process.queues is None  # started as `celery -A kalipxo worker`
    banner = celery_worker_process.output()
    for queue in ("default", "live", "payouts"):
        assert re.search(rf"\.> {queue}\s+exchange={queue}", banner), banner[-2000:]
    push(SMALL, admin=admin_api, ingest=ingest_api, billing=billing_api)
    run_id = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()["id"]
    wait_until(lambda: status_of(admin_api, run_id)["status"] == "computed", timeout=60, interval=0.2)
    assert status_of(admin_api, run_id)["waiting"] is None


def test_a_run_no_worker_takes_says_so_until_one_is_started(
    _worker_session: list[WorkerProcess],
    live_redis: None,
    admin_api: APIClient,
    ingest_api: APIClient,
    billing_api: APIClient,
    settings: Any,
) -> None:
    for worker in STARTED:  # nothing may consume `payouts` but what this test starts
        worker.stop()
    live_only = WorkerProcess(queues="live").start()
    _worker_session.append(live_only)
    push(SMALL, admin=admin_api, ingest=ingest_api, billing=billing_api)
    run_id = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()["id"]
    # The live worker applies the plays meanwhile; the run's task stays in `payouts`.
    wait_until(lambda: b"streams.batch_apply" in live_only.log.read_bytes(), timeout=30)
    assert status_of(admin_api, run_id)["status"] == "queued"
    # A minute goes by (the run's clock is moved rather than the test waiting it out).
    PayoutRun.objects.filter(pk=run_id).update(updated_at=timezone.now() - timedelta(seconds=90))
    waiting = status_of(admin_api, run_id)["waiting"]
    assert (
        waiting.startswith("No worker has taken this run's task for 9")
        and "celery -A kalipxo worker" in waiting
    )
    console = Client()
    console.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-42-long"))
    page = console.get(f"/console/runs/{run_id}/")
    assert page.status_code == 200 and '"waiting": "No worker has taken' in page.content.decode()

    everything = WorkerProcess().start()  # the usual command, no -Q
    _worker_session.append(everything)
    wait_until(lambda: status_of(admin_api, run_id)["status"] == "computed", timeout=60, interval=0.2)
    assert status_of(admin_api, run_id)["waiting"] is None
    live_only.stop()


def test_each_task_is_delivered_to_its_own_queue_once(_worker_session: list[WorkerProcess]) -> None:
    """Three queues bound to one routing key would each get a copy of every message."""
    for worker in STARTED:
        worker.stop()
    broker_reset()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    payout_runs_resume_task.apply_async(kwargs={"older_than_seconds": 3600.0})
    batches_sweep.apply_async()
    assert {name: client.llen(name) for name in ("default", "live", "payouts")} == {
        "default": 0,
        "live": 1,
        "payouts": 1,
    }
    broker_reset()
