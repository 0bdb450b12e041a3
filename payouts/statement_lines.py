"""A payee's statement lines of a run, and where its statement is downloaded."""

from collections import defaultdict
from typing import Any

from payouts.models import AllocationLine, PayoutRun, TrackResult

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
