"""A BRIN index on stream events' start time (PostgreSQL only).

Every month-level read (payout runs, screening, live rebuilds, the dashboard's daily
streams) filters on the month. Events arrive roughly in time order, so a block-range index
of a few pages lets those reads skip every other month's blocks, and costs ingestion next
to nothing, where a B-tree would add a random insert per event. SQLite has no BRIN.
"""

from django.db import migrations

FORWARD = (
    "CREATE INDEX IF NOT EXISTS stream_started_brin ON streams_streamevent "
    "USING brin (started_at) WITH (pages_per_range = 32, autosummarize = on)"
)
REVERSE = "DROP INDEX IF EXISTS stream_started_brin"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def reverse(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("streams", "0004_stream_listener_without_fk")]
    operations = [migrations.RunPython(forward, reverse)]
