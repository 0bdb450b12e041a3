"""A payout run that fails in a real Celery worker, and the month started again through the
command and the HTTP API (PostgreSQL and Redis).

The fault is a database trigger that refuses the run's allocation lines, so the merge
step fails inside the worker exactly as a bug or bad data would.
"""

import csv
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from ledger.models import LedgerTransaction
from payouts.models import PayoutRun
from tests.payouts.months import MONTH, Month, cents, expected_payouts, push
from tests.workers import WorkerProcess, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MONTH_DATA = Month(
    plays=[("L1", "QZKPX2600001", 7), ("L1", "QZKPX2600002", 3), ("L2", "QZKPX2600003", 5),
           ("L2", "ZZXXX2600009", 2), ("L3", "QZKPX2600002", 4)],
    paid={"L1": "9.99", "L2": "14.99", "L4": "4.99"},
)  # fmt: skip


def settled(admin: APIClient, run_id: int) -> dict[str, Any]:
    """Wait until the run is computed or failed; return it as the API shows it."""
    seen: dict[str, Any] = {}

    def done() -> bool:
        seen.update(admin.get(f"/api/v1/payout-runs/{run_id}").json())
        return seen["status"] in ("computed", "failed")

    wait_until(done, timeout=90, interval=0.2)
    return seen


def payouts(admin: APIClient, run_id: int) -> list[dict[str, str]]:
    answer = admin.get(f"/api/v1/payout-runs/{run_id}/payouts.csv")
    assert answer.status_code == 200
    text = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def refused_allocation_lines() -> Any:
    """While installed, every allocation line insert fails (a stand-in for any bug)."""

    def install() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE OR REPLACE FUNCTION kx_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER kx_test_refuse BEFORE INSERT ON payouts_allocationline "
                "FOR EACH ROW EXECUTE FUNCTION kx_test_refuse()"
            )

    def remove() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS kx_test_refuse ON payouts_allocationline")
            cursor.execute("DROP FUNCTION IF EXISTS kx_test_refuse()")

    yield install, remove
    remove()


def test_a_run_failed_in_a_worker_is_started_again_and_pays_what_an_undisturbed_run_pays(
    celery_worker_process: WorkerProcess,
    admin_api: APIClient,
    ingest_api: APIClient,
    billing_api: APIClient,
    refused_allocation_lines: Any,
    settings: Any,
) -> None:
    settings.PAYOUT_RUN_CHUNKS = 3
    install, remove = refused_allocation_lines
    push(MONTH_DATA, admin=admin_api, ingest=ingest_api, billing=billing_api)
    undisturbed = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()["id"]
    assert settled(admin_api, undisturbed)["status"] == "computed"
    reference = payouts(admin_api, undisturbed)
    want = expected_payouts(MONTH_DATA.plays, MONTH_DATA.paid)
    assert {row["payee"]: cents(row["amount"]) for row in reference} == want.payees

    # Started again from the shell while the merge step cannot succeed: the workers fail it.
    install()
    out = io.StringIO()
    with pytest.raises(CommandError) as failed_command:
        call_command("payout_run", MONTH, "--restart", "--timeout", "90", stdout=out)
    assert f"Run {undisturbed} for {MONTH} abandoned: abandoned by manage.py in computed." in out.getvalue()
    failed = PayoutRun.objects.exclude(pk=undisturbed).get()
    assert f"Run {failed.pk} failed: ProgrammingError: injected fault" in str(failed_command.value)
    shown = admin_api.get(f"/api/v1/payout-runs/{failed.pk}").json()
    assert shown["status"] == "failed"
    assert shown["failure_reason"].startswith("ProgrammingError: injected fault")
    assert [r["status"] for r in admin_api.get("/api/v1/payout-runs").json()] == ["failed", "failed"]

    # The cause removed, the console's request starts the month again as a new run.
    remove()
    answer = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    retried = answer.json()["id"]
    assert retried not in (undisturbed, failed.pk)
    run = settled(admin_api, retried)
    assert run["status"] == "computed", run
    assert payouts(admin_api, retried) == reference
    assert cents(run["totals"]["pools"]) == want.total

    assert admin_api.post(f"/api/v1/payout-runs/{retried}/finalize").status_code == 200
    assert list(LedgerTransaction.objects.values_list("run_id", flat=True)) == [retried]
    call_command("verify_run", str(retried), stdout=io.StringIO())
