"""The month's allocation in PostgreSQL, set-based: chunks of listeners, then one settle.

Each chunk aggregates its listener range of the month in the database (per listener and
track, then per ISRC, listener territory and plan tier) and stores exact contributions
P × c / T in `payouts_chunkpart`. Chunks never share a listener, so their parts add up.
The settle step spreads the unallocated pool, applies the run's catalog snapshot
(splits, suspense), rounds once per payee with the largest-remainder method and writes
the results and the model comparisons. Nothing of the month is loaded into Python.

Exactness. Pools are exact decimals (net × rights share). Each listener's contribution is
a rational P × c / T; it is computed to 40 decimal places (numeric division rounds
correctly at the result's scale), summed exactly, and the sums are rounded to 30 places
before the cent is decided. So the floor and the remainder ranking of every amount that
is a decimal of at most 30 places (every amount that can tie) are those of exact rational
arithmetic; two different non-terminating amounts would have to agree to 30 decimal
places of a currency unit to be ordered otherwise. A test checks this path against the
pure maths (`payouts.maths`, exact fractions) on the same data.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any

from django.db import connection

from payouts.maths.progressive import allocate_progressive
from payouts.policy import RunPolicy
from streams.selectors import month_bounds

logger = logging.getLogger(__name__)

TERM_PLACES = 40  # decimals of each P × c / T term
SUM_PLACES = 30  # decimals an amount is rounded to before its cent is decided
WORK_MEM = "256MB"  # per statement node; keeps a chunk's aggregates in memory
ADVISORY_NAMESPACE = 0x6B78  # "kx": first key of our advisory locks


@dataclass(frozen=True)
class ChunkTotals:
    pools: Decimal
    unallocated: Decimal
    rejected: Decimal
    streams: int
    listeners: int


def _one(cursor: Any, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
    cursor.execute(sql, params)
    row = cursor.fetchone()
    if row is None:  # aggregates always answer one row; anything else is a bug
        raise RuntimeError(f"No row from: {sql[:80]}")
    return tuple(row)


def listener_ranges(*, listeners_per_chunk: int, max_chunks: int) -> list[tuple[str | None, str | None]]:
    """[lo, hi) listener-id ranges of about `listeners_per_chunk` listeners each.

    Boundaries are quantiles of all listener ids in the database's collation, which the
    chunk queries compare with too, so the ranges cover every id exactly once.
    """
    with connection.cursor() as cursor:
        (count,) = _one(cursor, "SELECT count(*) FROM streams_listener")
        chunks = max(1, min(max_chunks, -(-int(count) // max(1, listeners_per_chunk))))
        if chunks == 1:
            return [(None, None)]
        fractions = [index / chunks for index in range(1, chunks)]
        (bounds,) = _one(
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


def try_lock_chunk(*, run_id: int, index: int) -> bool:
    """Take the chunk's advisory lock for this transaction; False if another worker has it.

    A crashed worker's session ends and its lock with it, which is how the sweeper tells
    a lost chunk from a slow one.
    """
    with connection.cursor() as cursor:
        (locked,) = _one(
            cursor,
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
            [ADVISORY_NAMESPACE, f"chunk:{run_id}:{index}"],
        )
    return bool(locked)


def chunk_is_locked(*, run_id: int, index: int) -> bool:
    """Whether some session is computing the chunk right now (its advisory lock is held)."""
    with connection.cursor() as cursor:
        (held,) = _one(
            cursor,
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::int::oid AND objid = hashtext(%s)::oid AND objsubid = 2)",
            [ADVISORY_NAMESPACE, f"chunk:{run_id}:{index}"],
        )
    return bool(held)


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
) -> ChunkTotals:
    """Replace the chunk's parts with freshly computed ones. Caller holds a transaction
    and the chunk's advisory lock; repeating it gives the same rows (idempotent)."""
    start, end = month_bounds(month)
    events_range, events_params = _range("e.listener_id", lo, hi)
    plain_range, plain_params = _range("listener_id", lo, hi)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute("DELETE FROM payouts_chunkpart WHERE run_id = %s AND chunk = %s", [run_id, index])
        cursor.execute("DELETE FROM payouts_chunklisteners WHERE run_id = %s AND chunk = %s", [run_id, index])
        cursor.execute(
            "CREATE TEMP TABLE kx_rejected ON COMMIT DROP AS SELECT listener_id FROM payouts_hold "  # noqa: S608
            f"WHERE run_id = %s AND decision = 'reject' AND {plain_range}",
            [run_id, *plain_params],
        )
        cursor.execute(
            "CREATE TEMP TABLE kx_plays ON COMMIT DROP AS "  # noqa: S608
            "SELECT e.listener_id, e.isrc, e.country, e.tier, count(*) AS c FROM streams_streamevent e "
            "WHERE e.started_at >= %s AND e.started_at < %s AND e.duration_ms >= %s AND e.id <= %s "
            f"AND {events_range} "
            "AND NOT EXISTS (SELECT 1 FROM kx_rejected r WHERE r.listener_id = e.listener_id) "
            "GROUP BY e.listener_id, e.isrc, e.country, e.tier",
            [start, end, policy.min_play_ms, event_cut, *events_params],
        )
        cursor.execute(
            "CREATE TEMP TABLE kx_pools ON COMMIT DROP AS "  # noqa: S608
            "SELECT listener_id, sum(gross - tax - fees) * %s::numeric AS pool FROM streams_revenuerecord "
            f"WHERE month = %s AND created_at <= %s AND {plain_range} GROUP BY listener_id",
            [policy.rights_share, month, revenue_cut, *plain_params],
        )
        cursor.execute(
            "CREATE TEMP TABLE kx_t ON COMMIT DROP AS SELECT listener_id, sum(c) AS t FROM kx_plays "
            "GROUP BY listener_id"
        )
        cursor.execute("ANALYZE kx_t")
        cursor.execute("ANALYZE kx_pools")
        cursor.execute(
            "INSERT INTO payouts_chunkpart (run_id, chunk, isrc, country, tier, streams, amount) "  # noqa: S608
            "SELECT %s, %s, p.isrc, p.country, p.tier, sum(p.c), "
            f"coalesce(sum((pl.pool * p.c)::numeric(1000, {TERM_PLACES}) / t.t), 0) "
            "FROM kx_plays p JOIN kx_t t ON t.listener_id = p.listener_id "
            "LEFT JOIN kx_pools pl ON pl.listener_id = p.listener_id "
            "GROUP BY p.isrc, p.country, p.tier",
            [run_id, index],
        )
        # Distinct listeners are additive across chunks because chunks never share one.
        cursor.execute(
            "INSERT INTO payouts_chunklisteners (run_id, chunk, kind, key, listeners) "
            "SELECT %s, %s, 'isrc', isrc, count(DISTINCT listener_id) FROM kx_plays GROUP BY isrc "
            "UNION ALL "
            "SELECT %s, %s, 'artist', s.artist, count(DISTINCT p.listener_id) FROM kx_plays p "
            "JOIN (SELECT DISTINCT isrc, artist FROM payouts_runsplit WHERE run_id = %s) s "
            "ON s.isrc = p.isrc "
            "GROUP BY s.artist",
            [run_id, index, run_id, index, run_id],
        )
        pools, unallocated, rejected = _one(
            cursor,
            "SELECT coalesce(sum(pl.pool), 0), "
            "coalesce(sum(pl.pool) FILTER (WHERE t.listener_id IS NULL AND r.listener_id IS NULL), 0), "
            "coalesce(sum(pl.pool) FILTER (WHERE r.listener_id IS NOT NULL), 0) "
            "FROM kx_pools pl LEFT JOIN kx_t t ON t.listener_id = pl.listener_id "
            "LEFT JOIN kx_rejected r ON r.listener_id = pl.listener_id",
        )
        streams, listeners = _one(
            cursor,
            "SELECT (SELECT coalesce(sum(t), 0) FROM kx_t), "
            "(SELECT count(*) FROM (SELECT listener_id FROM kx_t UNION "
            "SELECT listener_id FROM kx_pools) AS everyone)",
        )
    return ChunkTotals(
        pools=Decimal(pools),
        unallocated=Decimal(unallocated),
        rejected=Decimal(rejected),
        streams=int(streams),
        listeners=int(listeners),
    )


