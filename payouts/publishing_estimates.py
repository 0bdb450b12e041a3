"""A payee's publishing estimate for an open month: what the works it writes or publishes
earn so far (docs/rules.md §2 Publishing), from the recordings' estimates.

A recording's publishing amount is its estimate on the whole rights pool × rate / rights
share (every listener's publishing pool is its pool × that factor); the payee's part is
that × Σ over its works (link share × its share of the work), by the catalog of now. The
estimate follows the user-centric method; the month's run applies the policy's.
"""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from artists.models import RecordingLink, WorkShare
from payouts.estimates import cached_month_estimate
from payouts.policy import RunPolicy
from streams.live import dispatch
from streams.live.estimates import live_track_estimates


def payee_recording_weights(payee_id: str) -> dict[str, Fraction]:
    """ISRC -> the part of its publishing money the payee gets (link share × work share)."""
    shares = dict(WorkShare.objects.filter(payee_id=payee_id).values_list("work_id", "share"))
    weights: dict[str, Fraction] = {}
    for isrc, work, link in RecordingLink.objects.filter(work_id__in=list(shares)).values_list(
        "track_id", "work_id", "share"
    ):
        weights[isrc] = weights.get(isrc, Fraction(0)) + Fraction(link) * Fraction(shares[work])
    return weights


@dataclass(frozen=True)
class RecordingEstimate:
    publishing: Fraction  # the recording's publishing amount so far, before its links
    bound: Fraction  # the most `publishing` may be off
    streams: int


def recording_estimates(*, month: date, isrcs: list[str]) -> dict[str, RecordingEstimate]:
    """Each recording's publishing estimate for the month so far (ISRCs not played: none)."""
    policy = RunPolicy.from_settings(month)
    if not isrcs or not policy.publishing_rate or not policy.rights_share:
        return {}
    factor = Fraction(policy.publishing_rate) / Fraction(policy.rights_share)
    if dispatch.live_enabled():
        live = live_track_estimates(month=month, isrcs=sorted(isrcs))
        return {i: RecordingEstimate(e.gross * factor, e.bound * factor, e.streams) for i, e in live.items()}
    allocation = cached_month_estimate(month).allocation
    gross, streams = allocation.track_gross, allocation.streams
    played = [i for i in isrcs if i in gross]
    return {i: RecordingEstimate(gross[i] * factor, Fraction(0), streams.get(i, 0)) for i in played}


def publishing_estimate(*, payee_id: str, month: date) -> tuple[Fraction, Fraction]:
    """(the payee's publishing estimate, the most it may be off) in currency units."""
    weights = payee_recording_weights(payee_id)
    estimates = recording_estimates(month=month, isrcs=sorted(weights))
    amount = sum((e.publishing * weights[i] for i, e in estimates.items()), Fraction(0))
    bound = sum((e.bound * weights[i] for i, e in estimates.items()), Fraction(0))
    return amount, bound
