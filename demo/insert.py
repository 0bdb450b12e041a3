"""Writing the demo's events straight through the database driver, and SQLite's page cache
sized for them."""

from datetime import UTC, datetime

from django.db import connection

from demo.events import EVENT_COLUMNS, EventRow
from streams.models import StreamEvent

# COPY's binary format needs each column's type, in EVENT_COLUMNS order.
EVENT_PG_TYPES = (
    "varchar", "varchar", "varchar", "timestamptz", "int4", "varchar", "varchar", "varchar", "timestamptz",
)  # fmt: skip


def events_insert(rows: list[EventRow]) -> None:
    """Insert one chunk of events straight through the driver.

    `bulk_create` spends most of its time preparing every value through the model fields
    (about 20 s for 300,000 events on SQLite); the demo's first minute matters, and these
    rows are already in the database's types. COPY on PostgreSQL, executemany on SQLite.
    """
    table = connection.ops.quote_name(StreamEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in EVENT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(EVENT_PG_TYPES)
                for row in rows:
                    copy.write_row(row)
        elif connection.vendor == "sqlite":
            when = _sqlite_datetime
            values = ", ".join(["%s"] * len(EVENT_COLUMNS))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({values})",  # noqa: S608 - our own names
                [(*row[:3], when(row[3]), *row[4:8], when(row[8])) for row in rows],
            )
        else:
            StreamEvent.objects.bulk_create(
                [StreamEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows],
                batch_size=5_000,
            )


SQLITE_CACHE_KIB = 256 * 1024


def sqlite_cache_grow() -> None:
    """Give SQLite a page cache the size of the demo's events and their indexes: with its
    default 2 MB it writes and rereads index pages all through the load."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime, its naive UTC text, without
    its per-value conversions, which took a quarter of the demo's load time: in UTC, the
    text is the ISO form less its "+00:00"."""
    return value.astimezone(UTC).isoformat(" ")[:-6]
