"""The audit trail of hold decisions: one record per decision, the first or a change.

Append-only like the ledger: PostgreSQL refuses updates and deletes of records (TRUNCATE,
used by test teardown and the demo reset, is not a row change); SQLite refuses updates
(Django's test flush deletes rows there). Holds decided before this migration get their
decision as a first record, so every decided hold has a trail.
"""

import django.db.models.deletion
from django.db import migrations, models

PG_FORWARD = [
    """
CREATE TRIGGER hold_decision_record_append_only BEFORE UPDATE OR DELETE ON payouts_holddecisionrecord
    FOR EACH ROW EXECUTE FUNCTION kalipxo_refuse_row_change()"""
]
PG_REVERSE = ["DROP TRIGGER IF EXISTS hold_decision_record_append_only ON payouts_holddecisionrecord"]
SQLITE_FORWARD = [
    """
CREATE TRIGGER hold_decision_record_append_only BEFORE UPDATE ON payouts_holddecisionrecord
BEGIN SELECT RAISE(ABORT, 'payouts_holddecisionrecord rows are append-only'); END"""
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS hold_decision_record_append_only"]


def guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in PG_FORWARD if postgres else SQLITE_FORWARD:
        schema_editor.execute(sql, params=None)


def unguard(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in PG_REVERSE if postgres else SQLITE_REVERSE:
        schema_editor.execute(sql, params=None)


def first_records(apps, schema_editor):  # type: ignore[no-untyped-def]
    Hold = apps.get_model("payouts", "Hold")
    Record = apps.get_model("payouts", "HoldDecisionRecord")
    decided = Hold.objects.filter(decision__isnull=False).order_by("id")
    Record.objects.bulk_create(
        [
            Record(
                hold_id=hold.pk,
                decision=hold.decision,
                previous=None,
                decided_by=hold.decided_by or "",
                decided_at=hold.decided_at or hold.created_at,
                chosen_by="one hold",
            )
            for hold in decided.iterator()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("payouts", "0004_run_catalog_chunk_stages_scratch_per_run")]

    operations = [
        migrations.CreateModel(
            name="HoldDecisionRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "decision",
                    models.CharField(choices=[("release", "Release"), ("reject", "Reject")], max_length=8),
                ),
                (
                    "previous",
                    models.CharField(
                        blank=True,
                        choices=[("release", "Release"), ("reject", "Reject")],
                        help_text="Empty: the first decision.",
                        max_length=8,
                        null=True,
                    ),
                ),
                ("decided_by", models.CharField(max_length=200)),
                ("decided_at", models.DateTimeField()),
                (
                    "chosen_by",
                    models.CharField(
                        blank=True,
                        help_text="How the hold was chosen: one hold, by reason, by device, selected rows.",
                        max_length=200,
                    ),
                ),
                (
                    "hold",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="payouts.hold",
                    ),
                ),
            ],
            options={
                "ordering": ["hold", "id"],
                "indexes": [models.Index(fields=["hold", "id"], name="hold_decision_record_hold")],
            },
        ),
        migrations.RunPython(first_records, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
