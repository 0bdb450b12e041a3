"""What the payout console's pages and the artist picker show, beyond `frontend.selectors`.

The picker searches the artists a login may see by name or id, a page at a time, with
each one's estimate for this month exactly as the earnings API answers it; a distributor
first sees its whole catalog summed up. Nothing here writes.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q

from artists.access import Actor
from artists.selectors import artists_visible_to
from frontend.templatetags.kx import currency_symbol
from kalipxo.months import current_month
from payouts import console
from payouts.earnings import artist_earnings
from payouts.models import PayoutRun

ARTISTS_PER_PAGE = 20
# The run page's payee table: (sort key or "" when not sortable, heading, numeric).
PAYEE_COLUMNS = [
    ("name", "Payee", False),
    ("", "Kind", False),
    ("streams", "Streams", True),
    ("amount", "This run", True),
    ("pro_rata", "Pro-rata", True),
    ("", "Progressive", True),
    ("difference", "Difference", True),
    ("", "Statement", False),
]
MAX_QUERY = 100


def status_labels() -> dict[str, str]:
    """The run states in the pages' words, for templates and page scripts alike."""
    return {str(code): label for code, label in console.STATUS_LABELS.items()}


def status_label(status: str) -> str:
    return console.status_label(status)


def hold_rows(run_id: int) -> list[dict[str, Any]]:
    return console.hold_rows(run_id)


def runs_with_labels(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**run, "status_label": console.status_label(run["status"])} for run in runs]


def run_page(run_id: int, params: Any) -> dict[str, Any]:
    """The run page's comparison (reconciled to the pools) and payee table (from `params`,
    the request's query: q, sort, dir, page)."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None or not run.computed_at:
        return {"comparison": None, "payees": None, "payee_columns": PAYEE_COLUMNS}
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    return {
        "payee_columns": PAYEE_COLUMNS,
        "comparison": console.comparison_view(run, currency_symbol()),
        "payees": console.payee_table(
            run,
            query=str(params.get("q", "")),
            sort=str(params.get("sort", "amount")),
            descending=params.get("dir", "desc") != "asc",
            page=page,
        ),
    }


def _estimate(artist_id: str, month: Any) -> dict[str, Any]:
    earnings = artist_earnings(artist_id=artist_id, month=month).as_dict()
    return {"amount": earnings["amount"], "streams": earnings["streams"], "status": earnings["status"]}


def artist_picker(
    actor: Actor, *, query: str = "", page: int = 1, now: datetime | None = None
) -> dict[str, Any]:
    """Artists the actor may see matching `query` (name or id), with this month's estimate;
    for a distributor also its catalog's totals (every artist, not only the matches)."""
    month = current_month(now or datetime.now(UTC))
    visible = artists_visible_to(actor).order_by("name", "id")
    query = query.strip()[:MAX_QUERY]
    matches = visible.filter(Q(name__icontains=query) | Q(id__icontains=query)) if query else visible
    pages = Paginator(matches, ARTISTS_PER_PAGE)
    current = pages.get_page(page)
    rows = [{"id": a.id, "name": a.name, **_estimate(a.id, month)} for a in current.object_list]
    overview = None
    if actor.distributor_id is not None and not actor.is_admin:
        every = [_estimate(artist_id, month) for artist_id in visible.values_list("id", flat=True)]
        overview = {
            "artists": len(every),
            "streams": sum(row["streams"] for row in every),
            # The sum of the estimates as each artist's row shows them (to the cent).
            "amount": str(sum((Decimal(row["amount"]) for row in every), Decimal("0.00"))),
        }
    return {
        "month": f"{month:%Y-%m}",
        "query": query,
        "rows": rows,
        "count_visible": visible.count(),
        "count_matching": pages.count,
        "page": current.number,
        "pages": pages.num_pages,
        "has_previous": current.has_previous(),
        "has_next": current.has_next(),
        "first": (current.number - 1) * ARTISTS_PER_PAGE + 1 if pages.count else 0,
        "last": (current.number - 1) * ARTISTS_PER_PAGE + len(rows),
        "overview": overview,
    }
