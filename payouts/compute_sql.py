"""The month's allocation in PostgreSQL, set-based, in parallel idempotent steps.

1. Listener chunks (`chunk_compute`): each aggregates its listener range of the month in
   the database, once: per (listener, ISRC, territory, tier) for the money, per (listener,
   UTC day) and (device, listener) for screening. It stores exact contributions P × c / T
   per (ISRC, territory, tier), distinct listeners per ISRC and artist, the screening
   rules its listeners broke and the devices they used, in the run's scratch tables.
   Chunks never share a listener, so their parts add up.
2. Screening finishes (`screening_findings`) with the shared-device rule across chunks.
   Chunks holding listeners an admin rejected are computed again without them.
3. ISRC buckets (`bucket_merge`): each adds up the chunk parts of its ISRCs, spreads the
   unallocated pools, applies the run's catalog snapshot (splits, suspense), writes the
   allocation lines and track results, and exact sums per payee and artist.
4. `finish` adds up the buckets, rounds once per payee with the largest-remainder method
   (with suspense and retained), and writes payee, suspense and artist results and the
   pro-rata and progressive comparisons.

Nothing of the month is loaded into Python: workers send statements and read one row per
artist (for the progressive model's maths).

Scratch data lives in unlogged tables of its own per run (`Scratch`), partitioned by ISRC
bucket, created with the chunks and dropped by the finish: a merge reads only its
partition, and nothing is deleted row by row. Unlogged tables come back empty after a
crash; a run that finds its scratch emptied fails instead of going on with holes
(`scratch_require`).

Exactness. Pools are exact decimals (net × rights share). A listener's per-stream rate
P / T is computed to 40 decimal places (numeric division rounds correctly at the result's
scale); a line's amount is rate × c, summed exactly; sums are rounded to 30 places before
the cent is decided. An amount with at most 30 decimal places (a whole cent, an exact
half cent: the ties rounding meets in practice) is therefore exact, and its floor and
remainder rank are those of rational arithmetic; other amounts would have to agree with a
neighbour to 30 decimal places of a currency unit for their order to differ. Tests check
this path against the pure maths (`payouts.maths`, exact fractions) on the same data,
and `verify_run` against an independent statement.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any

from django.db import connection

from payouts.maths.progressive import ProgressiveAllocation, allocate_progressive
from payouts.policy import RunPolicy
from streams.selectors import month_bounds

TERM_PLACES = 40  # decimals of a listener's per-stream rate
SUM_PLACES = 30  # decimals an amount is rounded to before its cent is decided
WORK_MEM = "256MB"  # per statement node; keeps a chunk's aggregates in memory
ADVISORY_NAMESPACE = 0x6B78  # "kx": first key of our advisory locks
# GROUPING() bitmasks of the chunk's grouping sets over (isrc, day, device); a bit is 1
# when the column is absent from the set.
PLAYS_SET = 0b011  # (listener, isrc, country, tier)
DAYS_SET = 0b101  # (listener, day)
DEVICES_SET = 0b110  # (device, listener)


def bucket_sql(column: str, buckets: int) -> str:
    """The merge bucket of an ISRC: a stable hash, so every chunk puts it in the same one."""
    return f"mod(hashtext({column}) & 2147483647, {int(buckets)})"


@dataclass(frozen=True)
class Scratch:
    """Names of a run's scratch tables (ours, never client input)."""

    run_id: int

    def table(self, name: str) -> str:
        return f"kx_run{int(self.run_id)}_{name}"

    @property
    def parts(self) -> str:  # (chunk, bucket, isrc, country, tier, streams, amount)
        return self.table("parts")

    @property
    def isrc_listeners(self) -> str:  # (chunk, bucket, isrc, listeners)
        return self.table("isrc_listeners")

    @property
    def artist_listeners(self) -> str:  # (chunk, artist, listeners)
        return self.table("artist_listeners")

    @property
    def flags(self) -> str:  # (chunk, listener, rule, sort_key, detail)
        return self.table("flags")

    @property
    def devices(self) -> str:  # (chunk, device, listener)
        return self.table("devices")

    @property
    def sums(self) -> str:  # (bucket, kind, key, streams, amount, pro_rata_amount)
        return self.table("sums")

    @property
    def intact(self) -> str:  # one row, written with the tables (see `scratch_require`)
        return self.table("intact")

    def all(self) -> list[str]:
        return [
            self.parts, self.isrc_listeners, self.artist_listeners, self.flags, self.devices, self.sums,
            self.intact,
        ]  # fmt: skip


