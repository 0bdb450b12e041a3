"""ISRC buckets: each adds up the chunks' parts of its ISRCs, spreads the unallocated pools,
applies the catalog snapshot and writes lines, track results and exact sums."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from payouts.engine.scratch import Scratch, scratch_require
from payouts.engine.sql import SUM_PLACES, TERM_PLACES, fresh_temp_tables, one, roomy
from payouts.policy import RunPolicy


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
        (rate,) = one(cursor, f"SELECT %s::numeric(1000, {TERM_PLACES}) / %s", [amount, max(streams, 1)])
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
        fresh_temp_tables(cursor)
        roomy(cursor)
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
