"""A payout run that fails, and the month started again, through `manage.py payout_run`
and the HTTP API, in-process (any database, no broker).

Faults are injected into one step of the computation. The run must end `failed` with a
reason the API shows, nothing of it may reach the results of the month's next run or
the ledger, and the month started again must pay exactly what an undisturbed run paid.
"""

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from ledger.models import LedgerTransaction
from payouts import screening
from payouts.engine import reference
from payouts.engine.chunks import chunk_compute
from payouts.engine.scratch import Scratch
from payouts.models import PayeeResult, PayoutRun, RunChunk
from payouts.run import compute as run_compute
from streams.models import ClosedMonth
from tests.payouts.months import MONTH, Month, catalog_body, store

pytestmark = pytest.mark.django_db

MONTH_DATA = Month(
    plays=[
        ("L1", "QZKPX2600001", 30), ("L1", "QZKPX2600002", 20),
        ("L2", "QZKPX2600003", 6), ("L2", "ZZXXX2600009", 4),
        ("L4", "QZKPX2600001", 3, 5, 20_000),  # too short to count
        ("BOT", "QZKPX2600002", 40, 9),  # 40 plays of one track in a day: held, then rejected
    ],
    paid={"L1": "14.99", "L2": "4.99", "L3": "2.00", "BOT": "9.99"},  # L3 played nothing
)  # fmt: skip

# Where a fault is injected: a step of each stage, on the path the database takes.
FAULTS = {
    "screening": {"postgresql": (run_compute, "chunk_compute"), "sqlite": (screening, "screen")},
    "review": {"postgresql": (screening, "chunk_findings")},
    "merging": {"postgresql": (run_compute, "bucket_merge"), "sqlite": (reference, "outcome_write")},
    "settling": {"postgresql": (run_compute, "finish")},
}


@pytest.fixture
def month(admin_api: APIClient, settings: Any) -> None:
    """A small month whose screening holds BOT; three listener chunks on PostgreSQL."""
    settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY = 20
    settings.PAYOUT_RUN_CHUNKS = 3
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(MONTH_DATA)


