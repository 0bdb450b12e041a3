"""Check a run against an independent recomputation from the raw tables.

`manage.py verify_run ID` recomputes what every payee, every suspended ISRC and the
retained line should get on each side (recording, publishing), with the run's own data
cut, policy snapshot, fraud decisions and catalog snapshot, but none of the run's computed
rows: either with the pure maths
(`python`, exact fractions, the default on SQLite) or with one self-contained SQL
statement (`sql`, PostgreSQL). It then checks conservation and, for a finalized run, the
ledger: every transaction balances and each account holds what the results say.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import F, Sum

from kalipxo.months import month_bounds
from ledger import accounts
from ledger.accounts import AccountKind
from ledger.models import Adjustment
from ledger.selectors import (
    account_balances,
    run_postings_total,
    run_transaction_keys,
    unbalanced_transactions,
)
from payouts.maths import Allocation
from payouts.models import PayeeFee, PayeeResult, PayoutRun, SuspenseRelease, SuspenseResult
from payouts.policy import RunPolicy
from payouts.run.selectors import run_outcome

# The checker keeps its own precision instead of importing the computation's: a check that
# shares constants with the code it checks would follow that code's mistakes. They equal
# the SQL path's (payouts.engine.sql) today; change them deliberately, against
# docs/rules.md §2 Rounding, not along.
TERM_PLACES = 40  # decimals of a listener's per-stream rate
SUM_PLACES = 30  # decimals an amount is rounded to before its cent is decided

# ("payee", id) | ("suspense", isrc) | ("retained", ""), and the publishing side's with
# the "pub-" prefix ("pub-payee", id), ("pub-suspense", isrc) (mechanical suspense), ...
Key = tuple[str, str]
SIDES = {"": "recording", "pub-": "publishing"}


@dataclass
class Report:
    run_id: int
    method: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def stored_amounts(run: PayoutRun) -> dict[Key, int]:
    amounts: dict[Key, int] = {}
    # A payee's recording amount is read as its amount less its publishing amount, so that a
    # changed total shows up; `_sides_agree` checks the stored recording amount too.
    rows = PayeeResult.objects.filter(run=run).values_list("payee", "amount_minor", "publishing_minor")
    for payee, amount, publishing in rows:
        amounts[("payee", payee)] = amount - publishing
        amounts[("pub-payee", payee)] = publishing
    suspense = SuspenseResult.objects.filter(run=run).values_list("side", "isrc", "amount_minor")
    for side, isrc, minor in suspense:
        amounts[("pub-suspense" if side == SuspenseResult.Side.PUBLISHING else "suspense", isrc)] = minor
    publishing_retained = run.publishing_retained_minor or 0
    amounts[("retained", "")] = (run.retained_minor or 0) - publishing_retained
    amounts[("pub-retained", "")] = publishing_retained
    return amounts


def _allocation_amounts(allocation: Allocation, prefix: str) -> dict[Key, int]:
    amounts: dict[Key, int] = {(prefix + "payee", payee): minor for payee, minor in allocation.payees.items()}
    amounts.update({(prefix + "suspense", isrc): minor for isrc, minor in allocation.suspense.items()})
    amounts[(prefix + "retained", "")] = allocation.retained
    return amounts


def recomputed_python(run: PayoutRun) -> dict[Key, int]:
    outcome = run_outcome(run)
    amounts = _allocation_amounts(outcome.allocation, "")
    if outcome.publishing is not None:
        amounts.update(_allocation_amounts(outcome.publishing.allocation, "pub-"))
    return amounts


# One statement, written from docs/rules.md §2 without the run's chunks, parts or lines: qualifying
# plays up to the cut (rejected listeners left out), pools from revenue up to the cut,
# P × c / T per listener and track, the unallocated spread, splits from the run's catalog
# snapshot, largest remainder over payees, suspense and retained.
# One statement per side, written from docs/rules.md §2 without the run's chunks, parts or
# lines: qualifying plays up to the cut (rejected listeners left out), pools from revenue up
# to the cut (net × the side's share), P × c / T per listener and track (or, for the
# publishing side's statutory method, the kept-out pools per stream), the unallocated
# spread, then the side's catalog: splits or works, suspense, retained; largest remainder.
_MONTH_SQL = f"""
WITH rejected AS (
    SELECT listener_id FROM payouts_hold WHERE run_id = %(run)s AND decision = 'reject'
), plays AS MATERIALIZED (
    SELECT e.listener_id, e.isrc, count(*) AS c FROM streams_streamevent e
    WHERE e.started_at >= %(start)s AND e.started_at < %(end)s AND e.duration_ms >= %(min_ms)s
      AND e.id <= %(event_cut)s AND NOT EXISTS (SELECT 1 FROM rejected r WHERE r.listener_id = e.listener_id)
    GROUP BY e.listener_id, e.isrc
), per_listener AS MATERIALIZED (
    SELECT listener_id, sum(c) AS t FROM plays GROUP BY listener_id
), pools AS MATERIALIZED (
    SELECT listener_id, sum(gross - tax - fees) * %(share)s::numeric AS pool FROM streams_revenuerecord
    WHERE month = %(month)s AND created_at <= %(revenue_cut)s GROUP BY listener_id
), totals AS (
    SELECT (SELECT coalesce(sum(pool), 0) FROM pools) AS pools,
           (SELECT coalesce(sum(pool), 0) FROM pools p
             WHERE p.listener_id IN (SELECT listener_id FROM rejected)) AS rejected,
           (SELECT coalesce(sum(pool), 0) FROM pools p
             WHERE p.listener_id NOT IN (SELECT listener_id FROM rejected)
               AND NOT EXISTS (SELECT 1 FROM per_listener t WHERE t.listener_id = p.listener_id))
               AS unallocated,
           (SELECT coalesce(sum(t), 0) FROM per_listener) AS streams
), per_isrc AS (
    SELECT p.isrc, sum(p.c) AS streams,
           coalesce(sum((pl.pool * p.c)::numeric(1000, {TERM_PLACES}) / t.t), 0) AS amount
    FROM plays p JOIN per_listener t ON t.listener_id = p.listener_id
    LEFT JOIN pools pl ON pl.listener_id = p.listener_id GROUP BY p.isrc
), with_spread AS (
    SELECT i.isrc, CASE WHEN %(statutory)s THEN
        ((m.pools - m.rejected - CASE WHEN %(spread)s THEN 0 ELSE m.unallocated END) * i.streams)
            ::numeric(1000, {TERM_PLACES}) / m.streams
      ELSE i.amount + CASE WHEN %(spread)s AND m.streams > 0
        THEN (m.unallocated * i.streams)::numeric(1000, {TERM_PLACES}) / m.streams ELSE 0 END END AS amount
    FROM per_isrc i CROSS JOIN totals m
), retained AS (
    SELECT 'retained'::text AS kind, ''::text AS key,
           m.rejected + CASE WHEN %(spread)s AND m.streams > 0 THEN 0 ELSE m.unallocated END AS exact
    FROM totals m
)"""  # noqa: S608 - only our own constants are formatted in

_RECORDING_LINES = f"""
, lines AS (
    SELECT 'payee'::text AS kind, coalesce(s.payee, t.artist) AS key,
           round(sum(w.amount * coalesce(s.share, 1)), {SUM_PLACES}) AS exact
    FROM with_spread w JOIN payouts_runtrack t ON t.run_id = %(run)s AND t.isrc = w.isrc
    LEFT JOIN payouts_runsplit s ON s.run_id = %(run)s AND s.isrc = w.isrc GROUP BY 2
    UNION ALL
    SELECT 'suspense', w.isrc, round(w.amount, {SUM_PLACES}) FROM with_spread w
    WHERE NOT EXISTS (SELECT 1 FROM payouts_runtrack t WHERE t.run_id = %(run)s AND t.isrc = w.isrc)
    UNION ALL SELECT * FROM retained
)"""  # noqa: S608

# Works without writers pay nobody: a link to one counts as not linked.
_PUBLISHING_LINES = f"""
, links AS (
    SELECT l.isrc, l.work, l.share FROM payouts_runworklink l WHERE l.run_id = %(run)s
      AND EXISTS (SELECT 1 FROM payouts_runworkshare w WHERE w.run_id = %(run)s AND w.work = l.work)
), lines AS (
    SELECT 'payee'::text AS kind, ws.payee AS key,
           round(sum(w.amount * l.share * ws.share), {SUM_PLACES}) AS exact
    FROM with_spread w JOIN links l ON l.isrc = w.isrc
    JOIN payouts_runworkshare ws ON ws.run_id = %(run)s AND ws.work = l.work GROUP BY 2
    UNION ALL
    SELECT 'suspense', w.isrc, round(w.amount * (1 - coalesce(k.linked, 0)), {SUM_PLACES})
    FROM with_spread w LEFT JOIN (SELECT isrc, sum(share) AS linked FROM links GROUP BY isrc) k
      ON k.isrc = w.isrc WHERE coalesce(k.linked, 0) < 1
    UNION ALL SELECT * FROM retained
)"""  # noqa: S608

_ROUNDING_SQL = """
, floors AS (
    SELECT kind, key, floor(exact * %(scale)s) AS fl,
           exact * %(scale)s - floor(exact * %(scale)s) AS rem FROM lines
), ranked AS (
    SELECT kind, key, fl, sum(fl) OVER () AS floors,
           row_number() OVER (ORDER BY rem DESC, kind COLLATE "C", key COLLATE "C") AS rk FROM floors
), total AS (
    SELECT CASE WHEN x - floor(x) > 0.5 OR (x - floor(x) = 0.5 AND mod(floor(x), 2) = 1)
                THEN floor(x) + 1 ELSE floor(x) END AS minor
    FROM (SELECT pools * %(scale)s AS x FROM totals) AS s
)
SELECT kind, key, (fl + CASE WHEN rk <= (SELECT minor FROM total) - floors THEN 1 ELSE 0 END)::bigint
FROM ranked
"""

VERIFY_SQL = _MONTH_SQL + _RECORDING_LINES + _ROUNDING_SQL
VERIFY_PUBLISHING_SQL = _MONTH_SQL + _PUBLISHING_LINES + _ROUNDING_SQL


def recomputed_sql(run: PayoutRun) -> dict[Key, int]:
    if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
        raise ValueError(f"Run {run.pk} has no data cut.")
    policy = RunPolicy.from_data(run.policy)
    start, end = month_bounds(run.month)
    params: dict[str, Any] = {
        "run": run.pk,
        "start": start,
        "end": end,
        "min_ms": policy.min_play_ms,
        "event_cut": run.cutoff_event_id,
        "share": policy.recording_share,
        "month": run.month,
        "revenue_cut": run.cutoff_revenue_at,
        "spread": policy.unallocated_policy == "pro_rata",
        "statutory": False,
        "scale": policy.scale,
    }
    amounts: dict[Key, int] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute(VERIFY_SQL, params)
        amounts.update({(kind, key): int(minor) for kind, key, minor in cursor.fetchall()})
        if policy.publishing_rate > 0:
            statutory = policy.publishing_allocation == "pro_rata"
            cursor.execute(
                VERIFY_PUBLISHING_SQL, {**params, "share": policy.publishing_rate, "statutory": statutory}
            )
            amounts.update({("pub-" + kind, key): int(minor) for kind, key, minor in cursor.fetchall()})
    return amounts


def _compare(report: Report, stored: dict[Key, int], expected: dict[Key, int]) -> None:
    keys = sorted(set(stored) | set(expected))
    report.checked = len(keys)
    differ = [key for key in keys if stored.get(key, 0) != expected.get(key, 0)]
    for kind, key in differ[:50]:
        report.problems.append(
            f"{kind} {key or '-'}: stored {stored.get((kind, key), 0)}, recomputed "
            f"{expected.get((kind, key), 0)}"
        )
    if len(differ) > 50:
        report.problems.append(f"... and {len(differ) - 50} more amounts differ")


def _conservation(report: Report, run: PayoutRun, stored: dict[Key, int]) -> None:
    """Each side conserves on its own; the run's v1 totals cover both."""
    publishing_pools = run.publishing_pools_minor or 0
    side_totals = {
        "": (run.pools_minor or 0) - publishing_pools,
        "pub-": publishing_pools,
    }
    allocated = suspense = 0
    for prefix, pools in side_totals.items():
        payees = sum(v for (kind, _), v in stored.items() if kind == prefix + "payee")
        held = sum(v for (kind, _), v in stored.items() if kind == prefix + "suspense")
        retained = stored.get((prefix + "retained", ""), 0)
        allocated, suspense = allocated + payees, suspense + held
        if payees + held + retained != pools:
            report.problems.append(
                f"conservation ({SIDES[prefix]}): payees {payees} + suspense {held} + retained {retained} "
                f"!= pools {pools}"
            )
    for name, value, total in (
        ("allocated", run.allocated_minor, allocated),
        ("suspense", run.suspense_minor, suspense),
    ):
        if value != total:
            report.problems.append(f"run total {name} {value} != sum of its rows {total}")


