"""The ledger's move out of payouts, on a database that already holds a finalized run's ledger.

Migrated back to payouts 0005 (the ledger as payouts had it, with the run foreign key), a
settlement is written with the models of that day; migrated forward, the same rows read
through `ledger.models`, and the database still guards them: append-only, balanced at
commit (PostgreSQL), accounts of known kinds. Then back again with the rows in place.
"""

from collections.abc import Iterator, Sequence
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from ledger.models import LedgerPosting, LedgerTransaction
from ledger.selectors import account_balances, unbalanced_transactions

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("payouts", "0005_hold_decision_records")]
POSTINGS = [("pool:2026-10", -1000), ("payable:payee:art-1", 700), ("suspense:isrc:ZZXXX2600009", 200),
            ("retained", 100)]  # fmt: skip


def migrate(targets: Sequence[tuple[str, str | None]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets or executor.loader.graph.leaf_nodes()))
    executor.loader.build_graph()
    return executor


@pytest.fixture
def old_ledger() -> Iterator[tuple[int, int]]:
    """The database at payouts 0005 holding a finalized run's settlement: (run id, tx id)."""
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        assert ("ledger", "0001_initial") not in executor.loader.applied_migrations
        run = old.get_model("payouts", "PayoutRun").objects.create(
            month=date(2026, 10, 1), status="finalized", policy={"currency": "USD"}, pools_minor=1000
        )
        with transaction.atomic():  # balanced at commit, as finalizing writes it
            tx = old.get_model("payouts", "LedgerTransaction").objects.create(
                key=f"run:{run.pk}:settlement", run=run, description="Payout run", currency="USD"
            )
            posting = old.get_model("payouts", "LedgerPosting")
            posting.objects.bulk_create(
                [posting(transaction=tx, account=account, amount_minor=m) for account, m in POSTINGS]
            )
        yield run.pk, tx.pk
    finally:
        migrate()


def _run_foreign_keys() -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "payouts_ledgertransaction")
    return [name for name, c in constraints.items() if c["foreign_key"] and c["columns"] == ["run_id"]]


def test_existing_ledger_rows_migrate_untouched_and_stay_guarded(old_ledger: tuple[int, int]) -> None:
    run_id, tx_id = old_ledger
    assert _run_foreign_keys()
    migrate()

    tx = LedgerTransaction.objects.get()
    assert (tx.pk, tx.run_id, tx.key, tx.currency) == (tx_id, run_id, f"run:{run_id}:settlement", "USD")
    rows = list(LedgerPosting.objects.filter(transaction=tx).values_list("account", "amount_minor"))
    assert sorted(rows) == sorted(POSTINGS)
    assert account_balances(run_id=run_id) == dict(POSTINGS)
    assert unbalanced_transactions() == []
    assert _run_foreign_keys() == []  # the run is known by id only
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "payouts_ledgertransaction")
    assert any(c["index"] and c["columns"] == ["run_id"] for c in constraints.values())

    # Append-only, still.
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerPosting.objects.filter(transaction=tx).update(amount_minor=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=tx.pk).update(description="changed")
    # Accounts of unknown kinds are refused by the new check.
    with pytest.raises(IntegrityError), transaction.atomic():
        other = LedgerTransaction.objects.create(
            key="manual:1", run_id=run_id, description="x", currency="USD"
        )
        LedgerPosting.objects.create(transaction=other, account="payable:someone", amount_minor=0)
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():  # the balance is checked at commit
            other = LedgerTransaction.objects.create(
                key="manual:2", run_id=run_id, description="x", currency="USD"
            )
            LedgerPosting.objects.create(transaction=other, account="retained", amount_minor=5)
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute("DELETE FROM payouts_ledgerposting")
    assert LedgerTransaction.objects.count() == 1 and LedgerPosting.objects.count() == len(POSTINGS)

    # Back to payouts 0005 with the rows in place: the foreign key returns, the rows stay.
    executor = migrate(BEFORE)
    assert _run_foreign_keys()
    old = executor.loader.project_state(BEFORE).apps
    old_posting = old.get_model("payouts", "LedgerPosting")
    assert sorted(old_posting.objects.values_list("account", "amount_minor")) == sorted(POSTINGS)
    assert old.get_model("payouts", "LedgerTransaction").objects.get().run_id == run_id
    with pytest.raises(IntegrityError), transaction.atomic():
        old_posting.objects.update(amount_minor=1)
