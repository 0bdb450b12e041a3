"""Payout runs end to end with real Celery workers, PostgreSQL and Redis (docs/rules.md §4).

The month goes in through the public API, holds are decided through the API, and every
payee amount is compared to the cent with docs/rules.md §2 computed by hand (tests.payouts.months).
"""

import csv
import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from artists.models import ApiClient
from ledger.models import LedgerPosting, LedgerTransaction
from payouts.models import PayeeResult, PayoutRun, SuspenseResult
from streams.models import ClosedMonth
from tests.payouts.months import MONTH, Month, cents, expected_payouts, push
from tests.workers import WorkerProcess, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MONTH_WITH_EVERYTHING = Month(
    plays=[
        ("L1", "QZKPX2600001", 7), ("L1", "QZKPX2600002", 3), ("L1", "ZZXXX2600009", 2),
        ("L2", "QZKPX2600003", 5), ("L2", "QZKPX2600001", 1),
        ("L3", "QZKPX2600002", 3, 4, 29_999),  # too short to count
        ("L4", "QZKPX2600002", 9),  # no revenue recorded: pool 0, streams still count
        ("L6", "QZKPX2600003", 4, 6, 180_000, "d-shared"),
        ("L7", "QZKPX2600001", 2, 6, 180_000, "d-shared"),
        ("L8", "QZKPX2600002", 2, 6, 180_000, "d-shared"),  # three listeners, one device
        ("BOT", "QZKPX2600002", 40, 9),  # 40 plays of one track in a day
    ],
    paid={"L1": "9.99", "L2": "14.99", "L3": "4.99", "L5": "7.00", "L6": "14.99", "L7": "14.99",
          "L8": "9.99", "BOT": "14.99"},
)  # fmt: skip


@pytest.fixture
def small_limits(settings: Any) -> None:
    """Fraud limits a small month can cross, and several chunks for a few listeners."""
    settings.FRAUD_MAX_STREAMS_PER_DAY = 30
    settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY = 20
    settings.FRAUD_MAX_LISTENERS_PER_DEVICE = 2
    settings.PAYOUT_RUN_CHUNKS = 3


def run_of(admin: APIClient, run_id: int) -> dict[str, Any]:
    answer = admin.get(f"/api/v1/payout-runs/{run_id}")
    assert answer.status_code == 200
    return answer.json()


def wait_for(admin: APIClient, run_id: int, status: str, *, timeout: float = 60) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def reached() -> bool:
        seen.update(run_of(admin, run_id))
        assert seen["status"] != "failed", seen
        return seen["status"] == status

    wait_until(reached, timeout=timeout, interval=0.2)
    return seen


