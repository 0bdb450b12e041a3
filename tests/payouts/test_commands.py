"""`manage.py payout_run` and `manage.py verify_run`, in-process (any database, no broker)."""

import io
from datetime import date
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from payouts.models import PayeeResult, PayoutRun
from tests.payouts.months import MONTH, Month, catalog_body, store

pytestmark = pytest.mark.django_db

MONTH_DATA = Month(
    plays=[("L1", "QZKPX2600001", 50), ("L1", "QZKPX2600002", 950), ("L2", "ZZXXX2600009", 4)],
    paid={"L1": "14.99", "L2": "4.99", "L3": "2.00"},
)


@pytest.fixture
def month(admin_api: Any) -> None:
    """The catalog, revenue and events of a small month."""
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(MONTH_DATA)


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_payout_run_prints_progress_and_a_summary_then_finalizes(month: None) -> None:
    output = run_command("payout_run", MONTH, "--finalize", "--in-process")
    run = PayoutRun.objects.get()
    assert run.status == "finalized"
    assert f"Run {run.pk} for {MONTH} started" in output
    assert "computed" in output and "finalized" in output and "100.0%" in output
    assert "pools       18.68 USD" in output  # (14.99 + 4.99 + 2.00) × 0.85 = 18.683
    assert "to 3 payees" in output


def test_payout_run_stops_for_review_when_listeners_are_held(month: None, settings: Any) -> None:
    settings.FRAUD_MAX_STREAMS_PER_DAY = 10
    with pytest.raises(SystemExit) as stopped:
        run_command("payout_run", MONTH, "--in-process")
    assert stopped.value.code == 3
    assert PayoutRun.objects.get().status == "review"


def test_payout_run_refuses_a_bad_month() -> None:
    with pytest.raises(CommandError):
        run_command("payout_run", "2026-13")
    with pytest.raises(CommandError):
        run_command("payout_run", "2999-01")


def test_verify_run_agrees_and_then_finds_a_tampered_amount(month: None) -> None:
    run_command("payout_run", MONTH, "--finalize", "--in-process")
    run = PayoutRun.objects.get()
    output = run_command("verify_run", str(run.pk), "--method", "python")
    assert "OK:" in output and "DIFFERS" not in output

    PayeeResult.objects.filter(run=run, payee="art-2").update(amount_minor=1)
    out = io.StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("verify_run", str(run.pk), "--method", "python", stdout=out)
    assert failed.value.code == 1
    text = out.getvalue()
    assert "DIFFERS payee art-2: stored 1, recomputed" in text
    assert "DIFFERS conservation" in text
    assert "DIFFERS ledger: payable:payee:art-2" in text


def test_verify_run_refuses_what_it_cannot_check() -> None:
    with pytest.raises(CommandError):
        run_command("verify_run", "12345")
    run = PayoutRun.objects.create(month=date(2026, 9, 1), policy={})
    with pytest.raises(CommandError):
        run_command("verify_run", str(run.pk))