def _deductions_agree(report: Report, run: PayoutRun) -> None:
    """Each payee's fee is the sum of its parts per distributor, within its recording amount,
    and its withholding within what is left (docs/rules.md §2 Deductions)."""
    parts = dict(
        PayeeFee.objects.filter(run=run)
        .values("payee")
        .annotate(t=Sum("fee_minor"))
        .values_list("payee", "t")
    )
    rows = PayeeResult.objects.filter(run=run).values_list("payee", "recording_minor", "publishing_minor",
                                                           "fee_minor", "withheld_minor")  # fmt: skip
    for payee, recording, publishing, fee, withheld in rows.iterator(chunk_size=5000):
        if parts.get(payee, 0) != fee or not 0 <= fee <= recording:
            report.problems.append(
                f"payee {payee}: fee {fee} (parts {parts.get(payee, 0)}, recording {recording})"
            )
        if not 0 <= withheld <= recording - fee + publishing:
            report.problems.append(f"payee {payee}: withheld {withheld} is more than its amount after fees")


def _sides_agree(report: Report, run: PayoutRun) -> None:
    """Every payee's amount is its recording plus its publishing amount."""
    rows = PayeeResult.objects.filter(run=run).exclude(
        amount_minor=F("recording_minor") + F("publishing_minor")
    )
    for payee, amount, recording, publishing in rows.values_list(
        "payee", "amount_minor", "recording_minor", "publishing_minor"
    )[:50]:
        report.problems.append(
            f"payee {payee}: amount {amount} != recording {recording} + publishing {publishing}"
        )


