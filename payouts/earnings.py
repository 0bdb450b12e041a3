"""An artist's earnings for a month, as the API and the dashboard show them.

Open months are estimates: from the live pools in Redis when there is one, otherwise
computed exactly from the database. Finalized months are answered from the payout run.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from kalipxo.money import format_amount
from payouts.estimates import cached_month_estimate
from streams.live import dispatch
from streams.live.estimates import fan_names, live_artist_estimate, live_top_fans

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

    def as_dict(self) -> dict[str, Any]:
        per_stream = self.amount / self.streams if self.streams else Fraction(0)
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
        }


def artist_earnings(*, artist_id: str, month: date) -> Earnings:
    if dispatch.live_enabled():
        live = live_artist_estimate(artist_id=artist_id, month=month)
        return Earnings(
            artist=artist_id,
            month=month,
            status="estimate",
            gross=live.gross,
            amount=live.amount,
            streams=live.streams,
            listeners=live.listeners,
            pro_rata_amount=live.pro_rata_amount,
            updated_at=live.updated_at,
        )
    estimate = cached_month_estimate(month)
    return Earnings(
        artist=artist_id,
        month=month,
        status="estimate",
        gross=estimate.allocation.artist_gross.get(artist_id, Fraction(0)),
        amount=estimate.allocation.payee_exact.get(artist_id, Fraction(0)),
        streams=estimate.artist_streams.get(artist_id, 0),
        listeners=estimate.artist_listeners.get(artist_id, 0),
        pro_rata_amount=estimate.pro_rata.payee_exact.get(artist_id, Fraction(0)),
        updated_at=datetime.now(UTC),
    )


def artist_top_fans(*, artist_id: str, month: date, limit: int) -> list[dict[str, Any]]:
    """Top fans by money their own pools gave the artist's tracks; never a listener id."""
    if dispatch.live_enabled():
        fans = live_top_fans(artist_id=artist_id, month=month, limit=limit)
        rows = [(f.fan, f.streams, f.amount, f.share) for f in fans]
    else:
        estimate = cached_month_estimate(month)
        contributions = estimate.fans.get(artist_id, {})
        top = sorted(contributions.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        total = sum((value for value, _ in contributions.values()), Fraction(0))
        names = fan_names([listener for listener, _ in top])
        rows = [
            (names[listener], streams, value, value / total if total else Fraction(0))
            for listener, (value, streams) in top
        ]
    return [
        {
            "fan": fan,
            "streams": streams,
            "amount": format_amount(amount, AMOUNT_PLACES),
            "share": format_amount(share, RATE_PLACES),
        }
        for fan, streams, amount, share in rows
    ]
