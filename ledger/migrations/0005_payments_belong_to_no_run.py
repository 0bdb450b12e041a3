"""A transaction may belong to no payout run (a payment batch's, a payment result's).

SQLite changes the column by rebuilding the table, which loses its append-only trigger
(payouts 0002), so the trigger is created again after the rebuild, both ways.
"""

from django.db import migrations, models

SQLITE_GUARD = """
CREATE TRIGGER IF NOT EXISTS ledger_transaction_append_only BEFORE UPDATE ON payouts_ledgertransaction
BEGIN SELECT RAISE(ABORT, 'payouts_ledgertransaction rows are append-only'); END"""


def sqlite_guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_withholding_per_payee_transit_adjustments"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_guard),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="run_id",
            field=models.BigIntegerField(
                blank=True,
                db_index=True,
                help_text="The payout run that wrote it; none: a payment's.",
                null=True,
            ),
        ),
        migrations.RunPython(sqlite_guard, migrations.RunPython.noop),
    ]