def _ledger(report: Report, run: PayoutRun, stored: dict[Key, int]) -> None:
    keys = run_transaction_keys(run_id=run.pk)
    if run.status != PayoutRun.Status.FINALIZED:
        if keys:
            report.problems.append("ledger: a run that is not finalized has ledger transactions")
        return
    released = SuspenseRelease.objects.filter(run=run)
    releases = list(released.values_list("side", "isrc", "payee", "amount_minor"))
    results = PayeeResult.objects.filter(run=run)
    deductions = list(
        results.exclude(fee_minor=0, withheld_minor=0).values_list(
            "payee", "fee_minor", "withheld_minor", "withheld_publishing_minor"
        )
    )
    # The settlement; suspense released by the month; its fees and its withholding, if any.
    adjusted = list(Adjustment.objects.filter(run_id=run.pk).values_list("account", "amount_minor"))
    expected_keys = (
        1 + bool(releases) + any(fee for _, fee, _, _ in deductions) + any(w for _, _, w, _ in deductions)
        + bool(adjusted)
    )  # fmt: skip
    if len(keys) != expected_keys:
        report.problems.append(f"ledger: {len(keys)} transactions for the run, expected {expected_keys}")
    for key, total in unbalanced_transactions(run_id=run.pk):
        report.problems.append(f"ledger: transaction {key} does not balance ({total})")
    balances = account_balances(run_id=run.pk)
    expected: dict[str, int] = {accounts.pool(run.month).code: -(run.pools_minor or 0)}
    # Codes are built from the prefixes, not parsed: a stored key the ledger would refuse
    # must show up as a difference here, not stop the check.
    codes = {
        "payee": accounts.prefix(AccountKind.PAYABLE),
        "suspense": accounts.prefix(AccountKind.SUSPENSE),
        "retained": accounts.RETAINED.code,
        "pub-payee": accounts.prefix(AccountKind.PUBLISHING),
        "pub-suspense": accounts.prefix(AccountKind.MECHANICAL),
        "pub-retained": accounts.RETAINED.code,
    }
    for (kind, key), minor in stored.items():
        account = codes[kind] + key
        expected[account] = expected.get(account, 0) + minor
    for side, isrc, payee, minor in releases:  # from a suspense account to the payee's
        prefix = "pub-" if side == SuspenseResult.Side.PUBLISHING else ""
        held, paid = codes[prefix + "suspense"] + isrc, codes[prefix + "payee"] + payee
        expected[held] = expected.get(held, 0) - minor
        expected[paid] = expected.get(paid, 0) + minor
    for payee, fee, withheld, from_publishing in deductions:  # docs/rules.md §2 Deductions
        for account, minor in (
            (codes["payee"] + payee, from_publishing - fee - withheld),
            (codes["pub-payee"] + payee, -from_publishing),
            (accounts.prefix(AccountKind.WITHHOLDING) + payee, withheld),
        ):
            expected[account] = expected.get(account, 0) + minor
    for distributor, fee in PayeeFee.objects.filter(run=run).values_list("distributor_id", "fee_minor"):
        account = accounts.prefix(AccountKind.FEES) + str(distributor)
        expected[account] = expected.get(account, 0) + fee
    for account, minor in adjusted:  # corrections of final months, from the adjustments account
        expected[account] = expected.get(account, 0) + minor
        expected[accounts.ADJUSTMENTS.code] = expected.get(accounts.ADJUSTMENTS.code, 0) - minor
    for account in sorted(set(balances) | set(expected)):
        if balances.get(account, 0) != expected.get(account, 0):
            report.problems.append(
                f"ledger: {account} holds {balances.get(account, 0)}, results say {expected.get(account, 0)}"
            )
    posted = run_postings_total(run_id=run.pk)
    if posted != 0:
        report.problems.append(f"ledger: postings of the run sum to {posted}, not 0")


