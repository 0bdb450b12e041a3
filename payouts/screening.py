"""Fraud screening (docs/rules.md §2 Fraud holds).

Rules, each counting qualifying streams of the month up to the run's cut:

- `streams_per_day`: more than N streams in one UTC day (default 1,000);
- `track_plays_per_day`: one track more than N times in one UTC day (default 200);
- `shared_device`: a device used by more than N listeners in the month (default 10);
  every listener on such a device is flagged.

A flagged listener gets one hold carrying every reason and the evidence an admin needs:
streams per UTC day, top tracks and the shared devices with their listener counts. The
rules run as GROUP BY queries in the database; only flagged listeners reach Python.
"""

import logging
import string
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction

from artists.models import Track
from kalipxo.months import month_bounds
from payouts.engine.scratch import Scratch, scratch_require
from payouts.engine.sql import DAYS_SET, DEVICES_SET, fresh_temp_tables, one
from payouts.policy import RunPolicy

logger = logging.getLogger(__name__)

RULE_STREAMS_PER_DAY = "streams_per_day"
RULE_TRACK_PLAYS_PER_DAY = "track_plays_per_day"
RULE_SHARED_DEVICE = "shared_device"
# What a hold says of each violation: one wording, filled in by Python (`detail`) or by the
# database (`detail_sql`), so both query forms below say it word for word the same.
DETAILS = {
    RULE_STREAMS_PER_DAY: "{count} streams on {day} (limit {limit})",
    RULE_TRACK_PLAYS_PER_DAY: "{isrc} played {count} times on {day} (limit {limit})",
    RULE_SHARED_DEVICE: "device {device} used by {listeners} listeners (limit {limit})",
}
EVIDENCE_TOP_TRACKS = 5
EVIDENCE_BATCH = 500  # flagged listeners per evidence query
WORK_MEM = "256MB"


@contextmanager
def roomy_queries() -> Iterator[None]:
    """A transaction whose GROUP BYs may use more memory than the server default (PostgreSQL)
    instead of spilling to disk: screening aggregates the whole month."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        yield


def db_time(moment: datetime) -> Any:
    """A timestamp as raw SQL parameters need it (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)


def _day_sql() -> str:
    if connection.vendor == "postgresql":
        return "(started_at AT TIME ZONE 'UTC')::date"
    return "date(started_at)"  # Django stores UTC text on SQLite


@dataclass
class Flag:
    listener: str
    rules: set[str] = field(default_factory=set)
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    """The qualifying streams of a run's month up to its cut, as a SQL condition."""

    month: date
    min_play_ms: int
    event_cut: int

    def where(self) -> tuple[str, list[Any]]:
        start, end = month_bounds(self.month)
        return (
            "started_at >= %s AND started_at < %s AND duration_ms >= %s AND id <= %s",
            [db_time(start), db_time(end), self.min_play_ms, self.event_cut],
        )


def detail(rule: str, **values: object) -> str:
    return DETAILS[rule].format(**values)


