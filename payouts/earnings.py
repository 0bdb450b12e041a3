"""An artist's earnings for a month, as the API and the dashboard show them.

Open months are estimates: from the live pools in Redis when there is one, otherwise
computed exactly from the database. Finalized months are answered from the payout run's
stored results; their top fans are computed on demand for the one artist asked about.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q

from kalipxo.money import format_amount, format_bound
from payouts.artist_selectors import final_run
from payouts.estimates import cached_month_estimate
from payouts.models import ArtistResult, Hold, PayeeResult, PayoutRun, RunTrack
from payouts.policy import RunPolicy
from payouts.pools import pools_of
from payouts.publishing_estimates import publishing_estimate
from streams.fans import fan_ids, fan_names
from streams.live import dispatch
from streams.live.estimates import live_artist_estimate, live_top_fans
from streams.selectors import qualifying_streams

AMOUNT_PLACES = 2
RATE_PLACES = 4


@dataclass(frozen=True)
class Earnings:
    artist: str
    month: date
    status: str  # "estimate" or "final"
    gross: Fraction
    amount: Fraction
    streams: int
    listeners: int
    pro_rata_amount: Fraction
    updated_at: datetime | None
    bound: Fraction = Fraction(0)  # largest possible error of gross and amount; 0: exact
    # `amount` is recording + publishing (docs/rules.md §4b); a final month has deductions.
    publishing_amount: Fraction = Fraction(0)
    deductions: tuple[Fraction, Fraction] | None = None  # (fee, withheld) of a final month

    @property
    def recording_amount(self) -> Fraction:
        return self.amount - self.publishing_amount

    def as_dict(self) -> dict[str, Any]:
        per_stream = self.recording_amount / self.streams if self.streams else Fraction(0)
        final = {}
        if self.deductions is not None:
            fee, withheld = self.deductions
            final = {
                "fee": format_amount(fee, AMOUNT_PLACES),
                "withheld": format_amount(withheld, AMOUNT_PLACES),
                "payable": format_amount(self.amount - fee - withheld, AMOUNT_PLACES),
            }
        return {
            "artist": self.artist,
            "month": f"{self.month:%Y-%m}",
            "status": self.status,
            "gross": format_amount(self.gross, AMOUNT_PLACES),
            "amount": format_amount(self.amount, AMOUNT_PLACES),
            "streams": self.streams,
            "listeners": self.listeners,
            "per_stream": format_amount(per_stream, RATE_PLACES),
            "pro_rata_amount": format_amount(self.pro_rata_amount, AMOUNT_PLACES),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "recording_amount": format_amount(self.recording_amount, AMOUNT_PLACES),
            "publishing_amount": format_amount(self.publishing_amount, AMOUNT_PLACES),
            **final,
            # docs/rules.md §4b: an estimate that is not exact says by how much it may be off.
            **({"bound": format_bound(self.bound, AMOUNT_PLACES)} if self.bound else {}),
        }


def final_earnings(*, artist_id: str, run: PayoutRun) -> Earnings:
    """A finalized month, from the run's stored results: what was paid, never re-estimated."""
    scale = 10 ** int(run.policy.get("minor_exponent", 2))
    result = ArtistResult.objects.filter(run=run, artist=artist_id).first()
    row = PayeeResult.objects.filter(run=run, payee=artist_id).values_list(
        "amount_minor", "publishing_minor", "fee_minor", "withheld_minor"
    )
    paid, publishing, fee, withheld = row.first() or (0, 0, 0, 0)
    return Earnings(
        artist=artist_id,
        month=run.month,
        status="final",
        gross=Fraction(result.gross_exact) if result else Fraction(0),
        amount=Fraction(paid or 0, scale),
        streams=result.streams if result else 0,
        listeners=result.listeners if result else 0,
        pro_rata_amount=Fraction(result.pro_rata_minor if result else 0, scale),
        updated_at=run.finalized_at,
        publishing_amount=Fraction(publishing, scale),
        deductions=(Fraction(fee, scale), Fraction(withheld, scale)),
    )


def recording_factor(month: date) -> Fraction:
    """What part of the rights pool the recording side gets in `month`: (rights share -
    publishing rate) / rights share. Every listener's recording pool is its pool × this,
    so user-centric and pro-rata recording estimates made on the whole pool scale by it
    exactly (docs/rules.md §2 Publishing)."""
    policy = RunPolicy.from_settings(month)
    if not policy.rights_share:
        return Fraction(1)
    return Fraction(policy.recording_share) / Fraction(policy.rights_share)


def artist_earnings(*, artist_id: str, month: date) -> Earnings:
    run = final_run(month)
    if run is not None:
        return final_earnings(artist_id=artist_id, run=run)
    # The recording side scales the whole-pool estimates; the works the artist writes add
    # the publishing side (docs/rules.md §2 Publishing).
    factor = recording_factor(month)
    publishing, publishing_bound = publishing_estimate(payee_id=artist_id, month=month)
    if dispatch.live_enabled():
        live = live_artist_estimate(artist_id=artist_id, month=month)
        return Earnings(
            artist=artist_id,
            month=month,
            status="estimate",
            gross=live.gross * factor,
            amount=live.amount * factor + publishing,
            streams=live.streams,
            listeners=live.listeners,
            pro_rata_amount=live.pro_rata_amount * factor,
            updated_at=live.updated_at,
            bound=live.bound * factor + publishing_bound,
            publishing_amount=publishing,
        )
    estimate = cached_month_estimate(month)
    return Earnings(
        artist=artist_id,
        month=month,
        status="estimate",
        gross=estimate.allocation.artist_gross.get(artist_id, Fraction(0)) * factor,
        amount=estimate.allocation.payee_exact.get(artist_id, Fraction(0)) * factor + publishing,
        streams=estimate.artist_streams.get(artist_id, 0),
        listeners=estimate.artist_listeners.get(artist_id, 0),
        pro_rata_amount=estimate.pro_rata.payee_exact.get(artist_id, Fraction(0)) * factor,
        updated_at=datetime.now(UTC),
        publishing_amount=publishing,
    )


