"""Reads of payout runs for the API and the admin console: summaries, details, the model
comparison, late activity, holds and review requests.

Everything returned is plain data: dicts and lists, months as "YYYY-MM", money as decimal
strings (payable amounts with the currency's minor-unit places). Listener ids are only in
what admins see. What artists read of their finalized months is in
`payouts.artist_selectors`; a payee's statement lines in `payouts.statement_lines`.
"""

from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Abs

from artists.models import Track
from kalipxo.money import format_exact, format_minor, minor_exponent
from kalipxo.months import current_month, month_bounds
from kalipxo.validation import month_label
from payouts.models import ArtistResult, Hold, PayoutRun, ReviewRequest, SuspenseRelease, SuspenseResult
from payouts.run.deductions import run_deduction_totals
from payouts.run.waiting import run_waiting
from payouts.run.window import run_opens_at
from streams.models import RevenueRecord, StreamEvent

Status = PayoutRun.Status
COMPARISON_ROWS = 20


def run_places(run: PayoutRun) -> int:
    return int(run.policy.get("minor_exponent", 2))


def _pending(run: PayoutRun) -> int:
    return run.holds.filter(decision__isnull=True).count()


def run_summary(run: PayoutRun, *, holds_pending: int | None = None) -> dict[str, Any]:
    """The run as docs/rules.md §4 shows it: id, month, status, progress and totals; and
    (§4b) `waiting`, a sentence when no worker has taken its work for a minute, else null."""
    places = run_places(run)
    return {
        "id": run.pk,
        "month": month_label(run.month),
        "status": run.status,
        "progress": round(float(run.progress), 4),
        "totals": {
            "pools": format_minor(run.pools_minor, places),
            "allocated": format_minor(run.allocated_minor, places),
            "suspense": format_minor(run.suspense_minor, places),
            "retained": format_minor(run.retained_minor, places),
            "holds_pending": _pending(run) if holds_pending is None else holds_pending,
            # The publishing side's part of each total above (docs/rules.md §2 Publishing).
            "publishing": {
                "pools": format_minor(run.publishing_pools_minor, places),
                "allocated": format_minor(run.publishing_allocated_minor, places),
                "suspense": format_minor(run.publishing_suspense_minor, places),
                "retained": format_minor(run.publishing_retained_minor, places),
            },
        },
        "waiting": run_waiting(run),
    }


def runs_overview() -> list[dict[str, Any]]:
    """Every run, newest month first, for the console's list."""
    runs = PayoutRun.objects.annotate(pending=Count("holds", filter=Q(holds__decision__isnull=True)))
    return [
        {
            **run_summary(run, holds_pending=run.pending),
            "created_at": run.created_at.isoformat(),
            "failure_reason": run.failure_reason,
        }
        for run in runs.order_by("-month", "-id")
    ]


def suspense_held(*, limit: int = 50) -> dict[str, Any]:
    """Money held in suspense by finalized months and not released since, per ISRC and
    side (docs/rules.md §2: recording suspense for ISRCs not in the catalog, mechanical
    suspense for publishing money not linked to a work): most first, with the first month it
    is held for, how many months old that is, and whether the ISRC is in the catalog now."""
    final = SuspenseResult.objects.filter(run__status=PayoutRun.Status.FINALIZED, amount_minor__gt=0)
    held: dict[tuple[str, str], dict[str, Any]] = {}
    for row in final.values("isrc", "side").annotate(
        amount=Sum("amount_minor"), streams=Sum("streams"), since=Min("run__month"), months=Count("run")
    ):
        held[(row["isrc"], row["side"])] = dict(row)
    released = SuspenseRelease.objects.values("isrc", "side").annotate(amount=Sum("amount_minor"))
    for done in released:
        key = (done["isrc"], done["side"])
        if key in held:
            held[key]["amount"] -= done["amount"]
    rows = sorted(
        (r for r in held.values() if r["amount"] > 0), key=lambda r: (-r["amount"], r["isrc"], r["side"])
    )
    shown = rows[:limit]
    claimed = set(Track.objects.filter(isrc__in=[r["isrc"] for r in shown]).values_list("isrc", flat=True))
    now = current_month()
    places = minor_exponent()
    return {
        "amount": format_minor(sum(r["amount"] for r in rows), places),
        "isrcs": len({r["isrc"] for r in rows}),
        "shown": len(shown),
        "rows": [
            {
                "isrc": r["isrc"],
                "side": r["side"],
                "amount": format_minor(r["amount"], places),
                "streams": r["streams"],
                "since": month_label(r["since"]),
                "age_months": (now.year - r["since"].year) * 12 + now.month - r["since"].month,
                "months": r["months"],
                "in_catalog": r["isrc"] in claimed,
            }
            for r in shown
        ],
    }