@dataclass(frozen=True)
class SettleTotals:
    pools: Decimal
    unallocated: Decimal
    rejected: Decimal
    streams: int


@dataclass(frozen=True)
class Settled:
    pools_minor: int
    allocated_minor: int
    suspense_minor: int
    retained_minor: int
    retained_exact: Decimal
    comparison: dict[str, Any]


def half_even_minor(amount: Decimal, scale: int) -> int:
    """An exact amount in minor units, rounded half-even (the pure maths' `total_minor_of`)."""
    return int((amount * scale).to_integral_value(rounding=ROUND_HALF_EVEN))


def _largest_remainder(cursor: Any, *, source: str, target: str, total_minor: int, scale: int) -> None:
    """Round `source(kind, key, exact)` into `target(kind, key, exact, minor)` once.

    Floors first; the cents left over go one each to the largest remainders, ties by
    (kind, key) in byte order, exactly as `kalipxo.money.largest_remainder` orders them.
    """
    cursor.execute(
        f"CREATE TEMP TABLE {target} ON COMMIT DROP AS "  # noqa: S608
        "SELECT kind, key, exact, floor(exact * %s) AS fl, "
        f"exact * %s - floor(exact * %s) AS rem FROM {source}",
        [scale, scale, scale],
    )
    floors, keys = _one(cursor, f"SELECT coalesce(sum(fl), 0), count(*) FROM {target}")  # noqa: S608
    leftover = total_minor - int(floors)
    if not 0 <= leftover <= int(keys):
        raise ValueError(f"Exact shares do not add up to the total to distribute ({leftover} of {keys}).")
    cursor.execute(f"ALTER TABLE {target} ADD COLUMN minor bigint")
    cursor.execute(
        f"UPDATE {target} SET minor = fl + CASE WHEN ranked.rk <= %s THEN 1 ELSE 0 END "  # noqa: S608
        "FROM (SELECT kind AS k, key AS kk, row_number() OVER "
        f'(ORDER BY rem DESC, kind COLLATE "C", key COLLATE "C") AS rk FROM {target}) AS ranked '
        f"WHERE {target}.kind = ranked.k AND {target}.key = ranked.kk",
        [leftover],
    )


