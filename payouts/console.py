"""Reads for the payout console's pages: holds with their money at stake and audit trail,
the model comparison reconciled to the pools, and every payee of a run in a table.

Plain data like `payouts.selectors`: money as decimal strings, minor units turned into
strings only at the edge. Sentences that relate figures are built from those figures.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from kalipxo.money import format_minor, format_trimmed
from payouts import selectors
from payouts.models import ArtistResult, Hold, HoldDecisionRecord, PayeeResult, PayoutRun
from payouts.statement_lines import statement_url

Status = PayoutRun.Status

# The words the pages use for a run's state (the API keeps its codes, docs/rules.md §4).
STATUS_LABELS = {
    Status.QUEUED: "Queued",
    Status.SCREENING: "Screening",
    Status.REVIEW: "Waiting for hold decisions",
    Status.COMPUTING: "Computing",
    Status.COMPUTED: "Computed, not final yet",
    Status.FINALIZED: "Finalized",
    Status.FAILED: "Failed",
}
RULE_LABELS = {
    "streams_per_day": "Too many streams in one day",
    "track_plays_per_day": "One track played too often in one day",
    "shared_device": "Device shared by too many listeners",
}
POOL_PLACES = 6  # a pool is net revenue (4 places) × the rights share: exact at 6 places
PAYEES_PER_PAGE = 25


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)  # type: ignore[call-overload, no-any-return]


def exact_money(amount: Decimal | None) -> str:
    """An exact amount with as many places as it needs (at least 2, at most 6)."""
    return format_trimmed(amount, most=POOL_PLACES, least=2)


# ---------------------------------------------------------------------------- holds


def _history(hold_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    trail: dict[int, list[dict[str, Any]]] = {pk: [] for pk in hold_ids}
    for record in HoldDecisionRecord.objects.filter(hold_id__in=hold_ids).order_by("hold_id", "id"):
        trail[record.hold_id].append(
            {
                "decision": record.decision,
                "previous": record.previous,
                "decided_by": record.decided_by,
                "decided_at": record.decided_at.isoformat(),
                "chosen_by": record.chosen_by,
            }
        )
    return trail


def hold_rows(run_id: int) -> list[dict[str, Any]]:
    """The run's holds as the API lists them (docs/rules.md §4), plus what is at stake: the
    listener's `pool` (exact; retained if rejected) and its streams, and `history`, every
    decision made on it, oldest first."""
    holds = list(Hold.objects.filter(run_id=run_id).order_by("id"))
    trail = _history([hold.pk for hold in holds])
    return [
        {**selectors.hold_as_dict(hold), "pool": exact_money(hold.pool_exact), "history": trail[hold.pk]}
        for hold in holds
    ]


# ---------------------------------------------------------------------------- model comparison


@dataclass(frozen=True)
class ModelTotals:
    """Where one model puts the run's pools, in minor units: each line adds up to `pools`."""

    key: str
    name: str
    allocated: int
    suspense: int
    retained: int
    undistributed: int

    @property
    def pools(self) -> int:
        return self.allocated + self.suspense + self.retained + self.undistributed


def recording_pools(run: PayoutRun) -> int:
    """The run's recording pools: the comparisons divide these (docs/rules.md §2 Comparisons)."""
    return int(run.pools_minor or 0) - int(run.publishing_pools_minor or 0)


def publishing_totals(run: PayoutRun) -> list[ModelTotals]:
    """The publishing side by user-centric and by statutory per-play allocation, side by
    side; empty when the run has no publishing side."""
    data = (run.comparison or {}).get("publishing") or {}
    if not run.publishing_pools_minor or not data:
        return []
    names = {"user_centric": "User-centric", "pro_rata": "Statutory (per play)"}
    lines = []
    for method in ("user_centric", "pro_rata"):
        totals = data.get(method, {})
        name = names[method] + (" (this run)" if data.get("method") == method else "")
        lines.append(
            ModelTotals(
                method, name, int(totals.get("allocated_minor") or 0), int(totals.get("suspense_minor") or 0),
                int(totals.get("retained_minor") or 0), 0,
            )
        )  # fmt: skip
    return lines


def model_totals(run: PayoutRun) -> list[ModelTotals]:
    """User-centric (the run), pro-rata and progressive on the recording side, each
    reconciled to the run's recording pools.

    The progressive model shares the pool minus rejected listeners' pools among catalog
    artists by their plays (docs/rules.md §3), so nothing of it waits in suspense: what it
    does not pay is retained, worked out as the pools less what it pays or leaves undistributed.
    """
    pools = recording_pools(run)
    comparison = run.comparison or {}
    pro_rata = comparison.get("pro_rata", {})
    progressive = comparison.get("progressive", {})
    pg_allocated = int(progressive.get("allocated_minor") or 0)
    pg_left = int(progressive.get("undistributed_minor") or 0)
    return [
        ModelTotals(
            "user_centric", "User-centric (this run)",
            int(run.allocated_minor or 0) - int(run.publishing_allocated_minor or 0),
            int(run.suspense_minor or 0) - int(run.publishing_suspense_minor or 0),
            int(run.retained_minor or 0) - int(run.publishing_retained_minor or 0), 0,
        ),
        ModelTotals(
            "pro_rata", "Pro-rata", int(pro_rata.get("allocated_minor") or 0),
            int(pro_rata.get("suspense_minor") or 0), int(pro_rata.get("retained_minor") or 0), 0,
        ),
        ModelTotals("progressive", "Progressive", pg_allocated, 0, pools - pg_allocated - pg_left, pg_left),
    ]  # fmt: skip


def _money(minor: int, places: int, symbol: str) -> str:
    amount = format_minor(abs(minor), places)
    whole, _, fraction = amount.partition(".")
    grouped = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return f"{'−' if minor < 0 else ''}{symbol}{grouped}"


