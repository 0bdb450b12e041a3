"""Loading generated months straight into PostgreSQL with COPY, far faster than the API.

The rows are consistent by construction (every listener, track and artist they name
exists), so the event table's foreign-key triggers and secondary indexes are set aside
while it loads and rebuilt once at the end.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

import psycopg

COPY_CHUNK = 1 << 20  # characters per COPY write
EVENT_COLUMNS = "event_id, listener_id, isrc, started_at, duration_ms, country, tier, device"
REVENUE_COLUMNS = "id, listener_id, month, source, plan, country, gross, tax, fees"
# Events that arrived through ingestion batches: their own ids, so batches can name ranges.
BATCHED_EVENT_COLUMNS = f"id, {EVENT_COLUMNS}, batch_id"
BATCH_COLUMNS = "batch_id, first_id, last_id, events, created_at, applied_at"


def timestamp(month: date, seconds: int) -> str:
    """COPY text of the instant `seconds` after the start of `month` (UTC); cheaper than datetime."""
    day, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{month:%Y-%m}-{day + 1:02d} {hour:02d}:{minute:02d}:{second:02d}+00"


def copy_lines(conn: psycopg.Connection, sql: str, lines: Iterable[str]) -> None:
    """COPY tab-separated `lines` (each ending in a newline) with `sql`, in large writes."""
    with conn.cursor() as cursor, cursor.copy(sql) as copy:
        buffer: list[str] = []
        size = 0
        for line in lines:
            buffer.append(line)
            size += len(line)
            if size >= COPY_CHUNK:
                copy.write("".join(buffer))
                buffer, size = [], 0
        if buffer:
            copy.write("".join(buffer))


def copy_artists(conn: psycopg.Connection, artists: Iterable[str]) -> None:
    """Artists named after their ids, each its own payee (no splits)."""
    ids = list(artists)
    copy_lines(
        conn,
        "COPY artists_artist (id, name, created_at, updated_at) FROM STDIN",
        (f"{a}\tArtist {a}\tnow\tnow\n" for a in ids),
    )
    copy_lines(
        conn,
        "COPY artists_payee (id, kind, name, artist_id, created_at) FROM STDIN",
        (f"{a}\tartist\tArtist {a}\t{a}\tnow\n" for a in ids),
    )


def copy_tracks(conn: psycopg.Connection, tracks: Iterable[tuple[str, str]]) -> None:
    """(isrc, artist) pairs as catalog tracks of 200 s."""
    copy_lines(
        conn,
        "COPY artists_track (isrc, title, duration_ms, artist_id, created_at, updated_at) FROM STDIN",
        (f"{isrc}\tTrack {isrc}\t200000\t{artist}\tnow\tnow\n" for isrc, artist in tracks),
    )


def copy_label_payees(conn: psycopg.Connection, labels: Iterable[str]) -> None:
    """Label payees named after their ids (no artist of their own)."""
    copy_lines(
        conn,
        "COPY artists_payee (id, kind, name, artist_id, created_at) FROM STDIN",
        (f"{label}\tlabel\tLabel {label}\t\\N\tnow\n" for label in labels),
    )


def copy_works(
    conn: psycopg.Connection,
    writers: Iterable[str],
    works: Iterable[tuple[str, str, Iterable[tuple[str, str]]]],
) -> None:
    """Writer payees, then works as (work id, ISRC linked for all of it, [(payee, share)])
    whose shares sum to exactly 1."""
    copy_lines(
        conn,
        "COPY artists_payee (id, kind, name, artist_id, created_at) FROM STDIN",
        (f"{w}\twriter\tWriter {w}\t\\N\tnow\n" for w in writers),
    )
    rows = [(work, isrc, list(shares)) for work, isrc, shares in works]
    copy_lines(
        conn,
        "COPY artists_work (id, title, created_at, updated_at) FROM STDIN",
        (f"{work}\tWork {work}\tnow\tnow\n" for work, _, _ in rows),
    )
    copy_lines(
        conn,
        "COPY artists_workshare (work_id, payee_id, share) FROM STDIN",
        (f"{work}\t{payee}\t{share}\n" for work, _, shares in rows for payee, share in shares),
    )
    copy_lines(
        conn,
        "COPY artists_recordinglink (track_id, work_id, share) FROM STDIN",
        (f"{isrc}\t{work}\t1\n" for work, isrc, _ in rows),
    )


def copy_splits(conn: psycopg.Connection, splits: Iterable[tuple[str, str, str]]) -> None:
    """(isrc, payee, share) rows; a track's shares must sum to exactly 1."""
    copy_lines(
        conn,
        "COPY artists_split (track_id, payee_id, share) FROM STDIN",
        (f"{isrc}\t{payee}\t{share}\n" for isrc, payee, share in splits),
    )


def copy_listeners(conn: psycopg.Connection, listeners: Iterable[str]) -> None:
    """Listeners without a display name (the API shows them as pseudonyms)."""
    copy_lines(
        conn,
        "COPY streams_listener (id, display_name, show_to_artists) FROM STDIN",
        (f"{listener}\t\tf\n" for listener in listeners),
    )


def copy_revenue(conn: psycopg.Connection, lines: Iterable[str]) -> None:
    """Revenue records as tab-separated lines of REVENUE_COLUMNS."""
    copy_lines(conn, f"COPY streams_revenuerecord ({REVENUE_COLUMNS}) FROM STDIN", lines)


@contextmanager
def events_unindexed(conn: psycopg.Connection) -> Iterator[None]:
    """Drop the event table's unique and foreign-key constraints and secondary indexes and
    disable its triggers; restore them all on the way out, then VACUUM ANALYZE and CHECKPOINT.

    `conn` must be in autocommit mode (VACUUM cannot run in a transaction).
    """
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'streams_streamevent'::regclass AND contype IN ('u', 'f')"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'streams_streamevent' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'streams_streamevent'::regclass)"
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f'ALTER TABLE streams_streamevent DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("ALTER TABLE streams_streamevent DISABLE TRIGGER ALL")
    try:
        yield
    finally:
        conn.execute("ALTER TABLE streams_streamevent ENABLE TRIGGER ALL")
    conn.execute("SET maintenance_work_mem = '1GB'")
    for name, definition in constraints:
        conn.execute(f'ALTER TABLE streams_streamevent ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute("VACUUM ANALYZE")
    conn.execute("CHECKPOINT")


def copy_events(conn: psycopg.Connection, lines: Iterable[str], *, columns: str = EVENT_COLUMNS) -> None:
    """Stream events as tab-separated lines of `columns` (inside `events_unindexed`)."""
    copy_lines(conn, f"COPY streams_streamevent ({columns}) FROM STDIN", lines)


def copy_batches(conn: psycopg.Connection, lines: Iterable[str]) -> None:
    """Ingestion batches as tab-separated lines of BATCH_COLUMNS."""
    copy_lines(conn, f"COPY streams_ingestbatch ({BATCH_COLUMNS}) FROM STDIN", lines)


def follow_event_ids(conn: psycopg.Connection) -> None:
    """Move the event id sequence past ids that were copied in, so the service goes on from there."""
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('streams_streamevent', 'id'), "
        "(SELECT coalesce(max(id), 0) + 1 FROM streams_streamevent), false)"
    )