def open_review_requests() -> list[dict[str, Any]]:
    """Artists' unresolved requests to review held streams, oldest first (first come, first served),
    each with the newest run of its month, if any."""
    requests = list(
        ReviewRequest.objects.filter(resolved_at__isnull=True).select_related("artist").order_by("id")
    )
    runs = dict(
        PayoutRun.objects.filter(month__in={r.month for r in requests})
        .order_by("month", "id")
        .values_list("month", "id")
    )  # later ids overwrite earlier ones: the newest run of each month
    return [
        {
            "id": r.pk,
            "artist": r.artist_id,
            "artist_name": r.artist.name,
            "month": month_label(r.month),
            "message": r.message,
            "requested_by": r.requested_by,
            "created_at": r.created_at,
            "run": runs.get(r.month),
        }
        for r in requests
    ]


def run_replacing(run_id: int) -> int | None:
    """For a failed run: the newest run started for its month since, if any."""
    run = PayoutRun.objects.filter(pk=run_id, status=Status.FAILED).first()
    if run is None:
        return None
    later = PayoutRun.objects.filter(month=run.month, pk__gt=run.pk).order_by("-pk")
    return later.values_list("pk", flat=True).first()


def run_detail(run_id: int) -> dict[str, Any] | None:
    """A run with its totals, policy, data cut, model comparison, holds and late data."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    places = run_places(run)
    holds = run.holds.aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(decision__isnull=True)),
        released=Count("id", filter=Q(decision=Hold.Decision.RELEASE)),
        rejected=Count("id", filter=Q(decision=Hold.Decision.REJECT)),
    )
    summary = run_summary(run, holds_pending=holds["pending"])
    summary["totals"].update(
        {
            "unallocated": format_minor(run.unallocated_minor, places),
            "streams": run.streams,
            "listeners": run.listeners,
            "payees": run.payees.count(),
        }
    )
    if run.status in (Status.COMPUTED, Status.FINALIZED):  # docs/rules.md §2 Deductions
        deducted = run_deduction_totals(run.pk)
        summary["totals"]["deductions"] = {
            "fee": format_minor(deducted.fee_minor, places),
            "withheld": format_minor(deducted.withheld_minor, places),
            "payable": format_minor(deducted.payable_minor, places),
        }
    return {
        **summary,
        "currency": run.policy.get("currency"),
        "failure_reason": run.failure_reason,
        # Runs from before the publishing side had none: a rate of 0.
        "policy": {"publishing_rate": "0", "publishing_allocation": "user_centric", **run.policy},
        "cutoff": {
            "event_id": run.cutoff_event_id,
            "revenue_recorded_at": run.cutoff_revenue_at.isoformat() if run.cutoff_revenue_at else None,
        },
        "payable_from": run_opens_at(run.month).isoformat(),
        "created_at": run.created_at.isoformat(),
        "screened_at": run.screened_at.isoformat() if run.screened_at else None,
        "computed_at": run.computed_at.isoformat() if run.computed_at else None,
        "finalized_at": run.finalized_at.isoformat() if run.finalized_at else None,
        "finalized_by": run.finalized_by,
        "holds": holds,
        "comparison": run_comparison(run) if run.computed_at else None,
        "late": late_activity(run),
    }


def run_comparison(run: PayoutRun) -> dict[str, Any]:
    """User-centric against pro-rata and progressive: totals, and the artists whose
    amounts differ most between user-centric and pro-rata."""
    places = run_places(run)
    comparison = run.comparison or {}
    ranked = (
        ArtistResult.objects.filter(run=run)
        .annotate(difference=Abs(F("amount_minor") - F("pro_rata_minor")))
        .order_by("-difference", "artist")
        .values_list("artist", "name", "amount_minor", "pro_rata_minor", "progressive_minor")[
            :COMPARISON_ROWS
        ]
    )
    return {
        # The models compare the recording side (docs/rules.md §2 Comparisons).
        "total_user_centric": format_minor(
            (run.allocated_minor or 0) - (run.publishing_allocated_minor or 0), places
        ),
        "total_pro_rata": format_minor(comparison.get("pro_rata", {}).get("allocated_minor"), places),
        "total_progressive": format_minor(comparison.get("progressive", {}).get("allocated_minor"), places),
        "progressive_base_value": comparison.get("progressive", {}).get("base_value"),
        # The publishing side by both methods, side by side: the run's and the other one.
        "publishing": _publishing_comparison(comparison.get("publishing") or {}, places),
        "payees": [
            {
                "payee": artist,
                "name": name,
                "amount": format_minor(amount, places),
                "pro_rata_amount": format_minor(pro_rata, places),
                "progressive_amount": None if progressive is None else format_minor(progressive, places),
                "difference": format_minor(amount - pro_rata, places),
            }
            for artist, name, amount, pro_rata, progressive in ranked
        ],
    }


def late_activity(run: PayoutRun) -> dict[str, Any]:
    """Events and revenue for the run's month that arrived after its data cut: stored and
    reported, not paid by this run."""
    if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
        return {"events": 0, "qualifying_events": 0, "revenue_records": 0, "revenue_net": format_minor(0, 2)}
    start, end = month_bounds(run.month)
    events = StreamEvent.objects.filter(id__gt=run.cutoff_event_id, started_at__gte=start, started_at__lt=end)
    counts = events.aggregate(
        n=Count("id"), qualifying=Count("id", filter=Q(duration_ms__gte=run.policy.get("min_play_ms", 0)))
    )
    revenue = RevenueRecord.objects.filter(month=run.month, created_at__gt=run.cutoff_revenue_at).aggregate(
        n=Count("id"), gross=Sum("gross"), tax=Sum("tax"), fees=Sum("fees")
    )
    net = Decimal(revenue["gross"] or 0) - Decimal(revenue["tax"] or 0) - Decimal(revenue["fees"] or 0)
    return {
        "events": counts["n"],
        "qualifying_events": counts["qualifying"],
        "revenue_records": revenue["n"],
        "revenue_net": format_exact(net, run_places(run)),
    }


def hold_as_dict(hold: Hold, *, with_evidence: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": hold.pk,
        "listener": hold.listener_id,
        "reason": hold.reason,
        "rules": hold.rules,
        "streams": hold.streams,
        "decision": hold.decision,
        "decided_at": hold.decided_at.isoformat() if hold.decided_at else None,
        "decided_by": hold.decided_by,
    }
    if with_evidence:
        data["evidence"] = hold.evidence
    return data


def run_holds(run_id: int) -> list[dict[str, Any]]:
    """The run's holds with their reasons, evidence and decisions (admins only)."""
    return [hold_as_dict(hold) for hold in Hold.objects.filter(run_id=run_id).order_by("id")]


def _publishing_comparison(data: dict[str, Any], places: int) -> dict[str, Any] | None:
    """Totals of the publishing side under user-centric and statutory per-play allocation."""
    if not data:
        return None
    return {
        "method": data.get("method"),
        **{
            method: {
                name.removesuffix("_minor"): format_minor(data[method].get(name), places)
                for name in data[method]
            }
            for method in ("user_centric", "pro_rata")
            if method in data
        },
    }