class ScratchLost(RuntimeError):
    """The run's scratch tables were emptied under it: the run cannot go on."""


def scratch_create(*, run_id: int, buckets: int) -> None:
    """Create the run's scratch tables (again, if a failed attempt left some)."""
    scratch = Scratch(run_id)
    with connection.cursor() as cursor:
        scratch_drop(run_id=run_id)
        for name, columns in (
            (
                scratch.parts,
                "chunk int, bucket int, isrc text, country text, tier text, streams bigint, amount numeric",
            ),
            (scratch.isrc_listeners, "chunk int, bucket int, isrc text, listeners bigint"),
        ):
            cursor.execute(f"CREATE TABLE {name} ({columns}) PARTITION BY LIST (bucket)")
            for bucket in range(buckets):
                cursor.execute(
                    f"CREATE UNLOGGED TABLE {name}_{bucket} PARTITION OF {name} FOR VALUES IN ({bucket})"
                )
        cursor.execute(
            f"CREATE UNLOGGED TABLE {scratch.artist_listeners} (chunk int, artist text, listeners bigint)"
        )
        cursor.execute(
            f"CREATE UNLOGGED TABLE {scratch.flags} (chunk int, listener text, rule text, sort_key "
            "text, detail text)"
        )
        cursor.execute(f"CREATE UNLOGGED TABLE {scratch.devices} (chunk int, device text, listener text)")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {scratch.sums} (bucket int, kind text, key text, streams bigint, "
            "amount numeric, pro_rata_amount numeric)"
        )
        cursor.execute(f"CREATE UNLOGGED TABLE {scratch.intact} AS SELECT true AS intact")


def scratch_require(*, run_id: int) -> None:
    """Refuse to go on when the run's scratch tables were emptied.

    PostgreSQL empties every unlogged table when it recovers from a crash (or a replica is
    promoted): steps already marked done would have lost their rows, and the run would
    miss holds or come out short. A run whose marker row is gone fails with this reason
    instead; its month is then started again. Runs whose scratch predates the marker
    table are not checked.
    """
    marker = Scratch(run_id).intact
    with connection.cursor() as cursor:
        (exists,) = _one(cursor, "SELECT to_regclass(%s) IS NOT NULL", [marker])
        if not exists:
            return
        (rows,) = _one(cursor, f"SELECT count(*) FROM {marker}")  # noqa: S608
    if not rows:
        raise ScratchLost(
            f"the scratch tables of run {run_id} were emptied (the database recovered from a crash "
            "or failed over); start the month again"
        )


def scratch_drop(*, run_id: int) -> None:
    with connection.cursor() as cursor:
        for name in Scratch(run_id).all():
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


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


TEMP_TABLES = (
    "kx_multi",
    "kx_alloc",
    "kx_busy",
    "kx_g",
    "kx_isrc",
    "kx_lines",
    "kx_pairs",
    "kx_pools",
    "kx_pr_lines",
    "kx_pr_rounded",
    "kx_progressive",
    "kx_rate",
    "kx_rejected",
    "kx_rounded",
    "kx_split",
    "kx_sums",
)


def _fresh_temp_tables(cursor: Any) -> None:
    """Drop this session's temporary tables of an earlier step.

    They are ON COMMIT DROP, but a step that runs inside a caller's transaction (tests,
    in-process runs) commits nothing between steps.
    """
    cursor.execute("DROP TABLE IF EXISTS " + ", ".join(f"pg_temp.{name}" for name in TEMP_TABLES))


def _roomy(cursor: Any) -> None:
    """Settings for this transaction's big statements: aggregates in memory rather than
    spilled to disk, and no JIT compilation, which costs more than it saves here (each
    statement runs once, over few rows per expression compiled)."""
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cursor.execute("SET LOCAL jit = off")


