"""Allocation lines carry their settlement stages as columns (one row per payee, track,
territory and tier instead of one per stage and source), without a per-row foreign key."""

from decimal import Decimal

from django.db import migrations, models

import payouts.fields


class Migration(migrations.Migration):
    dependencies = [("payouts", "0002_ledger_guards")]

    operations = [
        migrations.DeleteModel(name="AllocationLine"),
        migrations.CreateModel(
            name="AllocationLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("run_id", models.BigIntegerField()),
                ("payee", models.CharField(blank=True, max_length=64)),
                ("isrc", models.CharField(max_length=12)),
                (
                    "artist",
                    models.CharField(
                        blank=True, help_text="Empty: not in the catalog (suspense).", max_length=64
                    ),
                ),
                ("country", models.CharField(max_length=2)),
                ("tier", models.CharField(max_length=32)),
                ("streams", models.BigIntegerField()),
                ("listeners_amount", payouts.fields.ExactAmountField(digits=60, places=30)),
                ("unallocated_amount", payouts.fields.ExactAmountField(digits=60, places=30)),
                ("share", models.DecimalField(decimal_places=6, max_digits=7)),
                ("amount", payouts.fields.ExactAmountField(digits=60, places=30)),
            ],
            options={"indexes": [models.Index(fields=["run_id", "payee"], name="line_run_payee")]},
        ),
        migrations.AddField(
            model_name="trackresult",
            name="unallocated_exact",
            field=payouts.fields.ExactAmountField(
                default=Decimal(0),
                digits=60,
                help_text="The part of the gross from unallocated pools.",
                places=30,
            ),
            preserve_default=False,
        ),
    ]