def payouts_csv(admin: APIClient, run_id: int) -> dict[str, dict[str, str]]:
    answer = admin.get(f"/api/v1/payout-runs/{run_id}/payouts.csv")
    assert answer.status_code == 200
    text = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    return {row["payee"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_month_through_the_api_with_holds_decided_through_the_api(
    celery_worker_process: WorkerProcess,
    small_limits: None,
    admin_api: APIClient,
    ingest_api: APIClient,
    billing_api: APIClient,
) -> None:
    push(MONTH_WITH_EVERYTHING, admin=admin_api, ingest=ingest_api, billing=billing_api)
    created = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json")
    assert created.status_code == 202 and created.json()["status"] == "queued"
    run_id = created.json()["id"]

    run = wait_for(admin_api, run_id, "review")
    holds = {h["listener"]: h for h in admin_api.get(f"/api/v1/payout-runs/{run_id}/holds").json()}
    assert set(holds) == {"BOT", "L6", "L7", "L8"}
    assert run["totals"]["holds_pending"] == 4
    assert "QZKPX2600002 played 40 times on 2026-10-09 (limit 20)" in holds["BOT"]["reason"]
    assert "40 streams on 2026-10-09 (limit 30)" in holds["BOT"]["reason"]
    assert holds["L6"]["evidence"]["shared_device"] == {"device": "d-shared", "listeners": 3}
    assert admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize").status_code == 409

    url = f"/api/v1/payout-runs/{run_id}/holds"
    assert (
        admin_api.post(f"{url}/{holds['BOT']['id']}", {"decision": "reject"}, format="json").status_code
        == 200
    )
    for listener in ("L6", "L7", "L8"):
        answer = admin_api.post(f"{url}/{holds[listener]['id']}", {"decision": "release"}, format="json")
        assert answer.status_code == 200

    run = wait_for(admin_api, run_id, "computed")
    want = expected_payouts(MONTH_WITH_EVERYTHING.plays, MONTH_WITH_EVERYTHING.paid, rejected={"BOT"})
    rows = payouts_csv(admin_api, run_id)
    assert {payee: cents(row["amount"]) for payee, row in rows.items()} == want.payees
    assert {payee: int(row["streams"]) for payee, row in rows.items()} == want.payee_streams
    totals = run["totals"]
    assert cents(totals["pools"]) == want.total
    assert cents(totals["retained"]) == want.retained
    assert cents(totals["suspense"]) == sum(want.suspense.values())
    assert cents(totals["allocated"]) + cents(totals["suspense"]) + cents(totals["retained"]) == want.total
    assert run["progress"] == 1

    first = admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize")
    again = admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize")
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == again.json()["status"] == "finalized"
    late = {"id": "inv-late", "listener": "L1", "month": MONTH, "source": "ads", "plan": "free",
            "country": "US", "gross": "0.50", "tax": "0.00", "fees": "0.00"}  # fmt: skip
    assert billing_api.post("/api/v1/revenue", late, format="json").status_code == 409
    call_command("verify_run", str(run_id))  # exits non-zero on any difference


@pytest.mark.fault
def test_finalize_twice_and_concurrently_writes_one_ledger(
    celery_worker_process: WorkerProcess,
    small_limits: None,
    admin_api: APIClient,
    api_as: Callable[..., APIClient],
    ingest_api: APIClient,
    billing_api: APIClient,
) -> None:
    month = Month(
        plays=[("L1", "QZKPX2600001", 7), ("L2", "ZZXXX2600009", 3)], paid={"L1": "9.99", "L2": "5.00"}
    )
    push(month, admin=admin_api, ingest=ingest_api, billing=billing_api)
    run_id = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()["id"]
    wait_for(admin_api, run_id, "computed")

    clients = [api_as(ApiClient.Role.ADMIN) for _ in range(20)]
    answers: list[Any] = [None] * len(clients)
    start = threading.Barrier(len(clients))

    def finalize(index: int) -> None:
        start.wait()
        try:
            answers[index] = clients[index].post(f"/api/v1/payout-runs/{run_id}/finalize")
        finally:
            connection.close()  # each thread has its own connection; the test database must be droppable

    threads = [threading.Thread(target=finalize, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200] * len(clients)
    assert {a.json()["status"] for a in answers} == {"finalized"}
    assert LedgerTransaction.objects.filter(run_id=run_id).count() == 1
    assert ClosedMonth.objects.filter(month__year=2026, month__month=10).count() == 1
    postings = LedgerPosting.objects.filter(transaction__run_id=run_id)
    assert sum(postings.values_list("amount_minor", flat=True)) == 0
    pools = PayoutRun.objects.get(pk=run_id).pools_minor
    assert postings.get(account=f"pool:{MONTH}").amount_minor == -(pools or 0)
    payable = dict(PayeeResult.objects.filter(run_id=run_id).values_list("payee", "amount_minor"))
    posted = {
        p.account.removeprefix("payable:payee:"): p.amount_minor
        for p in postings.filter(account__startswith="payable:")
    }
    assert posted == {payee: minor for payee, minor in payable.items() if minor}
    suspended = SuspenseResult.objects.get(run_id=run_id)
    assert postings.get(account="suspense:isrc:ZZXXX2600009").amount_minor == suspended.amount_minor


def test_the_command_follows_a_run_the_workers_compute(
    celery_worker_process: WorkerProcess, admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    month = Month(
        plays=[("L1", "QZKPX2600001", 5), ("L2", "QZKPX2600002", 3)], paid={"L1": "9.99", "L2": "4.99"}
    )
    push(month, admin=admin_api, ingest=ingest_api, billing=billing_api)
    out = io.StringIO()
    call_command("payout_run", MONTH, "--finalize", "--timeout", "60", stdout=out)
    text = out.getvalue()
    assert "started (queued)" in text and "finalized" in text and "pools       12.73 USD" in text
    run = PayoutRun.objects.get()
    assert run.status == "finalized" and run.finalized_by == "manage.py"