def _versus(model: ModelTotals, base: ModelTotals, places: int, symbol: str) -> str:
    """Why `model` pays what it pays against `base`, from the two lines' figures."""

    def m(minor: int) -> str:
        return _money(minor, places, symbol)

    difference = model.allocated - base.allocated
    if difference == 0:
        head = f"{model.name} pays payees the same {m(model.allocated)}"
    else:
        word = "more" if difference > 0 else "less"
        head = f"{model.name} pays {m(abs(difference))} {word} than user-centric ({m(model.allocated)})"
    reasons = []
    for part, label in (
        ("suspense", "in suspense"),
        ("retained", "retained"),
        ("undistributed", "left undistributed"),
    ):
        mine, theirs = getattr(model, part), getattr(base, part)
        if mine != theirs:
            word = "less" if mine < theirs else "more"
            reasons.append(f"{m(abs(mine - theirs))} {word} {label} ({m(mine)} against {m(theirs)})")
    if not reasons:
        return head + "."
    return f"{head} because it keeps " + "; ".join(reasons) + "."


def comparison_view(run: PayoutRun, symbol: str) -> dict[str, Any] | None:
    """The three models' totals, each reconciled to the pools, and one sentence per other
    model on why its total differs from user-centric's."""
    if not run.computed_at:
        return None
    places = int(run.policy.get("minor_exponent", 2))
    lines = model_totals(run)
    base = lines[0]
    pools = recording_pools(run)
    publishing = publishing_totals(run)
    return {
        "pools": format_minor(pools, places),
        "publishing_pools": format_minor(run.publishing_pools_minor, places),
        "publishing": [
            {
                "key": line.key,
                "name": line.name,
                "allocated": format_minor(line.allocated, places),
                "suspense": format_minor(line.suspense, places),
                "retained": format_minor(line.retained, places),
                "reconciles": line.pools == (run.publishing_pools_minor or 0),
            }
            for line in publishing
        ],
        "models": [
            {
                "key": line.key,
                "name": line.name,
                "allocated": format_minor(line.allocated, places),
                "suspense": format_minor(line.suspense, places),
                "retained": format_minor(line.retained, places),
                "undistributed": format_minor(line.undistributed, places),
                "reconciles": line.pools == pools,
            }
            for line in lines
        ],
        "why": [_versus(line, base, places, symbol) for line in lines[1:]],
        "base_value": (run.comparison or {}).get("progressive", {}).get("base_value"),
    }


# ---------------------------------------------------------------------------- payees


def _maybe(minor: int | None, places: int) -> str | None:
    """Amounts only artists have (the comparison models are computed per artist)."""
    return None if minor is None else format_minor(minor, places)


SORTS = {
    "name": ("name", "payee"),
    "amount": ("amount_minor", "payee"),
    "streams": ("streams", "payee"),
    "pro_rata": ("pr_minor", "payee"),
    "difference": ("difference", "payee"),
}


def payee_table(run: PayoutRun, *, query: str = "", sort: str = "amount", descending: bool = True,
                page: int = 1) -> dict[str, Any]:  # fmt: skip
    """Every payee of a computed run, searchable by name or id, sortable, a page at a time;
    with the total of all payees (equal to the run's "Allocated") and of the matches."""
    places = int(run.policy.get("minor_exponent", 2))
    artist = ArtistResult.objects.filter(run=run, artist=OuterRef("payee"))
    rows = PayeeResult.objects.filter(run=run).annotate(
        pr_minor=Subquery(artist.values("pro_rata_minor")[:1]),
        pg_minor=Subquery(artist.values("progressive_minor")[:1]),
    )
    rows = rows.annotate(difference=F("amount_minor") - F("pr_minor"))
    every = PayeeResult.objects.filter(run=run).aggregate(total=Sum("amount_minor"), n=Count("id"))
    total_all, count_all = int(every["total"] or 0), int(every["n"])
    query = query.strip()[:100]
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(payee__icontains=query))
    sort = sort if sort in SORTS else "amount"
    order = SORTS[sort]
    primary = F(order[0]).desc(nulls_last=True) if descending else F(order[0]).asc(nulls_last=True)
    rows = rows.order_by(primary, order[1])
    matching = rows.aggregate(total=Sum("amount_minor"), n=Count("id"))
    total_matching, count_matching = int(matching["total"] or 0), int(matching["n"])
    pages = Paginator(rows, PAYEES_PER_PAGE)
    current = pages.get_page(page)
    return {
        "query": query,
        "sort": sort,
        "descending": descending,
        "page": current.number,
        "pages": pages.num_pages,
        "has_previous": current.has_previous(),
        "has_next": current.has_next(),
        "count_all": count_all,
        "total_all": format_minor(total_all, places),
        "reconciles": total_all == int(run.allocated_minor or 0),
        "count_matching": count_matching,
        "total_matching": format_minor(total_matching, places),
        "first": (current.number - 1) * PAYEES_PER_PAGE + 1 if count_matching else 0,
        "last": (current.number - 1) * PAYEES_PER_PAGE + len(current.object_list),
        "rows": [_payee_row(run, row, places) for row in current.object_list],
    }


def _payee_row(run: PayoutRun, row: Any, places: int) -> dict[str, Any]:
    return {
        "payee": row.payee,
        "kind": row.kind,
        "name": row.name,
        "streams": row.streams,
        "amount": format_minor(row.amount_minor, places),
        "pro_rata_amount": _maybe(row.pr_minor, places),
        "progressive_amount": _maybe(row.pg_minor, places),
        "difference": _maybe(row.difference, places),
        "statement_url": statement_url(run.pk, row.payee),
    }
