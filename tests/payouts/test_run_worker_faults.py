"""A payout run whose worker is SIGKILLed mid-run: the same result as an undisturbed run,
and one ledger.

`test_run_worker` checks a killed run against docs/rules.md §2 computed by hand. This test
compares every result row of the killed run with an undisturbed run of the same month, so
a chunk that was counted twice or lost shows up even where the hand computation is blind
(allocation lines, per-track and per-artist rows), then finalizes it and checks that no
ledger row is written twice.
"""

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.db.models import Model
from rest_framework.test import APIClient

from ledger.models import LedgerPosting, LedgerTransaction
from payouts.models import (
    AllocationLine,
    ArtistResult,
    PayeeResult,
    PayoutRun,
    RunChunk,
    SuspenseResult,
    TrackResult,
)
from payouts.run.recovery import payout_runs_resume
from tests.payouts.months import MONTH, Month, cents, expected_payouts, push
from tests.payouts.test_run_worker import payouts_csv, wait_for
from tests.servers import monitor
from tests.streams.faults import waiting_on
from tests.workers import WorkerProcess, wait_until, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.fault, pytest.mark.django_db(transaction=True)]

RESULT_MODELS: list[type[Model]] = [PayeeResult, SuspenseResult, TrackResult, ArtistResult, AllocationLine]
RUN_TOTALS = [
    "pools_exact", "unallocated_exact", "rejected_exact", "retained_exact", "pools_minor",
    "allocated_minor", "suspense_minor", "retained_minor", "unallocated_minor", "streams",
    "listeners", "comparison",
]  # fmt: skip
MONTH_OF_MANY = Month(
    plays=[(f"L{n}", ("QZKPX2600001", "QZKPX2600002", "QZKPX2600003", "ZZXXX2600009")[n % 4], 1 + n % 7)
           for n in range(60)] + [(f"L{n}", "QZKPX2600003", 2) for n in range(0, 60, 5)],
    paid={f"L{n}": ("14.99", "9.99", "4.99")[n % 3] for n in range(0, 66, 2)},
)  # fmt: skip


@pytest.fixture
def small_limits(settings: Any) -> None:
    """Several chunks for a few listeners, so that a kill lands between chunks."""
    settings.PAYOUT_RUN_CHUNKS = 3


def results(run_id: int) -> dict[str, Any]:
    """Every result row of a run (as multisets: a duplicated row counts), and its totals."""
    out: dict[str, Any] = {
        "run": PayoutRun.objects.filter(pk=run_id).values(*RUN_TOTALS).get(),
    }
    for model in RESULT_MODELS:
        rows = [
            tuple(sorted((k, str(v)) for k, v in row.items() if k not in ("id", "run_id")))
            for row in model.objects.filter(run_id=run_id).values()  # type: ignore[attr-defined]
        ]
        out[model.__name__] = sorted(rows)
    return out


def test_a_killed_run_computes_what_an_undisturbed_run_does_and_writes_one_ledger(
    celery_worker_process: WorkerProcess,
    start_worker: Callable[[], WorkerProcess],
    small_limits: None,
    admin_api: APIClient,
    ingest_api: APIClient,
    billing_api: APIClient,
) -> None:
    push(MONTH_OF_MANY, admin=admin_api, ingest=ingest_api, billing=billing_api)

    # The undisturbed run. Set aside afterwards (a month has one live run at a time) so
    # that the same month can be run again.
    calm = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()["id"]
    wait_for(admin_api, calm, "computed")
    undisturbed = results(calm)
    assert undisturbed["PayeeResult"]
    PayoutRun.objects.filter(pk=calm).update(status=PayoutRun.Status.FAILED, failure_reason="reference run")

    # Chunks begin by reading the run's fraud decisions: with that table locked, every
    # chunk waits mid-task, so the kill lands while they run. That lock (ACCESS EXCLUSIVE)
    # takes a transaction id, which the run's data cut would wait out (up to 30 s) if it
    # were taken first; so screening is first stopped after its cut, where it creates the
    # chunks (an EXCLUSIVE lock takes no transaction id), and the fraud decisions are
    # locked then.
    chunks_lock = psycopg.connect(worker_database_url())
    holds_lock = psycopg.connect(worker_database_url())
    with monitor() as watch:
        try:
            chunks_lock.execute("LOCK TABLE payouts_runchunk IN EXCLUSIVE MODE")
            run_id = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()["id"]
            assert run_id != calm
            wait_until(lambda: waiting_on(watch, "payouts_runchunk"), timeout=60)
            holds_lock.execute("LOCK TABLE payouts_hold IN ACCESS EXCLUSIVE MODE")
            chunks_lock.rollback()
            wait_until(
                lambda: (
                    RunChunk.objects.filter(run_id=run_id, status=RunChunk.Status.RUNNING).count() >= 2
                    and len(waiting_on(watch, "payouts_hold")) >= 2
                ),
                timeout=60,
            )
            celery_worker_process.kill()
            # The dead worker's sessions would otherwise finish their statements (and keep
            # their advisory locks) until PostgreSQL next writes to the closed sockets.
            for pid in waiting_on(watch, "payouts_hold"):
                watch.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            for blocker in (chunks_lock, holds_lock):
                blocker.rollback()
                blocker.close()
    start_worker()

    def resumed() -> bool:
        # What beat does every minute; a dead worker's messages would only come back
        # after the broker's visibility timeout (an hour).
        payout_runs_resume(older_than_seconds=0)
        return PayoutRun.objects.get(pk=run_id).status == "computed"

    wait_until(resumed, timeout=120, interval=0.5)
    assert RunChunk.objects.filter(run_id=run_id, attempts__gte=2).exists()  # the kill cost a retry
    assert results(run_id) == undisturbed
    want = expected_payouts(MONTH_OF_MANY.plays, MONTH_OF_MANY.paid)
    assert {p: cents(row["amount"]) for p, row in payouts_csv(admin_api, run_id).items()} == want.payees

    # Finalized twice: one transaction, each account posted once, balanced.
    answers = [admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize") for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert LedgerTransaction.objects.count() == 1
    postings = list(
        LedgerPosting.objects.filter(transaction__run_id=run_id).values_list("account", "amount_minor")
    )
    accounts = [account for account, _ in postings]
    assert len(accounts) == len(set(accounts)), "a ledger row was written twice"
    assert sum(amount for _, amount in postings) == 0
    payable = {a.removeprefix("payable:payee:"): m for a, m in postings if a.startswith("payable:")}
    assert payable == {p: m for p, m in want.payees.items() if m}
    suspense = {a.removeprefix("suspense:isrc:"): m for a, m in postings if a.startswith("suspense:")}
    assert suspense == {i: m for i, m in want.suspense.items() if m}
    pool = dict(postings)[f"pool:{MONTH}"]
    assert pool == -undisturbed["run"]["pools_minor"] == -want.total