def listener_ranges(*, chunks: int) -> list[tuple[str | None, str | None]]:
    """Up to `chunks` [lo, hi) listener-id ranges with about as many listeners each.

    Boundaries are quantiles of all listener ids in the database's collation, which the
    chunk queries compare with too, so the ranges cover every id exactly once.
    """
    if chunks <= 1:
        return [(None, None)]
    with connection.cursor() as cursor:
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


def _lock_key(stage: str, run_id: int, index: int) -> str:
    return f"{stage}:{run_id}:{index}"


def try_lock(*, stage: str, run_id: int, index: int) -> bool:
    """Take a step's advisory lock for this transaction; False if another session has it.

    A crashed worker's session ends and its lock with it, which is how the sweeper tells
    a lost step from a slow one.
    """
    with connection.cursor() as cursor:
        (locked,) = _one(
            cursor,
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
            [ADVISORY_NAMESPACE, _lock_key(stage, run_id, index)],
        )
    return bool(locked)


def is_locked(*, stage: str, run_id: int, index: int) -> bool:
    """Whether some session is working on the step right now (its advisory lock is held)."""
    with connection.cursor() as cursor:
        (held,) = _one(
            cursor,
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s::int::oid AND objid = hashtext(%s)::oid AND objsubid = 2)",
            [ADVISORY_NAMESPACE, _lock_key(stage, run_id, index)],
        )
    return bool(held)


