"""ISRC buckets: each adds up the chunks' parts of its ISRCs, spreads the unallocated pools,
applies the catalog snapshot and writes lines, track results and exact sums, for both
sides (recording, publishing; docs/rules.md §2 Publishing)."""

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from django.db import connection

from kalipxo.money import WIDE_DIGITS, decimal_context
from payouts.engine.scratch import Scratch, scratch_require
from payouts.engine.sql import SUM_PLACES, TERM_PLACES, fresh_temp_tables, one, roomy
from payouts.policy import RunPolicy


@dataclass(frozen=True)
class SideTotals:
    """One side's month: its pools (net × the side's share of net revenue), the part of
    listeners without a qualifying stream, the part of rejected listeners, and streams."""

    pools: Decimal
    unallocated: Decimal
    rejected: Decimal
    streams: int


@dataclass(frozen=True)
class SettleTotals:
    """The chunks' sums: net revenue (all, unallocated, rejected) and qualifying streams."""

    net: Decimal
    net_unallocated: Decimal
    net_rejected: Decimal
    streams: int

    def side(self, share: Decimal) -> SideTotals:
        with localcontext(decimal_context(WIDE_DIGITS)):  # exact: net and shares are short decimals
            return SideTotals(
                pools=self.net * share,
                unallocated=self.net_unallocated * share,
                rejected=self.net_rejected * share,
                streams=self.streams,
            )


def spreads(policy: RunPolicy, totals: SettleTotals | SideTotals) -> bool:
    """Whether unallocated pools are spread over the month's streams. With no qualifying
    stream at all there is nothing to spread over: they are retained."""
    return policy.unallocated_policy == "pro_rata" and totals.streams > 0


def side_retained(policy: RunPolicy, side: SideTotals) -> Decimal:
    """What a side keeps: rejected listeners' pools, and unallocated ones when not spread."""
    return side.rejected + (Decimal(0) if spreads(policy, side) else side.unallocated)


def _per_stream(amount: Decimal, streams: int) -> Decimal:
    """amount / streams to TERM_PLACES decimals (correctly rounded), in the database."""
    with connection.cursor() as cursor:
        (rate,) = one(cursor, f"SELECT %s::numeric(1000, {TERM_PLACES}) / %s", [amount, max(streams, 1)])
    return Decimal(rate)


@dataclass(frozen=True)
class _Rates:
    """Per-stream rates of a bucket's lines: each side's spread of unallocated pools, the
    recording pro-rata comparison's and the publishing pro-rata method's."""

    recording_spread: Decimal
    recording_pro_rata: Decimal
    publishing_spread: Decimal
    publishing_pro_rata: Decimal


def _rates(policy: RunPolicy, totals: SettleTotals) -> _Rates:
    recording = totals.side(policy.recording_share)
    publishing = totals.side(policy.publishing_rate)
    streams = totals.streams
    spread = spreads(policy, totals)
    zero = Decimal(0)
    return _Rates(
        recording_spread=_per_stream(recording.unallocated, streams) if spread else zero,
        # The recording comparisons divide (pools - rejected) by all streams.
        recording_pro_rata=(_per_stream(recording.pools - recording.rejected, streams) if streams else zero),
        publishing_spread=_per_stream(publishing.unallocated, streams) if spread else zero,
        # The statutory method divides what the side does not keep by all streams.
        publishing_pro_rata=(
            _per_stream(publishing.pools - side_retained(policy, publishing), streams) if streams else zero
        ),
    )


