"""Reads of payout runs for the API, the admin console and the artist dashboard.

Everything returned is plain data: dicts and lists, months as "YYYY-MM", money as decimal
strings (payable amounts with the currency's minor-unit places). Listener ids are only in
what admins see; artists see fans' display names or pseudonyms.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Abs

from artists.models import Track
from kalipxo.money import format_exact, format_minor
from kalipxo.months import month_bounds
from kalipxo.validation import month_label
from payouts.models import (
    AllocationLine,
    ArtistResult,
    Hold,
    PayeeResult,
    PayoutRun,
    ReviewRequest,
    RunTrack,
    TrackResult,
)
from payouts.run_window import run_opens_at
from payouts.waiting import run_waiting
from streams.live.estimates import fan_name
from streams.models import RevenueRecord, StreamEvent
from streams.selectors import qualifying_streams

Status = PayoutRun.Status
EXACT_PLACES = 6  # exact sub-cent amounts shown in chains and statements
COMPARISON_ROWS = 20


def _places(run: PayoutRun) -> int:
    return int(run.policy.get("minor_exponent", 2))


def _pending(run: PayoutRun) -> int:
    return run.holds.filter(decision__isnull=True).count()


def run_summary(run: PayoutRun, *, holds_pending: int | None = None) -> dict[str, Any]:
    """The run as docs/rules.md §4 shows it: id, month, status, progress and totals; and
    (§4b) `waiting`, a sentence when no worker has taken its work for a minute, else null."""
    places = _places(run)
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
    places = _places(run)
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
    return {
        **summary,
        "currency": run.policy.get("currency"),
        "failure_reason": run.failure_reason,
        "policy": run.policy,
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
    places = _places(run)
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
        "total_user_centric": format_minor(run.allocated_minor, places),
        "total_pro_rata": format_minor(comparison.get("pro_rata", {}).get("allocated_minor"), places),
        "total_progressive": format_minor(comparison.get("progressive", {}).get("allocated_minor"), places),
        "progressive_base_value": comparison.get("progressive", {}).get("base_value"),
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
        "revenue_net": format_exact(net, _places(run)),
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


# ---------------------------------------------------------------------------- artists


def _final_runs() -> dict[date, PayoutRun]:
    return {run.month: run for run in PayoutRun.objects.filter(status=Status.FINALIZED)}


def final_run(month: date) -> PayoutRun | None:
    return PayoutRun.objects.filter(status=Status.FINALIZED, month=month).first()


def artist_final_months(artist_id: str, limit: int = 12) -> list[dict[str, Any]]:
    """The artist's finalized months, newest first: gross before splits, amount paid,
    streams, listeners and what pro-rata and progressive would have paid."""
    runs = list(PayoutRun.objects.filter(status=Status.FINALIZED).order_by("-month")[:limit])
    results = {r.run_id: r for r in ArtistResult.objects.filter(run__in=runs, artist=artist_id)}
    paid = dict(
        PayeeResult.objects.filter(run__in=runs, payee=artist_id).values_list("run_id", "amount_minor")
    )
    rows = []
    for run in runs:
        result = results.get(run.pk)
        if result is None and run.pk not in paid:
            continue
        places = _places(run)
        rows.append(
            {
                "month": month_label(run.month),
                "run_id": run.pk,
                "gross": format_exact(result.gross_exact if result else Decimal(0), places),
                "amount": format_minor(paid.get(run.pk, 0), places),
                "streams": result.streams if result else 0,
                "listeners": result.listeners if result else 0,
                "pro_rata_amount": format_minor(result.pro_rata_minor if result else 0, places),
                "progressive_amount": (
                    format_minor(result.progressive_minor, places)
                    if result and result.progressive_minor is not None
                    else None
                ),
            }
        )
    return rows


def artist_final_tracks(artist_id: str, month: date) -> list[dict[str, Any]]:
    """Per track of a finalized month: the artist's own tracks and tracks that pay the
    artist through a split, with the track's gross and the artist's amount after splits."""
    run = final_run(month)
    if run is None:
        return []
    places = _places(run)
    after_splits = dict(
        AllocationLine.objects.filter(run_id=run.pk, payee=artist_id)
        .values_list("isrc")
        .annotate(total=Sum("amount"))
    )
    tracks = TrackResult.objects.filter(run=run).filter(Q(artist=artist_id) | Q(isrc__in=list(after_splits)))
    return [
        {
            "isrc": track.isrc,
            "title": track.title,
            "artist": track.artist,
            "streams": track.streams,
            "listeners": track.listeners,
            "gross": format_exact(track.gross_exact, places),
            "amount_after_splits": format_exact(after_splits.get(track.isrc, Decimal(0)), places),
            "amount": format_exact(after_splits.get(track.isrc, Decimal(0)), places),
        }
        for track in tracks.order_by("-gross_exact", "isrc")
    ]


def artist_settlement_chain(artist_id: str, month: date) -> list[dict[str, Any]]:
    """From the artist's tracks' gross to the amount payable, stage by stage (docs/rules.md §2
    traceability: allocation → split → payee), for a finalized month."""
    run = final_run(month)
    if run is None:
        return []
    places = _places(run)
    tracks = TrackResult.objects.filter(run=run, artist=artist_id).aggregate(
        gross=Sum("gross_exact"), unallocated=Sum("unallocated_exact")
    )
    gross = Decimal(tracks["gross"] or 0)
    from_unallocated = Decimal(tracks["unallocated"] or 0)
    mine = AllocationLine.objects.filter(run_id=run.pk, payee=artist_id)
    kept = Decimal(mine.filter(artist=artist_id).aggregate(t=Sum("amount"))["t"] or 0)
    from_others = Decimal(mine.exclude(artist=artist_id).aggregate(t=Sum("amount"))["t"] or 0)
    payee = PayeeResult.objects.filter(run=run, payee=artist_id).first()
    exact = payee.amount_exact if payee else Decimal(0)
    payable = Decimal(payee.amount_minor if payee else 0).scaleb(-places)

    def step(stage: str, label: str, amount: Decimal, shown: int = EXACT_PLACES) -> dict[str, Any]:
        return {"stage": stage, "label": label, "amount": format_exact(amount, shown)}

    return [
        step("allocation", "Your tracks' share of their listeners' own pools", gross - from_unallocated),
        step("allocation", "Your tracks' share of unallocated pools", from_unallocated),
        step("allocation", "Gross: your tracks before splits", gross),
        step("split", "Paid by split to other payees on your tracks", max(gross - kept, Decimal(0))),
        step("split", "Received by split on other artists' tracks", from_others),
        step("payee", "Your exact share", exact),
        step("payee", "Payable, rounded once to the cent (largest remainder)", payable, places),
    ]


def statement_url(run_id: int, payee: str) -> str:
    return f"/api/v1/payout-runs/{run_id}/statements/{payee}.csv"


def artist_statements(artist_id: str) -> list[dict[str, Any]]:
    """Statements of the artist as a payee, one per finalized run, newest first."""
    rows = (
        PayeeResult.objects.filter(payee=artist_id, run__status=Status.FINALIZED)
        .select_related("run")
        .order_by("-run__month")
    )
    return [
        {
            "run_id": row.run_id,
            "month": month_label(row.run.month),
            "amount": format_minor(row.amount_minor, _places(row.run)),
            "status": row.run.status,
            "statement_url": statement_url(row.run_id, row.payee),
            "url": statement_url(row.run_id, row.payee),
        }
        for row in rows
    ]


def artist_holds(artist_id: str, month: date) -> list[dict[str, Any]]:
    """Holds of the month's run on listeners who streamed the artist's tracks: the fan's
    pseudonym (never a listener id, and never a display name, even an opted-in one: a
    name is not shown beside a fraud hold), reason, the artist's streams held, decision."""
    run = PayoutRun.objects.exclude(status=Status.FAILED).filter(month=month).first()
    if run is None or run.cutoff_event_id is None:
        return []
    holds = {hold.listener_id: hold for hold in Hold.objects.filter(run=run)}
    if not holds:
        return []
    isrcs = list(RunTrack.objects.filter(run=run, artist=artist_id).values_list("isrc", flat=True))
    if not isrcs:
        isrcs = list(Track.objects.filter(artist_id=artist_id).values_list("isrc", flat=True))
    streams = dict(
        qualifying_streams(
            month,
            listeners=holds,
            min_play_ms=run.policy.get("min_play_ms", 0),
            up_to_event=run.cutoff_event_id,
        )
        .filter(isrc__in=isrcs)
        .values_list("listener_id")
        .annotate(n=Count("id"))
    )
    names = {listener: fan_name(listener, "", False) for listener in streams}
    return [
        {
            "hold_id": holds[listener].pk,
            "fan": names[listener],
            "reason": _artist_reason(holds[listener].rules),
            "streams": count,
            "decision": holds[listener].decision,
        }
        for listener, count in sorted(streams.items(), key=lambda item: (-item[1], names[item[0]]))
    ]


