"""Stream events keep their listener without a foreign-key constraint.

The constraint cost ingestion a lookup and a row lock on the listener for every event, about
a fifth of PostgreSQL's work per batch. Ingestion writes the listener in the same statement
as its events, and this trigger keeps the rest of what the constraint guaranteed: a listener
with stream events cannot be deleted or renamed. (SQLite, the demo default, goes without the
trigger: Django's test flush deletes rows there.) Unlike the constraint, the trigger cannot
see events not yet committed: deleting a listener with no stream while its first events
are being ingested would leave them without it. Listeners are deleted only by an admin, and
the ORM's PROTECT refuses one with streams anyway.
"""

import django.db.models.deletion
from django.db import migrations, models

PG_FORWARD = [
    """
CREATE FUNCTION kalipxo_keep_listener_with_streams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id)
       AND EXISTS (SELECT 1 FROM streams_streamevent WHERE listener_id = OLD.id) THEN
        RAISE EXCEPTION 'listener % has stream events; it cannot be deleted or renamed', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$""",
    """
CREATE TRIGGER listener_keeps_streams BEFORE DELETE OR UPDATE OF id ON streams_listener
    FOR EACH ROW EXECUTE FUNCTION kalipxo_keep_listener_with_streams()""",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS listener_keeps_streams ON streams_listener",
    "DROP FUNCTION IF EXISTS kalipxo_keep_listener_with_streams()",
]


SQLITE_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS stream_event_append_only BEFORE UPDATE ON streams_streamevent
BEGIN SELECT RAISE(ABORT, 'streams_streamevent rows are append-only'); END"""


def sqlite_append_only(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_APPEND_ONLY, params=None)


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql, params=None)
    sqlite_append_only(apps, schema_editor)


def reverse(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_REVERSE:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("streams", "0003_ingest_batch")]
    operations = [
        # Reversed last: the trigger again after the reverse rebuild of the table.
        migrations.RunPython(migrations.RunPython.noop, sqlite_append_only),
        migrations.AlterField(
            model_name="streamevent",
            name="listener",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="streams",
                to="streams.listener",
            ),
        ),
        migrations.RunPython(forward, reverse),
    ]