def detail_sql(rule: str, **expressions: str) -> str:
    """The same sentence as a SQL text expression, each field given as an expression of ours
    (a column or a placeholder, never client input)."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(DETAILS[rule]):
        if literal:
            parts.append("'" + literal.replace("'", "''") + "'")
        if name:
            parts.append(f"({expressions[name]})::text")
    return " || ".join(parts)


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def screen(*, scope: Scope, policy: RunPolicy) -> dict[str, Flag]:
    """Flagged listeners with their rules and a one-line detail per violation."""
    where, params = scope.where()
    day = _day_sql()
    flags: dict[str, Flag] = {}

    def flag(listener: str, rule: str, detail: str) -> None:
        entry = flags.setdefault(listener, Flag(listener))
        entry.rules.add(rule)
        entry.details.append(detail)

    per_day = policy.fraud_max_streams_per_day
    for listener, when, count in _rows(
        f"SELECT listener_id, {day} AS day, count(*) FROM streams_streamevent WHERE {where} "  # noqa: S608
        "GROUP BY listener_id, day HAVING count(*) > %s ORDER BY listener_id, day",
        [*params, per_day],
    ):
        flag(
            listener, RULE_STREAMS_PER_DAY, detail(RULE_STREAMS_PER_DAY, count=count, day=when, limit=per_day)
        )

    # Only listener-days over the per-track limit can hold a track over it: find those
    # first, so the fine-grained count touches a handful of listeners, not the month.
    per_track = policy.fraud_max_track_plays_per_day
    for listener, isrc, when, count in _rows(
        f"WITH busy AS (SELECT listener_id FROM streams_streamevent WHERE {where} "  # noqa: S608
        f"GROUP BY listener_id, {day} HAVING count(*) > %s) "
        f"SELECT listener_id, isrc, {day} AS day, count(*) FROM streams_streamevent "
        f"WHERE {where} AND listener_id IN (SELECT listener_id FROM busy) "
        "GROUP BY listener_id, isrc, day HAVING count(*) > %s ORDER BY listener_id, day, isrc",
        [*params, per_track, *params, per_track],
    ):
        flag(
            listener,
            RULE_TRACK_PLAYS_PER_DAY,
            detail(RULE_TRACK_PLAYS_PER_DAY, isrc=isrc, count=count, day=when, limit=per_track),
        )

    per_device = policy.fraud_max_listeners_per_device
    shared = _rows(
        "SELECT device, count(*) FROM (SELECT DISTINCT device, listener_id FROM streams_streamevent "  # noqa: S608
        f"WHERE {where} AND device IS NOT NULL) AS pairs GROUP BY device HAVING count(*) > %s",
        [*params, per_device],
    )
    for device_batch in _batches([device for device, _ in shared]):
        counts = dict(shared)
        marks = ", ".join("%s" for _ in device_batch)
        for listener, device in _rows(
            f"SELECT DISTINCT listener_id, device FROM streams_streamevent "  # noqa: S608
            f"WHERE {where} AND device IN ({marks}) ORDER BY listener_id, device",
            [*params, *device_batch],
        ):
            flag(
                listener,
                RULE_SHARED_DEVICE,
                detail(RULE_SHARED_DEVICE, device=device, listeners=counts[device], limit=per_device),
            )
    return flags


def _batches(items: Sequence[str], size: int = EVIDENCE_BATCH) -> Iterable[Sequence[str]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def evidence(
    *, scope: Scope, listeners: Sequence[str], device_counts: dict[str, dict[str, int]] | None = None
) -> dict[str, dict[str, Any]]:
    """Per flagged listener: streams per UTC day, top tracks (with titles), its devices with
    how many listeners used each, and the most shared of them.

    `device_counts` (listener -> device -> listeners), when the caller already has them,
    saves a pass over the month; otherwise they are counted here.
    """
    where, params = scope.where()
    day = _day_sql()
    out: dict[str, dict[str, Any]] = {
        listener: {"streams": 0, "streams_per_day": [], "top_tracks": [], "devices": []}
        for listener in listeners
    }
    for batch in _batches(list(listeners)):
        marks = ", ".join("%s" for _ in batch)
        scoped = f"{where} AND listener_id IN ({marks})"
        args = [*params, *batch]
        for listener, when, count in _rows(
            f"SELECT listener_id, {day} AS day, count(*) FROM streams_streamevent WHERE {scoped} "  # noqa: S608
            "GROUP BY listener_id, day ORDER BY listener_id, day",
            args,
        ):
            out[listener]["streams_per_day"].append({"day": str(when), "streams": count})
            out[listener]["streams"] += count
        tracks: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for listener, isrc, count, busiest in _rows(
            "SELECT listener_id, isrc, sum(n), max(n) FROM ("  # noqa: S608
            f"SELECT listener_id, isrc, {day} AS day, count(*) AS n FROM streams_streamevent "
            f"WHERE {scoped} GROUP BY listener_id, isrc, day) AS d "
            "GROUP BY listener_id, isrc ORDER BY listener_id, sum(n) DESC, isrc",
            args,
        ):
            if len(tracks[listener]) < EVIDENCE_TOP_TRACKS:
                tracks[listener].append(
                    {"isrc": isrc, "streams": int(count), "most_in_one_day": int(busiest)}
                )
        for listener, top in tracks.items():
            out[listener]["top_tracks"] = top
        if device_counts is None:
            for listener, device, sharing in _rows(
                f"WITH mine AS (SELECT DISTINCT listener_id, device FROM streams_streamevent "  # noqa: S608
                f"WHERE {scoped} AND device IS NOT NULL), "
                "sharing AS (SELECT device, count(DISTINCT listener_id) AS n FROM streams_streamevent "
                f"WHERE {where} AND device IN (SELECT device FROM mine) GROUP BY device) "
                "SELECT mine.listener_id, mine.device, sharing.n FROM mine "
                "JOIN sharing ON sharing.device = mine.device",
                [*args, *params],
            ):
                out[listener]["devices"].append({"device": device, "listeners": int(sharing)})
        else:
            for listener in batch:
                for device, sharing in device_counts.get(listener, {}).items():
                    out[listener]["devices"].append({"device": device, "listeners": int(sharing)})
    titles = dict(
        Track.objects.filter(
            isrc__in={t["isrc"] for entry in out.values() for t in entry["top_tracks"]}
        ).values_list("isrc", "title")
    )
    for entry in out.values():
        entry["devices"].sort(key=lambda d: (-d["listeners"], d["device"]))
        entry["shared_device"] = (
            entry["devices"][0] if entry["devices"] and entry["devices"][0]["listeners"] > 1 else None
        )
        for track in entry["top_tracks"]:
            track["title"] = titles.get(track["isrc"], "")
    return out


# -------------------------------------------------------- the chunks' part (PostgreSQL)
#
# On PostgreSQL the rules are applied to each listener chunk's aggregates while it
# computes (`payouts.engine.chunks`), and finished across chunks after the last one
# (`chunk_findings`): the same rules, messages and order as `screen`, without a second
# pass over the month.


def chunk_screen(
    cursor: Any, *, scratch: Scratch, index: int, policy: RunPolicy, scope: tuple[str, list[Any]]
) -> None:
    """The chunk's part of screening (docs/rules.md §2), from its aggregates: listener-days over the
    daily limit; tracks over the per-track daily limit (looked up only for listener-days
    busy enough to hold one); and every (device, listener) pair, for the shared-device rule
    that needs all chunks. Messages match `screen`'s, word for word."""
    per_day, per_track = policy.fraud_max_streams_per_day, policy.fraud_max_track_plays_per_day
    cursor.execute(
        f"INSERT INTO {scratch.flags} (chunk, listener, rule, sort_key, detail) "  # noqa: S608
        "SELECT %s, listener_id, 'streams_per_day', day::text, "
        f"{detail_sql(RULE_STREAMS_PER_DAY, count='c', day='day', limit='%s')} "
        f"FROM kx_g WHERE g = {DAYS_SET} AND c > %s",
        [index, per_day, per_day],
    )
    cursor.execute(
        f"CREATE TEMP TABLE kx_busy ON COMMIT DROP AS SELECT listener_id, day FROM kx_g WHERE g = {DAYS_SET} "  # noqa: S608
        "AND c > %s",
        [per_track],
    )
    (busy,) = one(cursor, "SELECT count(*) FROM kx_busy")
    if busy:
        where, params = scope
        cursor.execute(
            f"INSERT INTO {scratch.flags} (chunk, listener, rule, sort_key, detail) "  # noqa: S608
            "SELECT %s, listener_id, 'track_plays_per_day', day || ' ' || isrc, "
            f"{detail_sql(RULE_TRACK_PLAYS_PER_DAY, isrc='isrc', count='n', day='day', limit='%s')} FROM ("
            "  SELECT e.listener_id, e.isrc, (e.started_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n "
            f"  FROM streams_streamevent e WHERE {where} "
            "  AND e.listener_id IN (SELECT listener_id FROM kx_busy) "
            "  AND NOT EXISTS (SELECT 1 FROM kx_rejected r WHERE r.listener_id = e.listener_id) "
            "  GROUP BY 1, 2, 3) AS d "
            "WHERE n > %s AND (listener_id, day) IN (SELECT listener_id, day FROM kx_busy)",
            [index, per_track, *params, per_track],
        )
    cursor.execute(
        f"INSERT INTO {scratch.devices} (chunk, device, listener) "  # noqa: S608
        f"SELECT %s, device, listener_id FROM kx_g WHERE g = {DEVICES_SET} AND device IS NOT NULL",
        [index],
    )


