"""The finish: add up the buckets, round each side once per payee (largest remainder),
write payee, suspense and artist results and the comparisons (docs/rules.md §2)."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from kalipxo.money import half_even_minor
from payouts.engine.merge import SettleTotals, SideTotals, side_retained
from payouts.engine.scratch import Scratch, scratch_drop, scratch_require
from payouts.engine.sql import SUM_PLACES, fresh_temp_tables, one, roomy
from payouts.maths.progressive import ProgressiveAllocation, allocate_progressive
from payouts.policy import RunPolicy


@dataclass(frozen=True)
class SideSettled:
    """One side's totals in minor units, and what it keeps exactly."""

    pools_minor: int
    allocated_minor: int
    suspense_minor: int
    retained_minor: int
    retained_exact: Decimal

    @classmethod
    def none(cls) -> "SideSettled":
        return cls(0, 0, 0, 0, Decimal(0))


@dataclass(frozen=True)
class Settled:
    recording: SideSettled
    publishing: SideSettled
    comparison: dict[str, Any]


def _largest_remainder(cursor: Any, *, source: str, target: str, total_minor: int, scale: int) -> None:
    """Round `source(kind, key, exact)` into `target(kind, key, exact, minor)` once.

    Floors first; the cents left over go one each to the largest remainders, ties by
    (kind, key) in byte order, exactly as `kalipxo.money.largest_remainder` orders them.
    """
    sql = f"SELECT coalesce(sum(floor(exact * %s)), 0), count(*) FROM {source}"  # noqa: S608
    (floors, keys) = one(cursor, sql, [scale])
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


def _round_side(
    cursor: Any,
    *,
    kinds: tuple[str, str],
    column: str,
    retained: Decimal,
    total_minor: int,
    scale: int,
    target: str,
) -> tuple[int, int, int]:
    """Round one side's (payee, suspense) sums of `column` with its retained line into
    `target`, its kinds renamed to payee, suspense and retained. Returns their totals."""
    lines = f"{target}_lines"
    cursor.execute(
        f"CREATE TEMP TABLE {lines} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT CASE kind WHEN %s THEN 'payee' ELSE 'suspense' END AS kind, key, {column} AS exact, "
        "streams FROM kx_sums WHERE kind IN (%s, %s) UNION ALL SELECT 'retained', '', %s::numeric, 0",
        [kinds[0], kinds[0], kinds[1], retained],
    )
    _largest_remainder(cursor, source=lines, target=target, total_minor=total_minor, scale=scale)
    allocated, suspense, retained_minor = one(
        cursor,
        "SELECT coalesce(sum(minor) FILTER (WHERE kind = 'payee'), 0), "  # noqa: S608
        "coalesce(sum(minor) FILTER (WHERE kind = 'suspense'), 0), "
        f"coalesce(sum(minor) FILTER (WHERE kind = 'retained'), 0) FROM {target}",
    )
    return int(allocated), int(suspense), int(retained_minor)


def finish(*, run_id: int, policy: RunPolicy, totals: SettleTotals) -> Settled:
    """Add up the buckets, round each side once per payee, write payee, suspense and
    artist results.

    Caller holds a transaction and the run's row lock; every bucket is merged.
    """
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    recording = totals.side(policy.recording_share)
    with connection.cursor() as cursor:
        fresh_temp_tables(cursor)
        roomy(cursor)
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
                pool=recording.pools - recording.rejected,
                places=policy.minor_exponent,
            )
            recording_settled, pro_rata = _recording_round(cursor, policy=policy, side=recording)
            publishing_settled, by_method = _publishing_round(cursor, policy=policy, totals=totals)
            _payees_write(cursor, run_id=run_id)
            progressive = _progressive_store(cursor, later.result())
        cursor.execute(
            "INSERT INTO payouts_artistresult (run_id, artist, name, streams, listeners, gross_exact, "  # noqa: S608
            "amount_minor, pro_rata_gross_exact, pro_rata_amount_exact, pro_rata_minor, progressive_minor, "
            "publishing_minor) "
            "SELECT %s, g.key, coalesce(ar.name, g.key), g.streams, coalesce(cl.n, 0), g.exact, "
            "coalesce(pay.minor, 0), g.pr, coalesce(prp.exact, 0), coalesce(prp.minor, 0), pg.minor, "
            "coalesce(pub.minor, 0) "
            "FROM kx_sums g LEFT JOIN artists_artist ar ON ar.id = g.key "
            f"LEFT JOIN (SELECT artist, sum(listeners) AS n FROM {scratch.artist_listeners} GROUP "
            "BY artist) cl "
            "ON cl.artist = g.key "
            "LEFT JOIN kx_rounded pay ON pay.kind = 'payee' AND pay.key = g.key "
            "LEFT JOIN kx_pr_rounded prp ON prp.kind = 'payee' AND prp.key = g.key "
            "LEFT JOIN kx_pub_rounded pub ON pub.kind = 'payee' AND pub.key = g.key "
            "LEFT JOIN kx_progressive pg ON pg.artist = g.key WHERE g.kind = 'artist'",
            [run_id],
        )
    scratch_drop(run_id=run_id)
    return Settled(
        recording=recording_settled,
        publishing=publishing_settled,
        comparison={"pro_rata": pro_rata, "progressive": progressive, "publishing": by_method},
    )