def command(*args: str) -> tuple[int, str]:
    """`payout_run MONTH --in-process ARGS`: (exit status, output and error message)."""
    out = io.StringIO()
    try:
        call_command("payout_run", MONTH, "--in-process", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def run_to_computed(admin: APIClient, *args: str) -> int:
    """Drive the month's run to `computed`, rejecting BOT when screening holds it, as an
    operator would (command, then the holds API, then the command again)."""
    status, output = command(*args)
    assert status == 3, output  # waiting in review
    run_id = PayoutRun.objects.exclude(status="failed").get().pk
    holds = admin.get(f"/api/v1/payout-runs/{run_id}/holds").json()
    assert [hold["listener"] for hold in holds] == ["BOT"]
    answer = admin.post(
        f"/api/v1/payout-runs/{run_id}/holds/{holds[0]['id']}", {"decision": "reject"}, format="json"
    )
    assert answer.status_code == 200
    status, output = command()
    assert status == 0, output
    return run_id


def results(admin: APIClient, run_id: int) -> dict[str, Any]:
    """What a run pays, read through the API: its totals and its payouts CSV."""
    run = admin.get(f"/api/v1/payout-runs/{run_id}").json()
    assert run["status"] == "computed", run
    answer = admin.get(f"/api/v1/payout-runs/{run_id}/payouts.csv")
    text = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    return {"totals": run["totals"], "payouts": rows}


def inject(monkeypatch: pytest.MonkeyPatch, stage: str, fault: Callable[..., Any]) -> None:
    target = FAULTS[stage].get(connection.vendor)
    if target is None:
        pytest.skip(f"no separate {stage} step on {connection.vendor}")
    module, name = target
    monkeypatch.setattr(module, name, fault)


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("injected fault")


def assert_finalizes_once(admin: APIClient, run_id: int) -> None:
    """Only the month's live run reaches the ledger, once; the failed ones left nothing."""
    assert admin.post(f"/api/v1/payout-runs/{run_id}/finalize").status_code == 200
    assert list(LedgerTransaction.objects.values_list("run_id", flat=True)) == [run_id]
    assert ClosedMonth.objects.get().closed_by_run == run_id
    call_command("verify_run", str(run_id), stdout=io.StringIO())


@pytest.mark.parametrize("stage", list(FAULTS))
def test_a_run_that_fails_is_started_again_and_pays_what_an_undisturbed_run_pays(
    month: None, admin_api: APIClient, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    undisturbed = run_to_computed(admin_api)
    reference = results(admin_api, undisturbed)

    # The same month from scratch, with one step failing every time it runs.
    inject(monkeypatch, stage, boom)
    status, output = command("--restart")
    assert f"Run {undisturbed} for {MONTH} abandoned: abandoned by manage.py in computed." in output
    if status == 3:  # the fault comes after review: decide the hold, then it strikes
        run_id = PayoutRun.objects.exclude(status="failed").get().pk
        hold = admin_api.get(f"/api/v1/payout-runs/{run_id}/holds").json()[0]
        admin_api.post(
            f"/api/v1/payout-runs/{run_id}/holds/{hold['id']}", {"decision": "reject"}, format="json"
        )
        status, output = command()
    assert status == 1, output
    failed = PayoutRun.objects.exclude(pk=undisturbed).get()
    assert f"Run {failed.pk} failed: RuntimeError: injected fault" in output
    detail = admin_api.get(f"/api/v1/payout-runs/{failed.pk}").json()
    assert detail["status"] == "failed" and detail["failure_reason"] == "RuntimeError: injected fault"
    assert admin_api.get(f"/api/v1/payout-runs/{failed.pk}/payouts.csv").status_code == 409
    assert admin_api.post(f"/api/v1/payout-runs/{failed.pk}/finalize").status_code == 409
    assert not PayeeResult.objects.filter(run=failed).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE %s", [f"kx_run{failed.pk}_%"])
            assert cursor.fetchone() == (0,)  # its scratch tables are gone

    # The cause is fixed; the same command starts the month again.
    monkeypatch.undo()
    status, output = command()
    assert status == 3, output
    assert f"Run {failed.pk} for {MONTH} failed: RuntimeError: injected fault" in output
    assert "Starting the month again from scratch" in output
    retried = run_to_computed(admin_api)
    assert retried not in (undisturbed, failed.pk)
    assert results(admin_api, retried) == reference
    assert PayoutRun.objects.exclude(pk=retried).filter(status="failed").count() == 2
    assert_finalizes_once(admin_api, retried)


def test_a_lost_database_connection_leaves_the_run_to_resume_where_it_stopped(
    month: None, admin_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    undisturbed = run_to_computed(admin_api)
    reference = results(admin_api, undisturbed)
    status, _ = command("--restart")
    assert status == 3
    run_id = PayoutRun.objects.exclude(status="failed").get().pk
    hold = admin_api.get(f"/api/v1/payout-runs/{run_id}/holds").json()[0]

    def connection_lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    admin_api.post(f"/api/v1/payout-runs/{run_id}/holds/{hold['id']}", {"decision": "reject"}, format="json")
    inject(monkeypatch, "merging", connection_lost)
    with pytest.raises(OperationalError):
        command()
    monkeypatch.undo()
    assert PayoutRun.objects.get(pk=run_id).status == "computing"  # not failed: resumable

    status, output = command()
    assert status == 0, output
    assert f"Run {run_id} for {MONTH} found (computing)" in output
    assert results(admin_api, run_id) == reference
    assert_finalizes_once(admin_api, run_id)


@pytest.mark.postgres
def test_scratch_emptied_by_a_crash_fails_the_run_instead_of_missing_holds(
    month: None, admin_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a crash PostgreSQL empties unlogged tables: chunks marked done have lost their
    flags and parts. The run must not carry on without them."""
    if connection.vendor != "postgresql":
        pytest.skip("the scratch tables are PostgreSQL's")
    undisturbed = run_to_computed(admin_api)
    reference = results(admin_api, undisturbed)

    compute = chunk_compute

    def then_crash(*, run_id: int, index: int, **kwargs: Any) -> Any:
        totals = compute(run_id=run_id, index=index, **kwargs)
        others = RunChunk.objects.filter(run_id=run_id, stage="listeners").exclude(index=index)
        if not others.exclude(status="done").exists():  # the last chunk: then the crash
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE " + ", ".join(Scratch(run_id).all()))
        return totals

    monkeypatch.setattr(run_compute, "chunk_compute", then_crash)
    status, output = command("--restart")
    monkeypatch.undo()
    assert status == 1, output
    failed = PayoutRun.objects.exclude(pk=undisturbed).get()
    assert failed.status == "failed" and not failed.holds.exists()
    assert failed.failure_reason.startswith(
        f"ScratchLost: the scratch tables of run {failed.pk} were emptied"
    )

    retried = run_to_computed(admin_api)
    assert results(admin_api, retried) == reference


def test_restart_refuses_a_finalized_month(month: None, admin_api: APIClient) -> None:
    run_id = run_to_computed(admin_api)
    assert admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize").status_code == 200
    status, output = command("--restart")
    assert status == 2
    assert f"Payout run {run_id} is finalized: a finalized month is never computed again." in output
    assert list(PayoutRun.objects.values_list("pk", "status")) == [(run_id, "finalized")]
    assert LedgerTransaction.objects.count() == 1


def test_the_api_starts_a_failed_month_again_as_a_new_run(month: None, admin_api: APIClient) -> None:
    failed = PayoutRun.objects.create(
        month="2026-10-01", policy={"minor_exponent": 2}, status="failed", failure_reason="ValueError: x"
    )
    listed = admin_api.get("/api/v1/payout-runs").json()
    assert [(r["id"], r["status"], r["failure_reason"]) for r in listed] == [
        (failed.pk, "failed", "ValueError: x")
    ]
    answer = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json")
    assert answer.status_code == 202
    new = answer.json()
    assert new["id"] != failed.pk and new["status"] == "queued"
    again = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json").json()
    assert again["id"] == new["id"]  # one live run per month