FANS_KEPT = 100  # the fans API's largest limit
FANS_CACHE_SECONDS = 30 * 24 * 3600  # recomputed after a month unread, so the cache stays bounded


def final_fans_ranking(*, artist_id: str, run: PayoutRun) -> tuple[Fraction, list[tuple[str, Fraction, int]]]:
    """Everything fans' own pools gave the artist in a finalized month, and its top fans.

    A finalized run never changes, so this is computed once per (run, artist) and cached
    for a month; the key carries the run's creation time, so a reset database cannot reuse it.
    """
    key = f"kx:final-fans:{run.pk}:{run.created_at.timestamp()}:{artist_id}"
    ranking = cache.get(key)
    if ranking is None:
        ranking = _rank_fans(artist_id=artist_id, run=run)
        cache.set(key, ranking, timeout=FANS_CACHE_SECONDS)
    return ranking


def _rank_fans(*, artist_id: str, run: PayoutRun) -> tuple[Fraction, list[tuple[str, Fraction, int]]]:
    """From the raw tables as the run saw them: events and revenue up to its cut, rejected
    listeners left out."""
    if run.cutoff_event_id is None or run.cutoff_revenue_at is None:
        return Fraction(0), []
    isrcs = list(RunTrack.objects.filter(run=run, artist=artist_id).values_list("isrc", flat=True))
    if not isrcs:
        return Fraction(0), []
    counted = qualifying_streams(
        run.month, min_play_ms=run.policy["min_play_ms"], up_to_event=run.cutoff_event_id
    ).exclude(
        listener_id__in=Hold.objects.filter(run=run, decision=Hold.Decision.REJECT).values("listener_id")
    )
    fans = (
        counted.filter(listener_id__in=counted.filter(isrc__in=isrcs).values("listener_id"))
        .values_list("listener_id")
        .annotate(mine=Count("id", filter=Q(isrc__in=isrcs)), total=Count("id"))
        .order_by()
    )
    plays = {listener: (mine, total) for listener, mine, total in fans if mine}
    pools = pools_of(
        month=run.month,
        revenue_at=run.cutoff_revenue_at,
        rights_share=Decimal(run.policy["rights_share"]),
        listeners=sorted(plays),
    )
    # Exact, but cheap at 100,000 fans: pools x plays summed per stream total (few distinct
    # ones), and only a float-ranked shortlist ranked with fractions.
    by_total: dict[int, Fraction] = {}
    approx: list[tuple[float, str]] = []
    for listener, (mine, total) in plays.items():
        pool = Fraction(pools.get(listener, 0))
        by_total[total] = by_total.get(total, Fraction(0)) + pool * mine
        approx.append((float(pool) * mine / total, listener))
    everything = sum((part / total for total, part in by_total.items()), Fraction(0))
    approx.sort(reverse=True)
    floor = approx[min(FANS_KEPT, len(approx)) - 1][0] * (1 - 1e-9) if approx else 0.0
    shortlist = [listener for value, listener in approx if value >= floor]
    ranked = [
        (
            listener,
            Fraction(pools.get(listener, 0)) * plays[listener][0] / plays[listener][1],
            plays[listener][0],
        )
        for listener in shortlist
    ]
    ranked.sort(key=lambda row: (-row[1], row[0]))
    return everything, ranked[:FANS_KEPT]


def _final_fans(*, artist_id: str, run: PayoutRun, limit: int) -> list[dict[str, Any]]:
    total, ranked = final_fans_ranking(artist_id=artist_id, run=run)
    top = ranked[:limit]
    listeners = [listener for listener, _, _ in top]
    names = fan_names(listeners)
    handles = fan_ids(artist_id=artist_id, listener_ids=listeners)
    return [
        {
            "fan": names[listener],
            "fan_id": handles[listener],
            "streams": streams,
            "amount": format_amount(value, AMOUNT_PLACES),
            "share": format_amount(value / total if total else Fraction(0), RATE_PLACES),
        }
        for listener, value, streams in top
    ]


def artist_top_fans(*, artist_id: str, month: date, limit: int) -> list[dict[str, Any]]:
    """Top fans by money their own pools gave the artist's tracks; never a listener id: each
    fan by name (or pseudonym) and `fan_id`, the handle the artist writes to it by."""
    run = final_run(month)
    if run is not None:
        return _final_fans(artist_id=artist_id, run=run, limit=limit)
    if dispatch.live_enabled():
        fans = live_top_fans(artist_id=artist_id, month=month, limit=limit)
        rows = [(f.fan, f.fan_id, f.streams, f.amount, f.share) for f in fans]
    else:
        estimate = cached_month_estimate(month)
        contributions = estimate.fans.get(artist_id, {})
        top = sorted(contributions.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        total = sum((value for value, _ in contributions.values()), Fraction(0))
        listeners = [listener for listener, _ in top]
        names = fan_names(listeners)
        handles = fan_ids(artist_id=artist_id, listener_ids=listeners)
        rows = [
            (names[listener], handles[listener], streams, value, value / total if total else Fraction(0))
            for listener, (value, streams) in top
        ]
    return [
        {
            "fan": fan,
            "fan_id": handle,
            "streams": streams,
            "amount": format_amount(amount, AMOUNT_PLACES),
            "share": format_amount(share, RATE_PLACES),
        }
        for fan, handle, streams, amount, share in rows
    ]