def settle(*, run_id: int, policy: RunPolicy, totals: SettleTotals) -> Settled:
    """Write the run's lines and results from its chunks' parts. Caller holds a transaction
    and the run's row lock; all chunks are done."""
    scale = policy.scale
    total_minor = half_even_minor(totals.pools, scale)
    # With no qualifying stream in the month there is nothing to spread over: retained.
    spread = policy.unallocated_policy == "pro_rata" and totals.streams > 0
    retained_exact = totals.rejected + (Decimal(0) if spread else totals.unallocated)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(
            "CREATE TEMP TABLE kx_alloc ON COMMIT DROP AS "
            "SELECT isrc, country, tier, 'listeners'::text AS source, sum(streams)::bigint AS streams, "
            "sum(amount) AS amount FROM payouts_chunkpart WHERE run_id = %s GROUP BY isrc, country, tier",
            [run_id],
        )
        if spread and totals.unallocated:
            cursor.execute(
                "INSERT INTO kx_alloc SELECT isrc, country, tier, 'unallocated', streams, "  # noqa: S608
                f"(%s::numeric * streams)::numeric(1000, {TERM_PLACES}) / %s FROM kx_alloc",
                [totals.unallocated, totals.streams],
            )
        cursor.execute(
            "CREATE TEMP TABLE kx_tracks ON COMMIT DROP AS "
            "SELECT DISTINCT isrc, artist FROM payouts_runsplit WHERE run_id = %s",
            [run_id],
        )
        cursor.execute("CREATE INDEX ON kx_tracks (isrc)")
        cursor.execute("ANALYZE kx_alloc")
        cursor.execute("ANALYZE kx_tracks")
        cursor.execute(
            "INSERT INTO payouts_allocationline "  # noqa: S608
            "(run_id, stage, source, isrc, artist, payee, country, tier, streams, share, amount) "
            "SELECT %s, 'allocation', a.source, a.isrc, coalesce(t.artist, ''), '', a.country, a.tier, "
            f"a.streams, 1, round(a.amount, {SUM_PLACES}) "
            "FROM kx_alloc a LEFT JOIN kx_tracks t ON t.isrc = a.isrc",
            [run_id],
        )
        cursor.execute(
            "CREATE TEMP TABLE kx_split ON COMMIT DROP AS "
            "SELECT s.payee, s.artist, a.isrc, a.country, a.tier, a.source, a.streams, s.share, "
            "a.amount * s.share AS amount FROM kx_alloc a JOIN payouts_runsplit s "
            "ON s.run_id = %s AND s.isrc = a.isrc",
            [run_id],
        )
        cursor.execute(
            "INSERT INTO payouts_allocationline "  # noqa: S608
            "(run_id, stage, source, isrc, artist, payee, country, tier, streams, share, amount) "
            "SELECT %s, 'split', source, isrc, artist, payee, country, tier, streams, share, "
            f"round(amount, {SUM_PLACES}) FROM kx_split",
            [run_id],
        )
        # The user-centric result: payees, suspense per ISRC and retained, rounded together.
        cursor.execute(
            "CREATE TEMP TABLE kx_lines ON COMMIT DROP AS "  # noqa: S608
            f"SELECT 'payee'::text AS kind, payee AS key, round(sum(amount), {SUM_PLACES}) AS exact, "
            "sum(streams) FILTER (WHERE source = 'listeners') AS streams FROM kx_split GROUP BY payee "
            f"UNION ALL SELECT 'suspense', a.isrc, round(sum(a.amount), {SUM_PLACES}), "
            "sum(a.streams) FILTER (WHERE a.source = 'listeners') FROM kx_alloc a "
            "WHERE NOT EXISTS (SELECT 1 FROM kx_tracks t WHERE t.isrc = a.isrc) GROUP BY a.isrc "
            "UNION ALL SELECT 'retained', '', %s::numeric, 0",
            [retained_exact],
        )
        _largest_remainder(
            cursor, source="kx_lines", target="kx_rounded", total_minor=total_minor, scale=scale
        )
        cursor.execute(
            "INSERT INTO payouts_payeeresult "
            "(run_id, payee, kind, name, distributor_id, streams, amount_exact, amount_minor) "
            "SELECT %s, r.key, coalesce(p.kind, 'artist'), coalesce(p.name, a.name, r.key), "
            "coalesce(p.distributor_id, a.distributor_id), coalesce(l.streams, 0), r.exact, r.minor "
            "FROM kx_rounded r JOIN kx_lines l ON l.kind = r.kind AND l.key = r.key "
            "LEFT JOIN artists_payee p ON p.id = r.key LEFT JOIN artists_artist a ON a.id = r.key "
            "WHERE r.kind = 'payee'",
            [run_id],
        )
        cursor.execute(
            "INSERT INTO payouts_suspenseresult (run_id, isrc, streams, amount_exact, amount_minor) "
            "SELECT %s, r.key, coalesce(l.streams, 0), r.exact, r.minor FROM kx_rounded r "
            "JOIN kx_lines l ON l.kind = r.kind AND l.key = r.key WHERE r.kind = 'suspense'",
            [run_id],
        )
        allocated, suspense, retained_minor = _one(
            cursor,
            "SELECT coalesce(sum(minor) FILTER (WHERE kind = 'payee'), 0), "
            "coalesce(sum(minor) FILTER (WHERE kind = 'suspense'), 0), "
            "coalesce(sum(minor) FILTER (WHERE kind = 'retained'), 0) FROM kx_rounded",
        )
        cursor.execute(
            "INSERT INTO payouts_trackresult (run_id, isrc, artist, title, streams, listeners, gross_exact) "  # noqa: S608
            "SELECT %s, a.isrc, coalesce(t.artist, ''), coalesce(tr.title, ''), a.streams, "
            f"coalesce(cl.listeners, 0), round(a.amount, {SUM_PLACES}) FROM "
            "(SELECT isrc, sum(streams) FILTER (WHERE source = 'listeners') AS streams, "
            "sum(amount) AS amount "
            " FROM kx_alloc GROUP BY isrc) a "
            "LEFT JOIN kx_tracks t ON t.isrc = a.isrc LEFT JOIN artists_track tr ON tr.isrc = a.isrc "
            "LEFT JOIN (SELECT key, sum(listeners) AS listeners FROM payouts_chunklisteners "
            "  WHERE run_id = %s AND kind = 'isrc' GROUP BY key) cl ON cl.key = a.isrc",
            [run_id, run_id],
        )
        pro_rata = _pro_rata(cursor, run_id=run_id, totals=totals, total_minor=total_minor, scale=scale)
        progressive = _progressive(cursor, totals=totals, policy=policy)
        cursor.execute(
            "INSERT INTO payouts_artistresult (run_id, artist, name, streams, listeners, gross_exact, "  # noqa: S608
            "amount_minor, pro_rata_gross_exact, pro_rata_amount_exact, pro_rata_minor, progressive_minor) "
            "SELECT %s, g.artist, coalesce(ar.name, g.artist), g.streams, coalesce(cl.listeners, 0), "
            f"round(g.amount, {SUM_PLACES}), coalesce(pay.minor, 0), round(g.pr_amount, {SUM_PLACES}), "
            "coalesce(prp.exact, 0), coalesce(prp.minor, 0), pg.minor FROM "
            "(SELECT t.artist, sum(a.streams) FILTER (WHERE a.source = 'listeners') AS streams, "
            " sum(a.amount) AS amount, coalesce(sum(pr.amount) FILTER (WHERE a.source = 'listeners'), 0) "
            " AS pr_amount FROM kx_alloc a JOIN kx_tracks t ON t.isrc = a.isrc "
            " LEFT JOIN kx_pr_track pr ON pr.isrc = a.isrc AND pr.country = a.country AND pr.tier = a.tier "
            " GROUP BY t.artist) g "
            "LEFT JOIN artists_artist ar ON ar.id = g.artist "
            "LEFT JOIN (SELECT key, sum(listeners) AS listeners FROM payouts_chunklisteners "
            "  WHERE run_id = %s AND kind = 'artist' GROUP BY key) cl ON cl.key = g.artist "
            "LEFT JOIN kx_rounded pay ON pay.kind = 'payee' AND pay.key = g.artist "
            "LEFT JOIN kx_pr_rounded prp ON prp.kind = 'payee' AND prp.key = g.artist "
            "LEFT JOIN kx_progressive pg ON pg.artist = g.artist",
            [run_id, run_id],
        )
        cursor.execute("DELETE FROM payouts_chunkpart WHERE run_id = %s", [run_id])
        cursor.execute("DELETE FROM payouts_chunklisteners WHERE run_id = %s", [run_id])
    return Settled(
        pools_minor=total_minor,
        allocated_minor=int(allocated),
        suspense_minor=int(suspense),
        retained_minor=int(retained_minor),
        retained_exact=retained_exact,
        comparison={"pro_rata": pro_rata, "progressive": progressive},
    )


