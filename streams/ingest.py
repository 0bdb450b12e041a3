"""Stream-event ingestion: validate a batch in one pass, write it with set-based statements.

Good events are kept even when others in the batch are rejected (SPEC section 4);
idempotency rests on the unique `event_id` constraint, so a replayed batch, or the same
batch posted concurrently, is stored exactly once.
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
from streams.models import IngestBatch

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
    """Validate and store a batch of stream events; see the module docstring."""
    if len(items) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} events per request; this one has {len(items)}.")
    plans = frozenset(settings.PLAN_PRICES)
    latest = (now or datetime.now(UTC)) + timedelta(seconds=settings.STREAM_MAX_FUTURE_SECONDS)
    result = IngestResult()
    rows: list[tuple] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        row, errors = _validate_event(item, plans=plans, latest=latest)
        if errors is not None:
            raw_id = item.get("event_id") if isinstance(item, dict) else None
            result.rejected.append(Rejection(index, echo_id(raw_id), errors))
            continue
        assert row is not None  # noqa: S101 - no errors means a parsed row
        if row[0] in seen:  # repeated inside this very batch
            result.duplicates += 1
            continue
        seen.add(row[0])
        rows.append(row)
    if rows:
        _store(rows, result)
    return result


def _store(rows: list[tuple], result: IngestResult) -> None:
    # Sorted by event id, so concurrent batches sharing events take their unique-index
    # locks in the same order and cannot deadlock each other.
    rows.sort()
    batch_id = result.batch_id
    if connection.vendor == "postgresql":
        accepted = _store_postgresql(rows, batch_id)
    else:
        accepted = _store_portable(rows, batch_id)
    result.accepted = accepted
    result.duplicates += len(rows) - accepted
    if accepted:
        # The batch row commits with its events; the live pools apply it exactly once.
        transaction.on_commit(lambda: dispatch.batch_committed(str(batch_id)))


_NAMES = ", ".join(name for name, _ in EVENT_COLUMNS)
_RECORD = ", ".join(f"{name} {kind}" for name, kind in EVENT_COLUMNS)
_PG_STORE = f"""
WITH r AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%s::json) AS r({_RECORD})
), new_listeners AS (
    INSERT INTO streams_listener (id, display_name, show_to_artists)
    SELECT listener_id, '', false FROM r
    WHERE NOT EXISTS (SELECT 1 FROM streams_listener AS known WHERE known.id = r.listener_id)
    GROUP BY listener_id
    ORDER BY listener_id COLLATE "C"  -- code-point order, as listeners_add: no deadlock
    ON CONFLICT (id) DO NOTHING
), events AS (
    INSERT INTO streams_streamevent ({_NAMES}, batch_id)
    SELECT {_NAMES}, %s::uuid FROM r
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id
), batch AS (
    INSERT INTO streams_ingestbatch (batch_id, first_id, last_id, events)
    SELECT %s::uuid, min(id), max(id), count(*) FROM events HAVING count(*) > 0
)
SELECT count(*) FROM events
"""  # noqa: S608 - identifiers from this module, values bound as parameters


def _store_postgresql(rows: list[tuple], batch_id: uuid.UUID) -> int:
    """One statement: new listeners, the events (duplicates skipped) and the batch row.

    One round trip and one commit per batch; PostgreSQL parses the JSON document in C.
    """
    document = json_document([name for name, _ in EVENT_COLUMNS], rows)
    [(accepted,)] = execute_bound(_PG_STORE, [document, batch_id, batch_id])
    return int(accepted)


def _store_portable(rows: list[tuple], batch_id: uuid.UUID) -> int:
    """The same writes as `_store_postgresql` in three statements, for SQLite."""
    with transaction.atomic():
        listeners_add(row[1] for row in rows)
        inserted_ids = insert_ignoring_conflicts(
            table="streams_streamevent",
            columns=(*EVENT_COLUMNS, ("batch_id", "uuid")),
            rows=[(*row, batch_id) for row in rows],
            conflict="event_id",
            returning="id",
        )
        if inserted_ids:
            IngestBatch.objects.create(
                batch_id=batch_id,
                first_id=min(inserted_ids),
                last_id=max(inserted_ids),
                events=len(inserted_ids),
            )
    return len(inserted_ids)
