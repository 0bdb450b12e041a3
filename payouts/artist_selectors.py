"""What artists read of their payout runs: finalized months, per-track money, the
settlement chain from gross to payable, statements, and holds on their listeners.

Plain data like `payouts.selectors`: months as "YYYY-MM", money as decimal strings.
Artists see fans' pseudonyms, never listener ids.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from artists.models import Track
from kalipxo.money import format_exact, format_minor
from kalipxo.validation import month_label
from payouts.models import AllocationLine, ArtistResult, Hold, PayeeResult, PayoutRun, RunTrack, TrackResult
from payouts.selectors import run_places
from payouts.statement_lines import EXACT_PLACES, statement_url
from streams.live.estimates import fan_name
from streams.selectors import qualifying_streams

Status = PayoutRun.Status


def final_run(month: date) -> PayoutRun | None:
    return PayoutRun.objects.filter(status=Status.FINALIZED, month=month).first()


def artist_final_months(artist_id: str, limit: int = 12) -> list[dict[str, Any]]:
    """The artist's finalized months, newest first: gross before splits, amount allocated
    and payable after deductions, streams, listeners and what pro-rata and progressive would have paid."""
    runs = list(PayoutRun.objects.filter(status=Status.FINALIZED).order_by("-month")[:limit])
    results = {r.run_id: r for r in ArtistResult.objects.filter(run__in=runs, artist=artist_id)}
    paid: dict[int, tuple[int, int]] = {
        run_id: (amount, payable)
        for run_id, amount, payable in PayeeResult.objects.filter(run__in=runs, payee=artist_id).values_list(
            "run_id", "amount_minor", "payable_minor"
        )
    }
    rows = []
    for run in runs:
        result = results.get(run.pk)
        if result is None and run.pk not in paid:
            continue
        places = run_places(run)
        rows.append(
            {
                "month": month_label(run.month),
                "run_id": run.pk,
                "gross": format_exact(result.gross_exact if result else Decimal(0), places),
                "amount": format_minor(paid.get(run.pk, (0, 0))[0], places),
                # After the distribution fee and tax withheld (docs/rules.md §2 Deductions).
                "payable": format_minor(paid.get(run.pk, (0, 0))[1], places),
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
    places = run_places(run)
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
    traceability: allocation → split → payee → fee → tax → payable), with what the works it
    writes earned beside its recordings, for a finalized month."""
    run = final_run(month)
    if run is None:
        return []
    places = run_places(run)
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
    works = payee.publishing_exact if payee else Decimal(0)
    rounded = Decimal(payee.amount_minor if payee else 0).scaleb(-places)
    fee = Decimal(payee.fee_minor if payee else 0).scaleb(-places)
    withheld = Decimal(payee.withheld_minor if payee else 0).scaleb(-places)

    def step(stage: str, label: str, amount: Decimal, shown: int = EXACT_PLACES) -> dict[str, Any]:
        return {"stage": stage, "label": label, "amount": format_exact(amount, shown)}

    # The publishing side (docs/rules.md §2 Publishing), in months that have one: what the
    # songs the artist writes earned.
    songs = [step("publishing", "From the songs you write (musical works)", works)]
    return [
        step("allocation", "Your tracks' share of their listeners' own pools", gross - from_unallocated),
        step("allocation", "Your tracks' share of unallocated pools", from_unallocated),
        step("allocation", "Gross: your tracks before splits", gross),
        step("split", "Paid by split to other payees on your tracks", max(gross - kept, Decimal(0))),
        step("split", "Received by split on other artists' tracks", from_others),
        *(songs if Decimal(run.policy.get("publishing_rate", "0")) else []),
        step("payee", "Your exact share", exact),
        step("payee", "Your share, rounded once to the cent (largest remainder)", rounded, places),
        # docs/rules.md §2 Deductions: the fee on recordings, then the tax, then what is paid.
        step("fee", "Distribution fee on your recordings", -fee, places),
        step("tax", "Tax withheld", -withheld, places),
        step("payable", "Payable", rounded - fee - withheld, places),
    ]


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
            "amount": format_minor(row.amount_minor, run_places(row.run)),
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
