"""The finish: add up the buckets, round once per payee (largest remainder), write payee,
suspense and artist results and the pro-rata and progressive comparisons."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from kalipxo.money import half_even_minor
from payouts.engine.merge import SettleTotals, spreads
from payouts.engine.scratch import Scratch, scratch_drop, scratch_require
from payouts.engine.sql import SUM_PLACES, fresh_temp_tables, one, roomy
from payouts.maths.progressive import ProgressiveAllocation, allocate_progressive
from payouts.policy import RunPolicy


@dataclass(frozen=True)
class Settled:
    pools_minor: int
    allocated_minor: int
    suspense_minor: int
    retained_minor: int
    retained_exact: Decimal
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
    allocated, suspense, retained_minor = one(
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
    pr_allocated, pr_suspense, pr_retained = one(
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
