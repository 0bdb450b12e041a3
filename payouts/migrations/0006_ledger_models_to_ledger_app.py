"""The ledger models move to the `ledger` app; their tables, rows and triggers stay.

The transaction's foreign key to the payout run becomes a plain id (the ledger knows runs
by id only): the database constraint is dropped here, while the column `run_id`, its index
and its values stay as they are. The models then leave this app's state without any
database change; `ledger` 0001 takes them on with the same tables.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payouts", "0005_hold_decision_records")]

    operations = [
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
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LedgerPosting"),
                migrations.DeleteModel(name="LedgerTransaction"),
            ],
        ),
    ]
