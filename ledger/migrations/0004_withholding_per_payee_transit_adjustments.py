"""Withholding per payee (`withholding:payee:`), one transit account per payment
(`transit:payment:`) and the adjustments account join the known kinds; the single
`withholding` account, never posted to, leaves them.

As in 0003, SQLite changes a CHECK by rebuilding the table, which loses the append-only
trigger, so the trigger is created again after the rebuild, both ways.
"""

from django.db import migrations, models

SQLITE_GUARD = """
CREATE TRIGGER IF NOT EXISTS ledger_posting_append_only BEFORE UPDATE ON payouts_ledgerposting
BEGIN SELECT RAISE(ABORT, 'payouts_ledgerposting rows are append-only'); END"""


def sqlite_guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_publishing_payable"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_guard),
        migrations.RemoveConstraint(
            model_name="ledgerposting",
            name="ledger_posting_account_known",
        ),
        migrations.AddConstraint(
            model_name="ledgerposting",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("account__in", ["retained", "platform", "cash", "adjustments"]),
                    models.Q(("account__gt", "pool:"), ("account__startswith", "pool:")),
                    models.Q(("account__gt", "payable:payee:"), ("account__startswith", "payable:payee:")),
                    models.Q(
                        ("account__gt", "publishing:payee:"), ("account__startswith", "publishing:payee:")
                    ),
                    models.Q(("account__gt", "suspense:isrc:"), ("account__startswith", "suspense:isrc:")),
                    models.Q(
                        ("account__gt", "fees:distributor:"), ("account__startswith", "fees:distributor:")
                    ),
                    models.Q(
                        ("account__gt", "mechanical:isrc:"), ("account__startswith", "mechanical:isrc:")
                    ),
                    models.Q(
                        ("account__gt", "withholding:payee:"), ("account__startswith", "withholding:payee:")
                    ),
                    models.Q(
                        ("account__gt", "transit:payment:"), ("account__startswith", "transit:payment:")
                    ),
                    _connector="OR",
                ),
                name="ledger_posting_account_known",
            ),
        ),
        migrations.RunPython(sqlite_guard, migrations.RunPython.noop),
    ]
