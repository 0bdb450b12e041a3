"""Stream-event ingestion: validate a batch in one pass, write it with set-based statements.

Good events are kept even when others in the batch are rejected (docs/rules.md §4);
idempotency rests on the unique `event_id` constraint, so a replayed batch, or the same
batch posted concurrently, is stored exactly once.

An `event_id` names one play: its listener, ISRC, duration and start (an instant, whatever
the offset it was written with). The same play sent again is a duplicate, even if its
country, tier or device differ (docs/rules.md §4b); the id sent with another play is rejected, and
the event that holds the id (the stored one, else the first in the batch) stays as it is.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from kalipxo.db import execute_bound, insert_ignoring_conflicts, json_document
from kalipxo.validation import (
    COUNTRY_MESSAGE,
    ISRC_MESSAGE,
    Errors,
    check_id,
    check_int,
    echo_id,
    normalize_country,
    normalize_isrc,
    parse_timestamp,
)
from streams.listeners import listeners_add
from streams.live import dispatch
from streams.models import IngestBatch, StreamEvent

MAX_BATCH = 1000
EVENT_FIELDS = frozenset(
    {"event_id", "listener", "isrc", "started_at", "duration_ms", "country", "tier", "device"}
)
MAX_DURATION_MS = 24 * 3600 * 1000

EVENT_COLUMNS = (
    ("event_id", "varchar"),
    ("listener_id", "varchar"),
    ("isrc", "varchar"),
    ("started_at", "timestamptz"),
    ("duration_ms", "integer"),
    ("country", "varchar"),
    ("tier", "varchar"),
    ("device", "varchar"),
)


# What makes two events with one id the same play: (listener, isrc, started_at, duration_ms).
Play = tuple[str, str, datetime, int]
ID_REUSED = (
    "This event_id is already used for another play (another listener, ISRC, duration or "
    "started_at); the event stored under it is kept. Send each play with its own event_id."
)


def _play(row: tuple) -> Play:
    return (row[1], row[2], row[3], row[4])


@dataclass
class Rejection:
    index: int
    event_id: str | None
    errors: Errors

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "event_id": self.event_id, "errors": self.errors}


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    batch_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
        }


def _validate_event(
    item: Any, *, plans: frozenset[str], latest: datetime
) -> tuple[tuple, None] | tuple[None, Errors]:
    """One event as a row tuple (without batch id), or its errors by field."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Each event must be a JSON object."]}
    errors: Errors = {}
    if len(item) > len(EVENT_FIELDS) or not EVENT_FIELDS.issuperset(item):
        for name in sorted(set(item) - EVENT_FIELDS):
            errors[str(name)[:64]] = ["Unknown field; remove it (see /api/docs/)."]
    event_id = item.get("event_id")
    if (msg := check_id(event_id)) is not None:
        errors["event_id"] = [msg]
    listener = item.get("listener")
    if (msg := check_id(listener)) is not None:
        errors["listener"] = [msg]
    isrc = normalize_isrc(item.get("isrc"))
    if isrc is None:
        errors["isrc"] = [ISRC_MESSAGE]
    started = parse_timestamp(item.get("started_at"))
    if isinstance(started, str):
        errors["started_at"] = [started]
    elif started > latest:
        errors["started_at"] = ["More than 5 minutes in the future; check the player's clock."]
    duration = item.get("duration_ms")
    if (msg := check_int(duration, minimum=0, maximum=MAX_DURATION_MS)) is not None:
        errors["duration_ms"] = [msg]
    country = normalize_country(item.get("country"))
    if country is None:
        errors["country"] = [COUNTRY_MESSAGE]
    tier = item.get("tier")
    if not isinstance(tier, str) or tier not in plans:
        errors["tier"] = [f"Unknown tier; use one of: {', '.join(sorted(plans))}."]
    device = item.get("device")
    if device is not None and (msg := check_id(device, max_length=128)) is not None:
        errors["device"] = [msg]
    if errors:
        return None, errors
    return (event_id, listener, isrc, started, duration, country, tier, device), None