RULE_ORDER = {RULE_STREAMS_PER_DAY: 0, RULE_TRACK_PLAYS_PER_DAY: 1, RULE_SHARED_DEVICE: 2}


def chunk_findings(*, run_id: int, policy: RunPolicy) -> tuple[dict[str, Flag], dict[str, dict[str, int]]]:
    """Every chunk's flags plus the shared-device rule across chunks, as `screen` reports
    them; and, per flagged listener, its devices' listener counts (for `evidence`)."""
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    per_device = policy.fraud_max_listeners_per_device
    found: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        fresh_temp_tables(cursor)
        cursor.execute(f"SELECT listener, rule, detail FROM {scratch.flags} ORDER BY listener, sort_key")  # noqa: S608
        found.extend(cursor.fetchall())
        cursor.execute(
            f"SELECT d.listener, d.device, s.n FROM {scratch.devices} d JOIN ("  # noqa: S608
            f"  SELECT device, count(DISTINCT listener) AS n FROM {scratch.devices} GROUP BY device "
            "  HAVING count(DISTINCT listener) > %s) AS s ON s.device = d.device ORDER BY "
            "d.listener, d.device",
            [per_device],
        )
        for listener, device, sharing in cursor.fetchall():
            found.append(
                (
                    listener,
                    RULE_SHARED_DEVICE,
                    detail(RULE_SHARED_DEVICE, device=device, listeners=sharing, limit=per_device),
                )
            )
        flagged = sorted({listener for listener, _, _ in found})
        devices: dict[str, dict[str, int]] = {listener: {} for listener in flagged}
        if flagged:
            cursor.execute(
                "SELECT mine.listener, mine.device, count(DISTINCT everyone.listener) "  # noqa: S608
                f"FROM {scratch.devices} mine JOIN {scratch.devices} everyone ON everyone.device = "
                "mine.device "
                "WHERE mine.listener = ANY(%s) GROUP BY mine.listener, mine.device",
                [flagged],
            )
            for listener, device, sharing in cursor.fetchall():
                devices[listener][device] = int(sharing)
    found.sort(key=lambda row: (row[0], RULE_ORDER[row[1]]))  # stable: keeps days in order
    flags: dict[str, Flag] = {}
    for listener, rule, said in found:
        entry = flags.setdefault(listener, Flag(listener))
        entry.rules.add(rule)
        entry.details.append(said)
    return flags, devices