def bucket_merge(*, run_id: int, bucket: int, policy: RunPolicy, totals: SettleTotals) -> None:
    """Merge one bucket of ISRCs: lines, track results and exact sums for the finish.

    Caller holds a transaction and the bucket's advisory lock. Reads only the bucket's
    partitions of the run's scratch tables; writes the bucket's lines and track results
    and its sums (all in the one transaction that marks the step done).
    """
    scratch_require(run_id=run_id)
    scratch = Scratch(run_id)
    rates = _rates(policy, totals)
    publishing = policy.publishing_rate > 0
    # A line's parts amount is in net revenue (see chunks): × each side's share.
    with connection.cursor() as cursor:
        fresh_temp_tables(cursor)
        roomy(cursor)
        cursor.execute(
            "CREATE TEMP TABLE kx_alloc ON COMMIT DROP AS "  # noqa: S608
            "SELECT isrc, country, tier, streams, amount * %s::numeric AS amount_l, "
            "%s::numeric * streams AS amount_u, %s::numeric * streams AS amount_p, "
            "amount * %s::numeric + %s::numeric * streams AS pub_uc, %s::numeric * streams AS pub_pr "
            "FROM (SELECT isrc, country, tier, sum(streams)::bigint AS streams, sum(amount) AS amount "
            f"FROM {scratch.parts}_{int(bucket)} GROUP BY isrc, country, tier) AS lines",
            [
                policy.recording_share, rates.recording_spread, rates.recording_pro_rata,
                policy.publishing_rate, rates.publishing_spread, rates.publishing_pro_rata,
            ],
        )  # fmt: skip
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
        uc = policy.publishing_allocation == "user_centric"
        paying, other = ("pub_uc", "pub_pr") if uc else ("pub_pr", "pub_uc")
        if publishing:
            _publishing_split(cursor, run_id=run_id, paying=paying, other=other)
        cursor.execute(
            "CREATE TEMP TABLE kx_isrc ON COMMIT DROP AS SELECT isrc, sum(streams) AS streams, "  # noqa: S608
            "sum(amount_l + amount_u) AS gross, sum(amount_u) AS unallocated, sum(amount_p) AS pro_rata, "
            f"sum({paying}) AS publishing, sum({other}) AS publishing_other FROM kx_alloc GROUP BY isrc"
        )
        cursor.execute(
            "INSERT INTO payouts_trackresult "  # noqa: S608
            "(run_id, isrc, artist, title, streams, listeners, gross_exact, unallocated_exact, "
            "publishing_exact, publishing_other_exact, linked_share) "
            "SELECT %s, i.isrc, coalesce(t.artist, ''), coalesce(t.title, ''), i.streams, coalesce(cl.n, 0), "
            f"round(i.gross, {SUM_PLACES}), round(i.unallocated, {SUM_PLACES}), "
            f"CASE WHEN %s THEN round(i.publishing, {SUM_PLACES}) ELSE 0 END, "
            f"CASE WHEN %s THEN round(i.publishing_other, {SUM_PLACES}) ELSE 0 END, "
            "coalesce(t.linked_share, 0) FROM kx_isrc i "
            "LEFT JOIN payouts_runtrack t ON t.run_id = %s AND t.isrc = i.isrc "
            f"LEFT JOIN (SELECT isrc, sum(listeners) AS n FROM {scratch.isrc_listeners}_{int(bucket)} "
            "GROUP BY isrc) cl ON cl.isrc = i.isrc",
            [run_id, publishing, publishing, run_id],
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
        if publishing:
            _publishing_sums(cursor, scratch=scratch, run_id=run_id, bucket=bucket)


def _publishing_split(cursor: Any, *, run_id: int, paying: str, other: str) -> None:
    """The publishing side's split stage: each line's publishing amount to the works linked
    to its ISRC by link share; the part not linked (no work, links short of 1, an ISRC not in
    the catalog) to mechanical suspense, under an empty work. Writes the publishing lines
    (one per work: a payee's part is the line × its share of the work) and leaves `kx_pub`
    for the sums."""
    cursor.execute(
        "CREATE TEMP TABLE kx_pub ON COMMIT DROP AS "  # noqa: S608
        "SELECT l.work, a.isrc, a.country, a.tier, a.streams, l.share, "
        f"a.{paying} * l.share AS amount, a.{other} * l.share AS other "
        "FROM kx_alloc a JOIN payouts_runworklink l ON l.run_id = %s AND l.isrc = a.isrc "
        "UNION ALL SELECT '', a.isrc, a.country, a.tier, a.streams, 1 - coalesce(t.linked_share, 0), "
        f"a.{paying} * (1 - coalesce(t.linked_share, 0)), a.{other} * (1 - coalesce(t.linked_share, 0)) "
        "FROM kx_alloc a LEFT JOIN payouts_runtrack t ON t.run_id = %s AND t.isrc = a.isrc "
        "WHERE coalesce(t.linked_share, 0) < 1",
        [run_id, run_id],
    )
    cursor.execute(
        "INSERT INTO payouts_publishingline (run_id, isrc, work, country, tier, streams, share, amount) "  # noqa: S608
        f"SELECT %s, isrc, work, country, tier, streams, share, round(amount, {SUM_PLACES}) FROM kx_pub",
        [run_id],
    )


def _publishing_sums(cursor: Any, *, scratch: Scratch, run_id: int, bucket: int) -> None:
    """Exact sums of the bucket's publishing side: per work first (few rows), then per payee
    by its share of each work; mechanical suspense per ISRC. A payee's streams count each of
    its works' recordings once, however many of the recording's works it writes."""
    cursor.execute(
        f"INSERT INTO {scratch.sums} (bucket, kind, key, streams, amount, pro_rata_amount) "  # noqa: S608
        "SELECT %s, 'pub_payee', w.payee, 0, sum(p.amount * w.share), sum(p.other * w.share) "
        "FROM (SELECT work, sum(amount) AS amount, sum(other) AS other FROM kx_pub WHERE work <> '' "
        "GROUP BY work) p JOIN payouts_runworkshare w ON w.run_id = %s AND w.work = p.work GROUP BY w.payee "
        "UNION ALL SELECT %s, 'pub_payee', payee, sum(streams), 0, 0 FROM (SELECT DISTINCT w.payee, p.isrc, "
        "p.streams FROM (SELECT work, isrc, sum(streams) AS streams FROM kx_pub WHERE work <> '' "
        "GROUP BY work, isrc) p JOIN payouts_runworkshare w ON w.run_id = %s AND w.work = p.work) AS d "
        "GROUP BY payee "
        "UNION ALL SELECT %s, 'pub_suspense', isrc, sum(streams), sum(amount), sum(other) FROM kx_pub "
        "WHERE work = '' GROUP BY isrc",
        [bucket, run_id, bucket, run_id, bucket],
    )