def stream_events_ingest(*, items: list[Any], now: datetime | None = None) -> IngestResult:
    """Validate and store a batch of stream events; see the module docstring.

    Every event of the batch is counted once: accepted + duplicates + rejected == len(items).
    """
    if len(items) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} events per request; this one has {len(items)}.")
    plans = frozenset(settings.PLAN_PRICES)
    latest = (now or datetime.now(UTC)) + timedelta(seconds=settings.STREAM_MAX_FUTURE_SECONDS)
    result = IngestResult()
    firsts: dict[str, tuple[int, tuple]] = {}  # event id -> (index, row) of its first event here
    repeats: list[tuple[int, tuple]] = []  # later events of the batch with one of those ids
    for index, item in enumerate(items):
        row, errors = _validate_event(item, plans=plans, latest=latest)
        if errors is not None:
            raw_id = item.get("event_id") if isinstance(item, dict) else None
            result.rejected.append(Rejection(index, echo_id(raw_id), errors))
            continue
        assert row is not None  # noqa: S101 - no errors means a parsed row
        if row[0] in firsts:
            repeats.append((index, row))
        else:
            firsts[row[0]] = (index, row)
    if firsts:
        _store(firsts, repeats, result)
    result.rejected.sort(key=lambda rejection: rejection.index)
    return result


@dataclass
class _Written:
    """What one batch's insert found, from either backend."""

    accepted: int
    # Ids stored before with another play: those events of the batch were not written.
    reused: set[str]
    # Ids not written because another request wrote them after this statement's snapshot
    # was taken: their stored play is compared by `_stored_plays`, in a statement of its own.
    unseen: set[str]


def _store(
    firsts: dict[str, tuple[int, tuple]], repeats: list[tuple[int, tuple]], result: IngestResult
) -> None:
    # Sorted by event id, so concurrent batches sharing events take their unique-index
    # locks in the same order and cannot deadlock each other.
    rows = sorted(row for _, row in firsts.values())
    batch_id = result.batch_id
    if connection.vendor == "postgresql":
        written = _store_postgresql(rows, batch_id)
    else:
        written = _store_portable(rows, batch_id)
    # A stored play is read only where the answer needs it: ids written concurrently, and
    # ids reused whose repeats in this batch must be compared with the stored play.
    wanted = written.unseen | {row[0] for _, row in repeats if row[0] in written.reused}
    stored = _stored_plays(wanted) if wanted else {}
    # .get: an id another request held is committed by now (ON CONFLICT waited for it); were
    # it gone, the event is refused with the reuse error rather than answered with a 500.
    reused = written.reused | {key for key in written.unseen if stored.get(key) != _play(firsts[key][1])}
    result.accepted = written.accepted
    result.duplicates = len(rows) - written.accepted - len(reused)
    for key in reused:
        index, _ = firsts[key]
        result.rejected.append(Rejection(index, key, {"event_id": [ID_REUSED]}))
    for index, row in repeats:
        # The play the id stands for: the stored one, or this batch's first (written now,
        # or equal to the stored one).
        held = stored.get(row[0]) if row[0] in reused else _play(firsts[row[0]][1])
        if _play(row) == held:
            result.duplicates += 1
        else:
            result.rejected.append(Rejection(index, row[0], {"event_id": [ID_REUSED]}))
    if written.accepted:
        # The batch row commits with its events; the live pools apply it exactly once.
        transaction.on_commit(lambda: dispatch.batch_committed(str(batch_id)))


def _stored_plays(event_ids: set[str], *, other_than: uuid.UUID | None = None) -> dict[str, Play]:
    """The stored play of each of these ids (not of those written by batch `other_than`)."""
    events = StreamEvent.objects.filter(event_id__in=event_ids)
    if other_than is not None:
        events = events.exclude(batch_id=other_than)
    rows = events.values_list("event_id", "listener_id", "isrc", "started_at", "duration_ms")
    return {row[0]: _play(row) for row in rows}


