"""The ledger models, taken over from payouts with their tables as they are.

State only: the tables were created by payouts 0001 (its 0002 attached the append-only and
balance triggers) and payouts 0006 dropped the run's foreign key constraint, so the
database already holds exactly these models. Hence the dependency on a payouts migration:
it is the tables' history, not an import.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("payouts", "0006_ledger_models_to_ledger_app")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LedgerTransaction",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "key",
                            models.CharField(
                                help_text="Idempotency key, e.g. run:12:settlement.",
                                max_length=100,
                                unique=True,
                            ),
                        ),
                        (
                            "run_id",
                            models.BigIntegerField(db_index=True, help_text="The payout run that wrote it."),
                        ),
                        ("description", models.CharField(max_length=300)),
                        ("currency", models.CharField(max_length=3)),
                        (
                            "created_at",
                            models.DateTimeField(db_default=django.db.models.functions.datetime.Now()),
                        ),
                    ],
                    options={"db_table": "payouts_ledgertransaction", "ordering": ["id"]},
                ),
                migrations.CreateModel(
                    name="LedgerPosting",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("account", models.CharField(max_length=100)),
                        ("amount_minor", models.BigIntegerField()),
                        (
                            "transaction",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="postings",
                                to="ledger.ledgertransaction",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "payouts_ledgerposting",
                        "ordering": ["transaction", "id"],
                        "indexes": [models.Index(fields=["account"], name="ledger_posting_account")],
                    },
                ),
            ],
        ),
    ]