def _recording_round(cursor: Any, *, policy: RunPolicy, side: SideTotals) -> tuple[SideSettled, dict]:
    """Round the recording side's user-centric lines and its pro-rata comparison once each.

    Pro-rata divides the same pools by share of all qualifying streams; rejected pools are
    retained in both models, so both have the same total."""
    total_minor = half_even_minor(side.pools, policy.scale)
    retained = side_retained(policy, side)
    allocated, suspense, retained_minor = _round_side(
        cursor, kinds=("payee", "suspense"), column="exact", retained=retained, total_minor=total_minor,
        scale=policy.scale, target="kx_rounded",
    )  # fmt: skip
    pro_rata_retained = side.rejected + (Decimal(0) if side.streams else side.pools - side.rejected)
    pr_allocated, pr_suspense, pr_retained = _round_side(
        cursor, kinds=("payee", "suspense"), column="pr", retained=pro_rata_retained,
        total_minor=total_minor, scale=policy.scale, target="kx_pr_rounded",
    )  # fmt: skip
    settled = SideSettled(total_minor, allocated, suspense, retained_minor, retained)
    return settled, {
        "allocated_minor": pr_allocated, "suspense_minor": pr_suspense, "retained_minor": pr_retained,
    }  # fmt: skip


def _publishing_round(cursor: Any, *, policy: RunPolicy, totals: SettleTotals) -> tuple[SideSettled, dict]:
    """Round the publishing side by the run's method and by the other one (the comparison).
    Both keep the same: rejected pools, and unallocated ones when they are not spread."""
    side = totals.side(policy.publishing_rate)
    total_minor = half_even_minor(side.pools, policy.scale)
    retained = side_retained(policy, side)
    methods: dict[str, dict[str, int]] = {}
    for method, column, target in (
        (policy.publishing_allocation, "exact", "kx_pub_rounded"),
        (policy.publishing_other, "pr", "kx_pub_other_rounded"),
    ):
        allocated, suspense, retained_minor = _round_side(
            cursor, kinds=("pub_payee", "pub_suspense"), column=column, retained=retained,
            total_minor=total_minor, scale=policy.scale, target=target,
        )  # fmt: skip
        methods[method] = {
            "allocated_minor": allocated, "suspense_minor": suspense, "retained_minor": retained_minor,
        }  # fmt: skip
    paid = methods[policy.publishing_allocation]
    settled = SideSettled(
        total_minor, paid["allocated_minor"], paid["suspense_minor"], paid["retained_minor"], retained
    )
    return settled, {"method": policy.publishing_allocation, **methods}


def _payees_write(cursor: Any, *, run_id: int) -> None:
    """Payee results (both sides, one row per payee) and suspense results (per side)."""
    cursor.execute(
        "INSERT INTO payouts_payeeresult (run_id, payee, kind, name, distributor_id, streams, "
        "amount_exact, amount_minor, recording_minor, publishing_exact, publishing_minor, "
        "publishing_streams, publishing_other_minor) "
        "SELECT %s, x.key, coalesce(p.kind, 'artist'), coalesce(p.name, a.name, x.key), "
        "coalesce(p.distributor_id, a.distributor_id), "
        "CASE WHEN r.key IS NULL THEN coalesce(pl.streams, 0) ELSE coalesce(rl.streams, 0) END, "
        "coalesce(r.exact, 0) + coalesce(pb.exact, 0), coalesce(r.minor, 0) + coalesce(pb.minor, 0), "
        "coalesce(r.minor, 0), coalesce(pb.exact, 0), coalesce(pb.minor, 0), coalesce(pl.streams, 0), "
        "coalesce(po.minor, 0) "
        "FROM (SELECT key FROM kx_rounded WHERE kind = 'payee' "
        "UNION SELECT key FROM kx_pub_rounded WHERE kind = 'payee') x "
        "LEFT JOIN kx_rounded r ON r.kind = 'payee' AND r.key = x.key "
        "LEFT JOIN kx_rounded_lines rl ON rl.kind = 'payee' AND rl.key = x.key "
        "LEFT JOIN kx_pub_rounded pb ON pb.kind = 'payee' AND pb.key = x.key "
        "LEFT JOIN kx_pub_rounded_lines pl ON pl.kind = 'payee' AND pl.key = x.key "
        "LEFT JOIN kx_pub_other_rounded po ON po.kind = 'payee' AND po.key = x.key "
        "LEFT JOIN artists_payee p ON p.id = x.key LEFT JOIN artists_artist a ON a.id = x.key",
        [run_id],
    )
    cursor.execute(
        "INSERT INTO payouts_suspenseresult (run_id, side, isrc, streams, amount_exact, amount_minor) "
        "SELECT %s, 'recording', r.key, l.streams, r.exact, r.minor FROM kx_rounded r "
        "JOIN kx_rounded_lines l ON l.kind = r.kind AND l.key = r.key WHERE r.kind = 'suspense' "
        "UNION ALL SELECT %s, 'publishing', r.key, l.streams, r.exact, r.minor FROM kx_pub_rounded r "
        "JOIN kx_pub_rounded_lines l ON l.kind = r.kind AND l.key = r.key WHERE r.kind = 'suspense'",
        [run_id, run_id],
    )


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