_NAMES = ", ".join(name for name, _ in EVENT_COLUMNS)
_RECORD = ", ".join(f"{name} {kind}" for name, kind in EVENT_COLUMNS)
_PG_STORE = f"""
WITH r AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%s::json) AS r({_RECORD})
), events AS (
    INSERT INTO streams_streamevent ({_NAMES}, batch_id)
    SELECT {_NAMES}, %s::uuid FROM r
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, event_id, listener_id
), new_listeners AS (
    -- Listeners of the events written, not of those refused: a reused id adds nobody.
    INSERT INTO streams_listener (id, display_name, show_to_artists)
    SELECT listener_id, '', false FROM events
    WHERE NOT EXISTS (SELECT 1 FROM streams_listener AS known WHERE known.id = events.listener_id)
    GROUP BY listener_id
    ORDER BY listener_id COLLATE "C"  -- code-point order, as listeners_add: no deadlock
    ON CONFLICT (id) DO NOTHING
), batch AS (
    INSERT INTO streams_ingestbatch (batch_id, first_id, last_id, events)
    SELECT %s::uuid, min(id), max(id), count(*) FROM events HAVING count(*) > 0
), kept AS (
    -- Events of the batch not written: their id is stored already. Empty for new events,
    -- so a batch of new plays pays no lookup for this.
    SELECT * FROM r WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.event_id = r.event_id)
)
SELECT
    (SELECT count(*) FROM events),
    -- Every sub-statement reads the snapshot taken before the statement: the stored rows
    -- seen here are older ones, never those `events` writes.
    ARRAY(
        SELECT kept.event_id FROM kept JOIN streams_streamevent AS s ON s.event_id = kept.event_id
        WHERE (s.listener_id, s.isrc, s.started_at, s.duration_ms)
            <> (kept.listener_id, kept.isrc, kept.started_at, kept.duration_ms)
    ),
    ARRAY(
        SELECT kept.event_id FROM kept
        WHERE NOT EXISTS (SELECT 1 FROM streams_streamevent AS s WHERE s.event_id = kept.event_id)
    )
"""  # noqa: S608 - identifiers from this module, values bound as parameters


def _store_postgresql(rows: list[tuple], batch_id: uuid.UUID) -> _Written:
    """One statement: the events (duplicates skipped), their new listeners, the batch row,
    and which of the ids already stored hold another play.

    One round trip and one commit per batch; PostgreSQL parses the JSON document in C.
    """
    document = json_document([name for name, _ in EVENT_COLUMNS], rows)
    [(accepted, reused, unseen)] = execute_bound(_PG_STORE, [document, batch_id, batch_id])
    return _Written(accepted=int(accepted), reused=set(reused), unseen=set(unseen))


def _store_portable(rows: list[tuple], batch_id: uuid.UUID) -> _Written:
    """The same writes as `_store_postgresql` in a few statements, for SQLite.

    The stored plays are read after the insert, which holds the database's write lock,
    so every id the insert skipped is visible: nothing is left unseen.
    """
    with transaction.atomic():
        inserted_ids = insert_ignoring_conflicts(
            table="streams_streamevent",
            columns=(*EVENT_COLUMNS, ("batch_id", "uuid")),
            rows=[(*row, batch_id) for row in rows],
            conflict="event_id",
            returning="id",
        )
        by_id = {row[0]: row for row in rows}
        skipped = len(inserted_ids) < len(rows)
        older = _stored_plays(set(by_id), other_than=batch_id) if skipped else {}
        listeners_add(row[1] for key, row in by_id.items() if key not in older)
        if inserted_ids:
            IngestBatch.objects.create(
                batch_id=batch_id,
                first_id=min(inserted_ids),
                last_id=max(inserted_ids),
                events=len(inserted_ids),
            )
    reused = {key for key, play in older.items() if play != _play(by_id[key])}
    return _Written(accepted=len(inserted_ids), reused=reused, unseen=set())
