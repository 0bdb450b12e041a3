"""A payee's statement lines of a run, and where its statement is downloaded."""

from collections import defaultdict
from decimal import Decimal, localcontext
from typing import Any

from kalipxo.money import WIDE_DIGITS, decimal_context
from payouts.models import (
    AllocationLine,
    PayoutRun,
    PublishingLine,
    RunWorkShare,
    SuspenseRelease,
    TrackResult,
)

EXACT_PLACES = 6  # exact sub-cent amounts shown in chains and statements


def statement_url(run_id: int, payee: str) -> str:
    return f"/api/v1/payout-runs/{run_id}/statements/{payee}.csv"


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


def payee_publishing_lines(run: PayoutRun, payee: str) -> list[dict[str, Any]]:
    """The payee's publishing lines (recording, work, territory, tier) with the recording's
    and the work's titles (docs/rules.md §2 Publishing: their own statement lines): each
    work line × the payee's share of the work, so `share` is link share × that share."""
    shares = RunWorkShare.objects.filter(run=run, payee=payee).values_list("work", "share", "title")
    mine = {work: (share, title) for work, share, title in shares}
    lines = list(
        PublishingLine.objects.filter(run_id=run.pk, work__in=list(mine)).order_by(
            "isrc", "work", "country", "tier"
        )
    )
    titles: dict[str, str] = defaultdict(str)
    tracks = TrackResult.objects.filter(run=run, isrc__in={line.isrc for line in lines})
    titles.update(tracks.values_list("isrc", "title"))
    with localcontext(decimal_context(WIDE_DIGITS)):  # exact products: 30 places × 6
        return [_publishing_line(line, titles[line.isrc], *mine[line.work]) for line in lines]


def _publishing_line(line: PublishingLine, title: str, share: Decimal, work_title: str) -> dict[str, Any]:
    return {
        "isrc": line.isrc,
        "title": title,
        "work": line.work,
        "work_title": work_title,
        "country": line.country,
        "tier": line.tier,
        "streams": line.streams,
        "share": line.share * share,
        "amount": line.amount * share,
    }


def payee_releases(run: PayoutRun, payee: str) -> list[dict[str, Any]]:
    """Money held in suspense in earlier months that this month paid the payee (its ISRC
    was claimed since), oldest month first."""
    rows = SuspenseRelease.objects.filter(run=run, payee=payee).order_by("source_month", "side", "isrc")
    return [
        {
            "side": row.side,
            "isrc": row.isrc,
            "month": f"{row.source_month:%Y-%m}",
            "label": f"released from suspense ({row.source_month:%Y-%m})",
            "amount_minor": row.amount_minor,
        }
        for row in rows
    ]