_RULE_TEXT = {
    "streams_per_day": "Unusually many streams in one day",
    "track_plays_per_day": "One track played unusually often in one day",
    "shared_device": "A device shared by unusually many listeners",
}


def _artist_reason(rules: list[str]) -> str:
    """The reason in words an artist may see (the admin reason names devices and ids)."""
    return "; ".join(_RULE_TEXT.get(rule, rule) for rule in rules)


# ---------------------------------------------------------------------------- statements


def payee_lines(run: PayoutRun, payee: str) -> list[dict[str, Any]]:
    """The payee's allocation lines (track, territory, tier) with the track's title."""
    lines = list(
        AllocationLine.objects.filter(run_id=run.pk, payee=payee).order_by("isrc", "country", "tier")
    )
    titles: dict[str, str] = defaultdict(str)
    titles.update(
        TrackResult.objects.filter(run=run, isrc__in={line.isrc for line in lines}).values_list(
            "isrc", "title"
        )
    )
    return [
        {
            "isrc": line.isrc,
            "title": titles[line.isrc],
            "track_artist": line.artist,
            "country": line.country,
            "tier": line.tier,
            "streams": line.streams,
            "listeners_amount": line.listeners_amount,
            "unallocated_amount": line.unallocated_amount,
            "share": line.share,
            "amount": line.amount,
        }
        for line in lines
    ]