def run_verify(*, run_id: int, method: str = "auto") -> Report:
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        raise ValueError(f"No payout run {run_id}.")
    if run.status not in (PayoutRun.Status.COMPUTED, PayoutRun.Status.FINALIZED):
        raise ValueError(f"Run {run_id} is {run.status}; only computed or finalized runs can be verified.")
    if method == "auto":
        method = "sql" if connection.vendor == "postgresql" else "python"
    if method == "sql" and connection.vendor != "postgresql":
        raise ValueError("The sql method needs PostgreSQL; use --method python.")
    report = Report(run_id=run_id, method=method)
    stored = stored_amounts(run)
    expected = recomputed_sql(run) if method == "sql" else recomputed_python(run)
    _compare(report, stored, expected)
    _conservation(report, run, stored)
    _sides_agree(report, run)
    _deductions_agree(report, run)
    _ledger(report, run, stored)
    return report


def describe(report: Report, *, started: datetime | None = None) -> Iterable[str]:
    took = f" in {(datetime.now(UTC) - started).total_seconds():.1f}s" if started else ""
    yield f"Run {report.run_id}: {report.checked} amounts recomputed ({report.method}){took}."
    if report.ok:
        yield "OK: every amount matches, payees + suspense + retained == pools, the ledger balances."
    for problem in report.problems:
        yield f"DIFFERS {problem}"
