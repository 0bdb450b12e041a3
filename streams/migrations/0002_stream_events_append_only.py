"""Stream events are append-only: the database itself refuses updates and deletes.

PostgreSQL refuses both (TRUNCATE, used only by test teardown, is not a row change).
SQLite, the demo default, refuses updates only, because Django's test flush on SQLite
deletes rows.
"""

from django.db import migrations

PG_FORWARD = [
    """
CREATE FUNCTION kalipxo_refuse_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$""",
    """
CREATE TRIGGER stream_event_append_only BEFORE UPDATE OR DELETE ON streams_streamevent
    FOR EACH ROW EXECUTE FUNCTION kalipxo_refuse_row_change()""",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS stream_event_append_only ON streams_streamevent",
    "DROP FUNCTION IF EXISTS kalipxo_refuse_row_change()",
]
SQLITE_FORWARD = [
    """
CREATE TRIGGER stream_event_append_only BEFORE UPDATE ON streams_streamevent
BEGIN SELECT RAISE(ABORT, 'streams_streamevent rows are append-only'); END"""
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS stream_event_append_only"]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in PG_FORWARD if postgres else SQLITE_FORWARD:
        schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in PG_REVERSE if postgres else SQLITE_REVERSE:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("streams", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