def _pro_rata(cursor: Any, *, run_id: int, totals: SettleTotals, total_minor: int, scale: int) -> dict:
    """The same pool divided by share of all qualifying streams (`pro_rata_from_parts`).

    Fraud-rejected pools are retained in both models, so both have the same total.
    """
    pool = totals.pools - totals.rejected
    share_of = "0" if not totals.streams else f"(%s::numeric * streams)::numeric(1000, {TERM_PLACES}) / %s"
    cursor.execute(
        "CREATE TEMP TABLE kx_pr_track ON COMMIT DROP AS "  # noqa: S608
        f"SELECT isrc, country, tier, streams, {share_of} AS amount FROM kx_alloc WHERE source = 'listeners'",
        [pool, totals.streams] if totals.streams else [],
    )
    retained = totals.rejected + (Decimal(0) if totals.streams else pool)
    cursor.execute(
        "CREATE TEMP TABLE kx_pr_lines ON COMMIT DROP AS "  # noqa: S608
        "SELECT 'payee'::text AS kind, s.payee AS key, "
        f"round(sum(a.amount * s.share), {SUM_PLACES}) AS exact "
        "FROM kx_pr_track a JOIN payouts_runsplit s ON s.run_id = %s AND s.isrc = a.isrc GROUP BY s.payee "
        f"UNION ALL SELECT 'suspense', a.isrc, round(sum(a.amount), {SUM_PLACES}) FROM kx_pr_track a "
        "WHERE NOT EXISTS (SELECT 1 FROM kx_tracks t WHERE t.isrc = a.isrc) GROUP BY a.isrc "
        "UNION ALL SELECT 'retained', '', %s::numeric",
        [run_id, retained],
    )
    _largest_remainder(
        cursor, source="kx_pr_lines", target="kx_pr_rounded", total_minor=total_minor, scale=scale
    )
    allocated, suspense, retained_minor = _one(
        cursor,
        "SELECT coalesce(sum(minor) FILTER (WHERE kind = 'payee'), 0), "
        "coalesce(sum(minor) FILTER (WHERE kind = 'suspense'), 0), "
        "coalesce(sum(minor) FILTER (WHERE kind = 'retained'), 0) FROM kx_pr_rounded",
    )
    return {
        "allocated_minor": int(allocated),
        "suspense_minor": int(suspense),
        "retained_minor": int(retained_minor),
    }


def _progressive(cursor: Any, *, totals: SettleTotals, policy: RunPolicy) -> dict:
    """SPEC §3 per artist, base value solved so the artists add up to the pool.

    The pure maths runs in Python on one row per artist (plays), never on the month.
    """
    cursor.execute(
        "SELECT t.artist, sum(a.streams) FROM kx_alloc a JOIN kx_tracks t ON t.isrc = a.isrc "
        "WHERE a.source = 'listeners' GROUP BY t.artist"
    )
    plays = {artist: int(count) for artist, count in cursor.fetchall()}
    allocation = allocate_progressive(
        plays_per_artist=plays, pool=totals.pools - totals.rejected, places=policy.minor_exponent
    )
    artists = list(allocation.amounts)
    cursor.execute(
        "CREATE TEMP TABLE kx_progressive ON COMMIT DROP AS "
        "SELECT * FROM unnest(%s::text[], %s::bigint[]) AS p(artist, minor)",
        [artists, [allocation.amounts[a] for a in artists]],
    )
    return {
        "base_value": None if allocation.base_value is None else str(allocation.base_value),
        "allocated_minor": sum(allocation.amounts.values()),
        "undistributed_minor": allocation.undistributed,
    }
