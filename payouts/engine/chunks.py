"""Listener chunks: each aggregates its listener range of the month once, for the money and
for screening, into the run's scratch tables (see `payouts.engine`)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import connection

from kalipxo.months import month_bounds
from payouts.engine.scratch import Scratch, scratch_require
from payouts.engine.sql import PLAYS_SET, TERM_PLACES, bucket_sql, fresh_temp_tables, one, roomy
from payouts.policy import RunPolicy
from payouts.screening import chunk_screen


@dataclass(frozen=True)
class ChunkTotals:
    """A chunk's net revenue (all, of listeners without a qualifying stream, of rejected
    listeners), its qualifying streams and listeners. Pools are net × a share, exactly."""

    net: Decimal
    net_unallocated: Decimal
    net_rejected: Decimal
    streams: int
    listeners: int


def listener_ranges(*, chunks: int) -> list[tuple[str | None, str | None]]:
    """Up to `chunks` [lo, hi) listener-id ranges with about as many listeners each.

    Boundaries are quantiles of all listener ids in the database's collation, which the
    chunk queries compare with too, so the ranges cover every id exactly once.
    """
    if chunks <= 1:
        return [(None, None)]
    with connection.cursor() as cursor:
        fractions = [index / chunks for index in range(1, chunks)]
        (bounds,) = one(
            cursor,
            "SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY id) FROM streams_listener",
            [fractions],
        )
    cuts: list[str] = []
    for bound in bounds or []:
        if bound is not None and (not cuts or bound != cuts[-1]):
            cuts.append(bound)
    edges: list[str | None] = [None, *cuts, None]
    return list(pairwise(edges))


def _range(column: str, lo: str | None, hi: str | None) -> tuple[str, list[Any]]:
    parts, params = [], []
    if lo is not None:
        parts.append(f"{column} >= %s")
        params.append(lo)
    if hi is not None:
        parts.append(f"{column} < %s")
        params.append(hi)
    return (" AND ".join(parts) or "TRUE"), params


def chunk_compute(
    *,
    run_id: int,
    index: int,
    month: date,
    policy: RunPolicy,
    event_cut: int,
    revenue_cut: datetime,
    lo: str | None,
    hi: str | None,
    buckets: int,
    replace: bool,
) -> ChunkTotals:
    """Compute the chunk into the run's scratch tables. Caller holds a transaction and the
    chunk's advisory lock. A chunk computed before (`replace`, after a rejection) has its
    rows replaced; a chunk whose earlier attempt rolled back left none.

    Listeners an admin rejected are left out; before screening there are none.
    """
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    start, end = month_bounds(month)
    events_range, events_params = _range("e.listener_id", lo, hi)
    plain_range, plain_params = _range("listener_id", lo, hi)
    scope = "e.started_at >= %s AND e.started_at < %s AND e.duration_ms >= %s AND e.id <= %s"
    scope_params: list[Any] = [start, end, policy.min_play_ms, event_cut]
    with connection.cursor() as cursor:
        fresh_temp_tables(cursor)
        roomy(cursor)
        if replace:
            for table in (
                scratch.parts,
                scratch.isrc_listeners,
                scratch.artist_listeners,
                scratch.flags,
                scratch.devices,
            ):
                cursor.execute(f"DELETE FROM {table} WHERE chunk = %s", [index])  # noqa: S608
        cursor.execute(
            "CREATE TEMP TABLE kx_rejected ON COMMIT DROP AS SELECT listener_id FROM payouts_hold "  # noqa: S608
            f"WHERE run_id = %s AND decision = 'reject' AND {plain_range}",
            [run_id, *plain_params],
        )
        # One pass over the range's events for everything: the money, and the screening.
        cursor.execute(
            "CREATE TEMP TABLE kx_g ON COMMIT DROP AS "  # noqa: S608
            "SELECT GROUPING(e.isrc, day, e.device) AS g, e.listener_id, e.isrc, e.country, e.tier, "
            "day, e.device, count(*) AS c FROM ("
            "  SELECT e.*, (e.started_at AT TIME ZONE 'UTC')::date AS day FROM streams_streamevent e "
            f"  WHERE {scope} AND {events_range} "
            "  AND NOT EXISTS (SELECT 1 FROM kx_rejected r WHERE r.listener_id = e.listener_id)) AS e "
            "GROUP BY GROUPING SETS ((e.listener_id, e.isrc, e.country, e.tier), (e.listener_id, day), "
            "(e.device, e.listener_id))",
            [*scope_params, *events_params],
        )
        cursor.execute("ANALYZE kx_g")  # temporary tables have no statistics until analyzed
        cursor.execute(
            "CREATE TEMP TABLE kx_pools ON COMMIT DROP AS "  # noqa: S608
            "SELECT listener_id, sum(gross - tax - fees) AS pool FROM streams_revenuerecord "
            f"WHERE month = %s AND created_at <= %s AND {plain_range} GROUP BY listener_id",
            [month, revenue_cut, *plain_params],
        )
        # Each listener's rate net / T, once; its lines get rate × c, in net revenue. The
        # merge multiplies them by each side's share (recording, publishing) of net revenue,
        # so both sides follow from one pass: a listener's pool on a side is net × its share.
        cursor.execute(
            "CREATE TEMP TABLE kx_rate ON COMMIT DROP AS "  # noqa: S608
            f"SELECT t.listener_id, t.t, coalesce(pl.pool, 0)::numeric(1000, {TERM_PLACES}) / t.t AS rate "
            f"FROM (SELECT listener_id, sum(c) AS t FROM kx_g WHERE g = {PLAYS_SET} GROUP BY listener_id) t "
            "LEFT JOIN kx_pools pl ON pl.listener_id = t.listener_id",
        )
        cursor.execute("ANALYZE kx_rate")
        cursor.execute(
            f"INSERT INTO {scratch.parts} (chunk, bucket, isrc, country, tier, streams, amount) "  # noqa: S608
            f"SELECT %s, {bucket_sql('p.isrc', buckets)}, p.isrc, p.country, p.tier, sum(p.c), "
            "sum(r.rate * p.c) "
            f"FROM kx_g p JOIN kx_rate r ON r.listener_id = p.listener_id WHERE p.g = {PLAYS_SET} "
            "GROUP BY p.isrc, p.country, p.tier",
            [index],
        )
        # Distinct listeners are additive across chunks because chunks never share one.
        # A listener's plays of a track are one row per territory and tier it played in;
        # nearly everyone has one of each, so only the few with several need de-duplicating.
        cursor.execute(
            "CREATE TEMP TABLE kx_multi ON COMMIT DROP AS SELECT listener_id FROM kx_g "  # noqa: S608
            f"WHERE g = {PLAYS_SET} GROUP BY listener_id "
            "HAVING min(country) <> max(country) OR min(tier) <> max(tier)"
        )
        cursor.execute(
            "CREATE TEMP TABLE kx_pairs ON COMMIT DROP AS SELECT p.listener_id, p.isrc FROM kx_g p "  # noqa: S608
            f"WHERE p.g = {PLAYS_SET} "
            "AND NOT EXISTS (SELECT 1 FROM kx_multi m WHERE m.listener_id = p.listener_id) "
            f"UNION ALL SELECT DISTINCT listener_id, isrc FROM kx_g WHERE g = {PLAYS_SET} "
            "AND listener_id IN (SELECT listener_id FROM kx_multi)"
        )
        cursor.execute(
            f"INSERT INTO {scratch.isrc_listeners} (chunk, bucket, isrc, listeners) "  # noqa: S608
            f"SELECT %s, {bucket_sql('isrc', buckets)}, isrc, count(*) FROM kx_pairs GROUP BY isrc",
            [index],
        )
        cursor.execute(
            f"INSERT INTO {scratch.artist_listeners} (chunk, artist, listeners) "  # noqa: S608
            "SELECT %s, artist, count(*) FROM (SELECT p.listener_id, t.artist FROM kx_pairs p "
            "JOIN payouts_runtrack t ON t.run_id = %s AND t.isrc = p.isrc GROUP BY p.listener_id, "
            "t.artist) AS d "
            "GROUP BY artist",
            [index, run_id],
        )
        chunk_screen(cursor, scratch=scratch, index=index, policy=policy, scope=(scope, scope_params))
        net, unallocated, rejected = one(
            cursor,
            "SELECT coalesce(sum(pl.pool), 0), "
            "coalesce(sum(pl.pool) FILTER (WHERE t.listener_id IS NULL AND r.listener_id IS NULL), 0), "
            "coalesce(sum(pl.pool) FILTER (WHERE r.listener_id IS NOT NULL), 0) "
            "FROM kx_pools pl LEFT JOIN kx_rate t ON t.listener_id = pl.listener_id "
            "LEFT JOIN kx_rejected r ON r.listener_id = pl.listener_id",
        )
        streams, listeners = one(
            cursor,
            "SELECT (SELECT coalesce(sum(t), 0) FROM kx_rate), "
            "(SELECT count(*) FROM (SELECT listener_id FROM kx_rate UNION SELECT listener_id FROM "
            "kx_pools) AS x)",
        )
    return ChunkTotals(
        net=Decimal(net),
        net_unallocated=Decimal(unallocated),
        net_rejected=Decimal(rejected),
        streams=int(streams),
        listeners=int(listeners),
    )
