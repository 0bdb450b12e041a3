"""The ledger: one balanced settlement per finalized run, append-only in the database itself."""

from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.models import LedgerPosting, LedgerTransaction
from ledger.selectors import account_balances, unbalanced_transactions
from payouts.models import PayeeResult, PayoutRun, SuspenseResult
from payouts.run.driver import payout_run_drive
from payouts.run.errors import RunNotFound, RunProblem
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from streams.models import ClosedMonth
from streams.revenue import revenue_records_ingest
from tests.payouts.months import MONTH, Month, catalog_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def finalized_run(admin_api: Any) -> PayoutRun:
    """A finalized run with payees, suspense and a retained pool (driven in-process)."""
    from streams.ingest import stream_events_ingest

    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    month = Month(
        plays=[("L1", "QZKPX2600001", 3), ("L1", "ZZXXX2600009", 1), ("L2", "QZKPX2600003", 2)],
        paid={"L1": "9.99", "L2": "4.99", "L3": "7.00"},
    )
    revenue_records_ingest(
        items=[{"id": f"r-{k}", "listener": k, "month": MONTH, "source": "subscription", "plan": "premium",
                "country": "US", "gross": v, "tax": "0.00", "fees": "0.00"} for k, v in month.paid.items()]
    )  # fmt: skip
    stream_events_ingest(items=month.build_events())
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    payout_run_drive(run_id=run.pk)
    return payout_run_finalize(run_id=run.pk, finalized_by="test")


def test_finalizing_writes_one_balanced_transaction_matching_the_results(finalized_run: PayoutRun) -> None:
    run = finalized_run
    tx = LedgerTransaction.objects.get(run_id=run.pk)
    assert tx.key == f"run:{run.pk}:settlement" and tx.currency == "USD"
    balances = account_balances(run_id=run.pk)
    assert sum(balances.values()) == 0
    assert balances[f"pool:{MONTH}"] == -(run.pools_minor or 0)
    for payee, minor in PayeeResult.objects.filter(run=run).values_list("payee", "amount_minor"):
        assert balances.get(f"payable:payee:{payee}", 0) == minor
    for isrc, minor in SuspenseResult.objects.filter(run=run).values_list("isrc", "amount_minor"):
        assert balances[f"suspense:isrc:{isrc}"] == minor
    assert balances.get("retained", 0) == run.retained_minor
    assert unbalanced_transactions() == []
    assert ClosedMonth.objects.get(month=run.month).closed_by_run == run.pk

    # Finalizing again writes nothing more.
    payout_run_finalize(run_id=run.pk)
    assert LedgerTransaction.objects.filter(run_id=run.pk).count() == 1


def test_ledger_rows_cannot_be_updated(finalized_run: PayoutRun) -> None:
    posting = LedgerPosting.objects.filter(transaction__run_id=finalized_run.pk).first()
    assert posting is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerPosting.objects.filter(pk=posting.pk).update(amount_minor=posting.amount_minor + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.filter(run_id=finalized_run.pk).update(description="changed")


@pytest.mark.postgres
def test_ledger_rows_cannot_be_deleted_on_postgresql(finalized_run: PayoutRun) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM payouts_ledgerposting WHERE transaction_id IN "
            "(SELECT id FROM payouts_ledgertransaction WHERE run_id = %s)",
            [finalized_run.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM payouts_ledgertransaction WHERE run_id = %s", [finalized_run.pk])


@pytest.mark.postgres
def test_an_unbalanced_transaction_is_refused_by_the_database(finalized_run: PayoutRun) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        tx = LedgerTransaction.objects.create(
            key="manual:1", run_id=finalized_run.pk, description="x", currency="USD"
        )
        LedgerPosting.objects.create(transaction=tx, account="retained", amount_minor=5)
        LedgerPosting.objects.create(transaction=tx, account=f"pool:{MONTH}", amount_minor=-4)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the check is deferred to commit
    with transaction.atomic():  # a balanced one is fine
        tx = LedgerTransaction.objects.create(
            key="manual:2", run_id=finalized_run.pk, description="x", currency="USD"
        )
        LedgerPosting.objects.create(transaction=tx, account="retained", amount_minor=5)
        LedgerPosting.objects.create(transaction=tx, account=f"pool:{MONTH}", amount_minor=-5)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_run_that_is_not_computed_cannot_be_finalized(admin_api: Any) -> None:
    run = PayoutRun.objects.create(month=date(2026, 9, 1), policy={})
    with pytest.raises(RunProblem) as problem:
        payout_run_finalize(run_id=run.pk)
    assert problem.value.status == 409
    with pytest.raises(RunNotFound):
        payout_run_finalize(run_id=run.pk + 1000)