def catalog_snapshot(*, run_id: int) -> None:
    """The catalog as the run computes: every track's artist and title, and the splits of
    the tracks that have some (a track without splits pays 100% to its artist). Caller
    holds a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_runtrack (run_id, isrc, artist, title) "
            "SELECT %s, isrc, artist_id, title FROM artists_track",
            [run_id],
        )
        cursor.execute(
            "INSERT INTO payouts_runsplit (run_id, isrc, artist, payee, share) "
            "SELECT %s, t.isrc, t.artist_id, s.payee_id, s.share "
            "FROM artists_track t JOIN artists_split s ON s.track_id = t.isrc",
            [run_id],
        )
        if connection.vendor == "postgresql":
            # Fresh rows the chunks join against at once: give the planner their statistics.
            cursor.execute("ANALYZE payouts_runtrack")
            cursor.execute("ANALYZE payouts_runsplit")


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
        _fresh_temp_tables(cursor)
        _roomy(cursor)
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
            "SELECT listener_id, sum(gross - tax - fees) * %s::numeric AS pool FROM streams_revenuerecord "
            f"WHERE month = %s AND created_at <= %s AND {plain_range} GROUP BY listener_id",
            [policy.rights_share, month, revenue_cut, *plain_params],
        )
        # Each listener's rate P / T, once; its lines get rate × c.
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
        _screen(cursor, scratch=scratch, index=index, policy=policy, scope=(scope, scope_params))
        pools, unallocated, rejected = _one(
            cursor,
            "SELECT coalesce(sum(pl.pool), 0), "
            "coalesce(sum(pl.pool) FILTER (WHERE t.listener_id IS NULL AND r.listener_id IS NULL), 0), "
            "coalesce(sum(pl.pool) FILTER (WHERE r.listener_id IS NOT NULL), 0) "
            "FROM kx_pools pl LEFT JOIN kx_rate t ON t.listener_id = pl.listener_id "
            "LEFT JOIN kx_rejected r ON r.listener_id = pl.listener_id",
        )
        streams, listeners = _one(
            cursor,
            "SELECT (SELECT coalesce(sum(t), 0) FROM kx_rate), "
            "(SELECT count(*) FROM (SELECT listener_id FROM kx_rate UNION SELECT listener_id FROM "
            "kx_pools) AS x)",
        )
    return ChunkTotals(
        pools=Decimal(pools),
        unallocated=Decimal(unallocated),
        rejected=Decimal(rejected),
        streams=int(streams),
        listeners=int(listeners),
    )


def _screen(
    cursor: Any, *, scratch: Scratch, index: int, policy: RunPolicy, scope: tuple[str, list[Any]]
) -> None:
    """The chunk's part of screening (docs/rules.md §2), from its aggregates: listener-days over the
    daily limit; tracks over the per-track daily limit (looked up only for listener-days
    busy enough to hold one); and every (device, listener) pair, for the shared-device rule
    that needs all chunks. Messages match `payouts.screening`."""
    per_day, per_track = policy.fraud_max_streams_per_day, policy.fraud_max_track_plays_per_day
    cursor.execute(
        f"INSERT INTO {scratch.flags} (chunk, listener, rule, sort_key, detail) "  # noqa: S608
        "SELECT %s, listener_id, 'streams_per_day', day::text, "
        "c || ' streams on ' || day || ' (limit ' || %s || ')' "
        f"FROM kx_g WHERE g = {DAYS_SET} AND c > %s",
        [index, per_day, per_day],
    )
    cursor.execute(
        f"CREATE TEMP TABLE kx_busy ON COMMIT DROP AS SELECT listener_id, day FROM kx_g WHERE g = {DAYS_SET} "  # noqa: S608
        "AND c > %s",
        [per_track],
    )
    (busy,) = _one(cursor, "SELECT count(*) FROM kx_busy")
    if busy:
        where, params = scope
        cursor.execute(
            f"INSERT INTO {scratch.flags} (chunk, listener, rule, sort_key, detail) "  # noqa: S608
            "SELECT %s, listener_id, 'track_plays_per_day', day || ' ' || isrc, "
            "isrc || ' played ' || n || ' times on ' || day || ' (limit ' || %s || ')' FROM ("
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


@dataclass(frozen=True)
class Flag:
    listener: str
    rule: str
    detail: str


def screening_findings(*, run_id: int, policy: RunPolicy) -> tuple[list[Flag], dict[str, dict[str, int]]]:
    """The flags of every chunk plus the shared-device rule across chunks, in the order
    `payouts.screening` reports them; and, per flagged listener, its devices' listener counts."""
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    per_device = policy.fraud_max_listeners_per_device
    with connection.cursor() as cursor:
        _fresh_temp_tables(cursor)
        cursor.execute(f"SELECT listener, rule, detail FROM {scratch.flags} ORDER BY listener, sort_key")  # noqa: S608
        flags = [Flag(*row) for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT d.listener, d.device, s.n FROM {scratch.devices} d JOIN ("  # noqa: S608
            f"  SELECT device, count(DISTINCT listener) AS n FROM {scratch.devices} GROUP BY device "
            "  HAVING count(DISTINCT listener) > %s) AS s ON s.device = d.device ORDER BY "
            "d.listener, d.device",
            [per_device],
        )
        for listener, device, sharing in cursor.fetchall():
            detail = f"device {device} used by {sharing} listeners (limit {per_device})"
            flags.append(Flag(listener, "shared_device", detail))
        flagged = sorted({flag.listener for flag in flags})
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
    order = {"streams_per_day": 0, "track_plays_per_day": 1, "shared_device": 2}
    flags.sort(key=lambda flag: (flag.listener, order[flag.rule]))  # stable: keeps days in order
    return flags, devices


@dataclass(frozen=True)
class SettleTotals:
    pools: Decimal
    unallocated: Decimal
    rejected: Decimal
    streams: int


def spreads(policy: RunPolicy, totals: SettleTotals) -> bool:
    """Whether unallocated pools are spread over the month's streams. With no qualifying
    stream at all there is nothing to spread over: they are retained."""
    return policy.unallocated_policy == "pro_rata" and totals.streams > 0


def _per_stream(amount: Decimal, streams: int) -> Decimal:
    """amount / streams to TERM_PLACES decimals (correctly rounded), in the database."""
    with connection.cursor() as cursor:
        (rate,) = _one(cursor, f"SELECT %s::numeric(1000, {TERM_PLACES}) / %s", [amount, max(streams, 1)])
    return Decimal(rate)


def bucket_merge(*, run_id: int, bucket: int, policy: RunPolicy, totals: SettleTotals) -> None:
    """Merge one bucket of ISRCs: lines, track results and exact sums for the finish.

    Caller holds a transaction and the bucket's advisory lock. Reads only the bucket's
    partitions of the run's scratch tables; writes the bucket's lines and track results
    and its sums (all in the one transaction that marks the step done).
    """
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    # The unallocated pools spread evenly over every qualifying stream (U / S a stream),
    # and the pro-rata comparison's rate ((pools - rejected) / S a stream).
    spread_rate = _per_stream(totals.unallocated, totals.streams) if spreads(policy, totals) else Decimal(0)
    pro_rata_rate = (
        _per_stream(totals.pools - totals.rejected, totals.streams) if totals.streams else Decimal(0)
    )
    with connection.cursor() as cursor:
        _fresh_temp_tables(cursor)
        _roomy(cursor)
        cursor.execute(
            "CREATE TEMP TABLE kx_alloc ON COMMIT DROP AS "  # noqa: S608
            "SELECT isrc, country, tier, streams, amount AS amount_l, %s::numeric * streams AS amount_u, "
            "%s::numeric * streams AS amount_p FROM (SELECT isrc, country, tier, "
            "sum(streams)::bigint AS streams, "
            f"sum(amount) AS amount FROM {scratch.parts}_{int(bucket)} GROUP BY isrc, country, "
            "tier) AS lines",
            [spread_rate, pro_rata_rate],
        )
        cursor.execute("ANALYZE kx_alloc")
        # The split stage: each payee's share of each line (a track without splits: all to
        # its artist); an ISRC not in the catalog keeps the whole line for suspense, under
        # an empty payee.
        cursor.execute(
            "CREATE TEMP TABLE kx_split ON COMMIT DROP AS "
            "SELECT CASE WHEN t.isrc IS NULL THEN '' ELSE coalesce(s.payee, t.artist) END AS payee, "
            "coalesce(t.artist, '') AS artist, a.isrc, a.country, a.tier, a.streams, a.amount_l, a.amount_u, "
            "coalesce(s.share, 1) AS share, (a.amount_l + a.amount_u) * coalesce(s.share, 1) AS amount, "
            "a.amount_p * coalesce(s.share, 1) AS pr FROM kx_alloc a "
            "LEFT JOIN payouts_runtrack t ON t.run_id = %s AND t.isrc = a.isrc "
            "LEFT JOIN payouts_runsplit s ON s.run_id = %s AND s.isrc = a.isrc",
            [run_id, run_id],
        )
        cursor.execute(
            "INSERT INTO payouts_allocationline (run_id, payee, isrc, artist, country, tier, streams, "  # noqa: S608
            "listeners_amount, unallocated_amount, share, amount) "
            f"SELECT %s, payee, isrc, artist, country, tier, streams, round(amount_l, {SUM_PLACES}), "
            f"round(amount_u, {SUM_PLACES}), share, round(amount, {SUM_PLACES}) FROM kx_split",
            [run_id],
        )
        cursor.execute(
            "CREATE TEMP TABLE kx_isrc ON COMMIT DROP AS SELECT isrc, sum(streams) AS streams, "
            "sum(amount_l + amount_u) AS gross, sum(amount_u) AS unallocated, sum(amount_p) AS pro_rata "
            "FROM kx_alloc GROUP BY isrc"
        )
        cursor.execute(
            "INSERT INTO payouts_trackresult "  # noqa: S608
            "(run_id, isrc, artist, title, streams, listeners, gross_exact, unallocated_exact) "
            "SELECT %s, i.isrc, coalesce(t.artist, ''), coalesce(t.title, ''), i.streams, coalesce(cl.n, 0), "
            f"round(i.gross, {SUM_PLACES}), round(i.unallocated, {SUM_PLACES}) FROM kx_isrc i "
            "LEFT JOIN payouts_runtrack t ON t.run_id = %s AND t.isrc = i.isrc "
            f"LEFT JOIN (SELECT isrc, sum(listeners) AS n FROM {scratch.isrc_listeners}_{int(bucket)} "
            "GROUP BY isrc) cl ON cl.isrc = i.isrc",
            [run_id, run_id],
        )
        cursor.execute(
            f"INSERT INTO {scratch.sums} (bucket, kind, key, streams, amount, pro_rata_amount) "  # noqa: S608
            "SELECT %s, CASE WHEN payee = '' THEN 'suspense' ELSE 'payee' END, "
            "CASE WHEN payee = '' THEN isrc ELSE payee END, sum(streams), sum(amount), sum(pr) "
            "FROM kx_split GROUP BY 2, 3 "
            "UNION ALL SELECT %s, 'artist', t.artist, sum(i.streams), sum(i.gross), sum(i.pro_rata) "
            "FROM kx_isrc i JOIN payouts_runtrack t ON t.run_id = %s AND t.isrc = i.isrc GROUP BY t.artist",
            [bucket, bucket, run_id],
        )


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
    sql = f"SELECT coalesce(sum(floor(exact * %s)), 0), count(*) FROM {source}"  # noqa: S608
    (floors, keys) = _one(cursor, sql, [scale])
    leftover = total_minor - int(floors)
    if not 0 <= leftover <= int(keys):
        raise ValueError(f"Exact shares do not add up to the total to distribute ({leftover} of {keys}).")
    cursor.execute(
        f"CREATE TEMP TABLE {target} ON COMMIT DROP AS "  # noqa: S608
        "SELECT kind, key, exact, (floor(exact * %s) + CASE WHEN row_number() OVER ("
        'ORDER BY exact * %s - floor(exact * %s) DESC, kind COLLATE "C", key COLLATE "C") <= %s '
        f"THEN 1 ELSE 0 END)::bigint AS minor FROM {source}",
        [scale, scale, scale, leftover],
    )


def finish(*, run_id: int, policy: RunPolicy, totals: SettleTotals) -> Settled:
    """Add up the buckets, round once per payee, write payee, suspense and artist results.

    Caller holds a transaction and the run's row lock; every bucket is merged.
    """
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    scale = policy.scale
    total_minor = half_even_minor(totals.pools, scale)
    retained_exact = totals.rejected + (Decimal(0) if spreads(policy, totals) else totals.unallocated)
    pro_rata_retained = totals.rejected + (Decimal(0) if totals.streams else totals.pools - totals.rejected)
    with connection.cursor() as cursor:
        _fresh_temp_tables(cursor)
        _roomy(cursor)
        cursor.execute(
            "CREATE TEMP TABLE kx_sums ON COMMIT DROP AS SELECT kind, key, sum(streams) AS streams, "  # noqa: S608
            f"round(sum(amount), {SUM_PLACES}) AS exact, round(sum(pro_rata_amount), {SUM_PLACES}) AS pr "
            f"FROM {scratch.sums} GROUP BY kind, key",
        )
        # The progressive comparison is pure maths in Python on one row per artist; it runs
        # in a thread while the statements below keep the database busy (both wait on
        # different things: the thread holds the GIL, the statements release it).
        cursor.execute("SELECT key, streams FROM kx_sums WHERE kind = 'artist'")
        plays = {artist: int(count) for artist, count in cursor.fetchall()}
        with ThreadPoolExecutor(max_workers=1) as pool:
            later = pool.submit(
                allocate_progressive,
                plays_per_artist=plays,
                pool=totals.pools - totals.rejected,
                places=policy.minor_exponent,
            )
            finished = _finish_rounding(
                cursor,
                run_id=run_id,
                totals=totals,
                total_minor=total_minor,
                retained_exact=retained_exact,
                pro_rata_retained=pro_rata_retained,
                scale=scale,
            )
            progressive = _progressive_store(cursor, later.result())
        allocated, suspense, retained_minor, pr_allocated, pr_suspense, pr_retained = finished
        cursor.execute(
            "INSERT INTO payouts_artistresult (run_id, artist, name, streams, listeners, gross_exact, "  # noqa: S608
            "amount_minor, pro_rata_gross_exact, pro_rata_amount_exact, pro_rata_minor, progressive_minor) "
            "SELECT %s, g.key, coalesce(ar.name, g.key), g.streams, coalesce(cl.n, 0), g.exact, "
            "coalesce(pay.minor, 0), g.pr, coalesce(prp.exact, 0), coalesce(prp.minor, 0), pg.minor "
            "FROM kx_sums g LEFT JOIN artists_artist ar ON ar.id = g.key "
            f"LEFT JOIN (SELECT artist, sum(listeners) AS n FROM {scratch.artist_listeners} GROUP "
            "BY artist) cl "
            "ON cl.artist = g.key "
            "LEFT JOIN kx_rounded pay ON pay.kind = 'payee' AND pay.key = g.key "
            "LEFT JOIN kx_pr_rounded prp ON prp.kind = 'payee' AND prp.key = g.key "
            "LEFT JOIN kx_progressive pg ON pg.artist = g.key WHERE g.kind = 'artist'",
            [run_id],
        )
    scratch_drop(run_id=run_id)
    return Settled(
        pools_minor=total_minor,
        allocated_minor=int(allocated),
        suspense_minor=int(suspense),
        retained_minor=int(retained_minor),
        retained_exact=retained_exact,
        comparison={
            "pro_rata": {
                "allocated_minor": int(pr_allocated),
                "suspense_minor": int(pr_suspense),
                "retained_minor": int(pr_retained),
            },
            "progressive": progressive,
        },
    )


def _finish_rounding(
    cursor: Any,
    *,
    run_id: int,
    totals: SettleTotals,
    total_minor: int,
    retained_exact: Decimal,
    pro_rata_retained: Decimal,
    scale: int,
) -> tuple[int, int, int, int, int, int]:
    """Round the user-centric and the pro-rata lines once each; write payee and suspense
    results. Returns (allocated, suspense, retained) of both models, in minor units."""
    # The user-centric result: payees, suspense per ISRC and retained, rounded together.
    cursor.execute(
        "CREATE TEMP TABLE kx_lines ON COMMIT DROP AS SELECT kind, key, exact, streams FROM kx_sums "
        "WHERE kind <> 'artist' UNION ALL SELECT 'retained', '', %s::numeric, 0",
        [retained_exact],
    )
    _largest_remainder(cursor, source="kx_lines", target="kx_rounded", total_minor=total_minor, scale=scale)
    cursor.execute(
        "INSERT INTO payouts_payeeresult "
        "(run_id, payee, kind, name, distributor_id, streams, amount_exact, amount_minor) "
        "SELECT %s, r.key, coalesce(p.kind, 'artist'), coalesce(p.name, a.name, r.key), "
        "coalesce(p.distributor_id, a.distributor_id), l.streams, r.exact, r.minor "
        "FROM kx_rounded r JOIN kx_lines l ON l.kind = r.kind AND l.key = r.key "
        "LEFT JOIN artists_payee p ON p.id = r.key LEFT JOIN artists_artist a ON a.id = r.key "
        "WHERE r.kind = 'payee'",
        [run_id],
    )
    cursor.execute(
        "INSERT INTO payouts_suspenseresult (run_id, isrc, streams, amount_exact, amount_minor) "
        "SELECT %s, r.key, l.streams, r.exact, r.minor FROM kx_rounded r "
        "JOIN kx_lines l ON l.kind = r.kind AND l.key = r.key WHERE r.kind = 'suspense'",
        [run_id],
    )
    allocated, suspense, retained_minor = _one(
        cursor,
        "SELECT coalesce(sum(minor) FILTER (WHERE kind = 'payee'), 0), "
        "coalesce(sum(minor) FILTER (WHERE kind = 'suspense'), 0), "
        "coalesce(sum(minor) FILTER (WHERE kind = 'retained'), 0) FROM kx_rounded",
    )
    # Pro-rata: the same pools by share of all qualifying streams; rejected pools are
    # retained in both models, so both have the same total.
    cursor.execute(
        "CREATE TEMP TABLE kx_pr_lines ON COMMIT DROP AS SELECT kind, key, pr AS exact FROM kx_sums "
        "WHERE kind <> 'artist' UNION ALL SELECT 'retained', '', %s::numeric",
        [pro_rata_retained],
    )
    _largest_remainder(
        cursor, source="kx_pr_lines", target="kx_pr_rounded", total_minor=total_minor, scale=scale
    )
    pr_allocated, pr_suspense, pr_retained = _one(
        cursor,
        "SELECT coalesce(sum(minor) FILTER (WHERE kind = 'payee'), 0), "
        "coalesce(sum(minor) FILTER (WHERE kind = 'suspense'), 0), "
        "coalesce(sum(minor) FILTER (WHERE kind = 'retained'), 0) FROM kx_pr_rounded",
    )
    return (int(allocated), int(suspense), int(retained_minor), int(pr_allocated), int(pr_suspense),
            int(pr_retained))  # fmt: skip


def _progressive_store(cursor: Any, allocation: ProgressiveAllocation[str]) -> dict:
    """Keep the progressive amounts per artist for the artist results; a summary for the run."""
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
