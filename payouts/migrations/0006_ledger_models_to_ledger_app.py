"""The ledger models move to the `ledger` app; their tables, rows and triggers stay.

The transaction's foreign key to the payout run becomes a plain id (the ledger knows runs
by id only): the database constraint is dropped here, while the column `run_id`, its index
and its values stay as they are. The models then leave this app's state without any
database change; `ledger` 0001 takes them on with the same tables.

SQLite cannot drop a foreign key in place: Django rebuilds the table, and the rebuilt table
has lost 0002's append-only trigger, so it is created again after the rebuild, both ways.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_GUARD = """
CREATE TRIGGER IF NOT EXISTS ledger_transaction_append_only BEFORE UPDATE ON payouts_ledgertransaction
BEGIN SELECT RAISE(ABORT, 'payouts_ledgertransaction rows are append-only'); END"""


def sqlite_guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0005_hold_decision_records")]

    operations = [
        # Backwards, the guard comes back after the table's rebuild, i.e. here.
        migrations.RunPython(migrations.RunPython.noop, sqlite_guard),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ledger_transactions",
                to="payouts.payoutrun",
            ),
        ),
        migrations.RunPython(sqlite_guard, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LedgerPosting"),
                migrations.DeleteModel(name="LedgerTransaction"),
            ],
        ),
    ]
