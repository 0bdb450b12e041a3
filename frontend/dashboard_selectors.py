"""What the artist dashboard shows of its months: this month's estimate beside pro-rata and
progressive, the pace against last month, the history and the finalized months.

Nothing here writes. Open months come from the estimate (`payouts.earnings`,
`payouts.estimates`) and the stream reports; finalized months from
`payouts.artist_selectors`. Amounts handed to templates and scripts are decimal strings.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.cache import cache

from artists.models import Artist, Track
from artists.settlement import track_settlements
from frontend import pace
from frontend.selectors import month_from_key, month_key
from frontend.templatetags.kx import currency_symbol
from kalipxo.money import format_amount, half_even_minor
from kalipxo.months import (
    add_months,
    current_month,
    days_in_month,
    month_name,
    previous_month,
    same_point_last_month,
)
from payouts import artist_selectors
from payouts.earnings import artist_earnings, artist_top_fans, recording_factor
from payouts.estimates import cached_month_estimate
from payouts.maths.progressive import DEFAULT_PARAMS, allocate_progressive
from payouts.models import Hold, PayoutRun
from streams import reports
from streams.live.estimates import live_track_estimates
from streams.selectors import qualifying_streams

AMOUNT_PLACES = 2
RATE_PLACES = 4
FANS_SHOWN = 10
HISTORY_MONTHS = 12


def final_months(*, artist_id: str) -> list[dict[str, Any]]:
    """The artist's finalized months, newest first, with "YYYY-MM" months."""
    rows = artist_selectors.artist_final_months(artist_id, limit=HISTORY_MONTHS)
    months = [{**row, "month": month_key(row["month"])} for row in rows]
    return sorted(months, key=lambda row: row["month"], reverse=True)


def _rate(amount: Fraction | Decimal, streams: int) -> str:
    return format_amount(Fraction(amount) / streams if streams else Fraction(0), RATE_PLACES)


def _daily(artist_id: str, month: date, today: date) -> list[dict[str, Any]]:
    """Streams per day from the 1st to today (or the month's last day), zeros included.

    The one pass over the month a page still makes; shared between processes for
    DASHBOARD_DAILY_CACHE_SECONDS, as the day's bar need not move by the second.
    """
    key = f"kx:daily:{artist_id}:{month:%Y-%m}"
    rows = cache.get(key)
    if rows is None:
        rows = reports.artist_daily_streams(artist_id=artist_id, month=month)
        if settings.DASHBOARD_DAILY_CACHE_SECONDS:
            cache.set(key, rows, timeout=settings.DASHBOARD_DAILY_CACHE_SECONDS)
    counts = {row["day"]: row for row in rows}
    last = min(today.day, days_in_month(month)) if month <= today else 0
    days = []
    for day in range(1, last + 1):
        row = counts.get(month.replace(day=day))
        days.append(
            {
                "day": f"{month.replace(day=day):%Y-%m-%d}",
                "streams": row["streams"] if row else 0,
                "listeners": row["listeners"] if row else 0,
            }
        )
    return days


@dataclass(frozen=True)
class ProgressiveComparison:
    amount: Fraction  # what the artist would receive, after splits
    artist_plays: int
    top_plays: int  # the month's most played artist's plays
    base_plays: int


def open_month_progressive(*, artist_id: str, month: date) -> ProgressiveComparison:
    """What the artist would receive this month under the progressive model (docs/rules.md §3).

    Revenue-neutral: the base value is solved so that every artist's progressive payout
    adds up to the month's pools (plays of tracks not in the catalog are keyed by ISRC,
    as suspense is). Each artist's amount is spread over its tracks by plays and then
    over the tracks' payees by split, as the user-centric money is.
    """
    plays = reports.progressive_inputs(artist_id=artist_id, month=month)
    keys: dict[str, int] = dict(plays["by_artist"])
    keys.update({f"isrc:{isrc}": count for isrc, count in plays["unmatched"].items()})
    base_plays = DEFAULT_PARAMS.base_plays
    artist_plays = plays["by_artist"].get(artist_id, 0)
    if not keys:
        return ProgressiveComparison(Fraction(0), artist_plays, 0, base_plays)
    pool = Fraction(plays["pools"]) * recording_factor(month)  # the recording pools
    allocation = allocate_progressive(plays_per_artist=keys, pool=pool)
    amount = Fraction(0)
    for isrc, settlement in track_settlements(plays["mine"]).items():
        share = dict(settlement.payees).get(artist_id)
        track_artist_plays = plays["by_artist"].get(settlement.artist_id)
        if share and track_artist_plays:
            track_part = allocation.exact[settlement.artist_id] * plays["mine"][isrc] / track_artist_plays
            amount += track_part * Fraction(share)
    return ProgressiveComparison(amount, artist_plays, max(keys.values()), base_plays)


def progressive_note(comparison: ProgressiveComparison, *, progressive: str, pro_rata: str) -> str:
    """One sentence on how the progressive figure compares with pro-rata, stated from the two
    amounts as the page shows them (cents), and why where the plays explain it."""
    base = f"{comparison.base_plays:,}"
    symbol = currency_symbol()
    difference = Decimal(progressive) - Decimal(pro_rata)
    if not difference:
        if comparison.top_plays <= comparison.base_plays:
            return (
                f"No artist has passed {base} plays this month, so every play is still worth the full "
                f"base value and the progressive model pays what pro-rata pays ({symbol}{progressive})."
            )
        return f"The progressive model pays you what pro-rata pays ({symbol}{progressive})."
    gap = f"{symbol}{abs(difference):,}"
    if difference > 0:
        told = f"The progressive model pays you {gap} more than pro-rata"
        if comparison.artist_plays <= comparison.base_plays < comparison.top_plays:
            return (
                f"{told}: all your plays are within the first {base}, which it values most, while "
                "the busiest artists' later plays are worth less."
            )
        return f"{told}."
    told = f"The progressive model pays you {gap} less than pro-rata"
    if comparison.artist_plays > comparison.base_plays:
        return (
            f"{told}: your plays beyond the first {base} are worth less under it, which moves "
            "money to smaller artists."
        )
    return f"{told}."


def open_month_tracks(*, artist_id: str, month: date) -> list[dict[str, Any]]:
    """The artist's tracks this month: streams and listeners, gross and the artist's share.

    Money per track comes from the live pools when Redis holds the month, otherwise from
    the exact estimate (recomputed at most every couple of seconds, and only when the
    month's data changed).
    """
    tracks = reports.artist_track_streams(artist_id=artist_id, month=month)
    if reports.live_month(month):
        isrcs = [track["isrc"] for track in tracks]
        live = live_track_estimates(month=month, isrcs=isrcs)
        splits = {isrc: dict(s.payees) for isrc, s in track_settlements(isrcs).items()}
        gross_of = {isrc: live[isrc].gross for isrc in isrcs}
        share_of = {isrc: gross_of[isrc] * Fraction(splits[isrc].get(artist_id, 0)) for isrc in isrcs}
    else:
        allocation = cached_month_estimate(month).allocation
        gross_of = {t["isrc"]: allocation.track_gross.get(t["isrc"], Fraction(0)) for t in tracks}
        share_of = {
            t["isrc"]: allocation.payee_tracks.get((artist_id, t["isrc"]), Fraction(0)) for t in tracks
        }
    rows = []
    for track in tracks:
        gross, share = gross_of[track["isrc"]], share_of[track["isrc"]]
        rows.append(
            {
                **track,
                "gross": format_amount(gross, AMOUNT_PLACES),
                "amount": format_amount(share, AMOUNT_PLACES),
                "split": format_amount(share / gross * 100, 1) if gross else None,
            }
        )
    return rows


def why_models_differ(*, uc_rate: str, pr_rate: str, streams: int) -> str:
    """One sentence on why user-centric and pro-rata pay this artist differently."""
    if not streams:
        return (
            "With no qualifying plays yet this month there is nothing to compare; the models "
            "differ in whose subscription pays for each play."
        )
    uc, pr = Decimal(uc_rate), Decimal(pr_rate)
    symbol = currency_symbol()
    if uc > pr:
        return (
            f"Your listeners play fewer tracks than the average listener, so each of your plays "
            f"carries a bigger slice of their own subscription ({symbol}{uc_rate} a play) than a "
            f"play earns from the platform-wide pot ({symbol}{pr_rate})."
        )
    if uc < pr:
        return (
            f"Your listeners play more tracks than the average listener, so their subscriptions "
            f"are spread thinner ({symbol}{uc_rate} a play) than the platform-wide average "
            f"({symbol}{pr_rate})."
        )
    return "Your listeners play about as much as the average listener, so both models pay the same rate."


def streams_until(*, artist_id: str, month: date, until: datetime, run: PayoutRun | None) -> int:
    """The artist's qualifying streams of a month that started before `until`. For a
    finalized month, as its run counted them: its data cut and minimum play, rejected
    listeners left out."""
    if run is None:
        events = qualifying_streams(month)
    else:
        events = qualifying_streams(
            month, min_play_ms=run.policy.get("min_play_ms"), up_to_event=run.cutoff_event_id
        ).exclude(
            listener_id__in=Hold.objects.filter(run=run, decision=Hold.Decision.REJECT).values("listener_id")
        )
    own = Track.objects.filter(artist_id=artist_id).values("isrc")
    return int(events.filter(isrc__in=own, started_at__lt=until).count())


def month_pace(
    *, artist_id: str, now: datetime, streams: int, last_amount: Fraction, last_run: PayoutRun | None
) -> dict[str, Any]:
    """This month so far against last month at the same point, and the month end that pace
    projects (both estimates; dashboard.js recomputes them as the streams move)."""
    point = same_point_last_month(now)
    previous = previous_month(now)
    by_then = streams_until(artist_id=artist_id, month=previous, until=point, run=last_run)
    projected = pace.projected_amount(last_amount=last_amount, streams=streams, last_streams_by_then=by_then)
    return {
        "last_streams_by_then": by_then,
        "point": f"{point.day} {calendar.month_name[point.month]}, {point:%H:%M} UTC",
        "change": pace.percent_change(streams, by_then),
        "last_amount": format_amount(last_amount, AMOUNT_PLACES),
        "projected": (
            format_amount(Fraction(half_even_minor(projected, 100), 100), AMOUNT_PLACES)
            if projected is not None
            else None
        ),
    }


def finals_change(final_rows: list[dict[str, Any]]) -> str | None:
    """A whole month against the whole month before it, only when both are final (an open
    month is compared by pace instead): "October 2026 paid you $12.00, +20.0% against
    September 2026 ($10.00)." """
    if len(final_rows) < 2:
        return None
    newest, before = final_rows[0], final_rows[1]
    if add_months(month_from_key(newest["month"]), -1) != month_from_key(before["month"]):
        return None
    new_cents = int(Decimal(str(newest["amount"])) * 100)
    old_cents = int(Decimal(str(before["amount"])) * 100)
    change = pace.percent_change(new_cents, old_cents)
    symbol = currency_symbol()
    paid = f"{newest['month_name']} paid you {symbol}{Decimal(str(newest['amount'])):,}"
    against = f"{before['month_name']} ({symbol}{Decimal(str(before['amount'])):,})"
    if change is None:
        return f"{paid}; {against} paid nothing."
    return f"{paid}, {change} against {against}."


def dashboard_data(*, artist: Artist, now: datetime | None = None) -> dict[str, Any]:
    """Everything the artist dashboard shows, for one artist."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    month = current_month(now)
    previous = add_months(month, -1)
    earnings = artist_earnings(artist_id=artist.id, month=month).as_dict()

    finals = {row["month"]: row for row in final_months(artist_id=artist.id)}
    if month_key(previous) in finals:
        last = {**finals[month_key(previous)], "status": "final"}
    else:
        last = artist_earnings(artist_id=artist.id, month=previous).as_dict()

    progressive_comparison = open_month_progressive(artist_id=artist.id, month=month)
    progressive = progressive_comparison.amount
    comparison: dict[str, Any] = {
        # The models compare recording money (docs/rules.md §2 Comparisons).
        "user_centric": {"amount": earnings["recording_amount"], "per_stream": earnings["per_stream"]},
        "pro_rata": {
            "amount": earnings["pro_rata_amount"],
            "per_stream": _rate(Decimal(earnings["pro_rata_amount"]), earnings["streams"]),
        },
        "progressive": {
            "amount": format_amount(progressive, AMOUNT_PLACES),
            "per_stream": _rate(progressive, earnings["streams"]),
        },
    }
    comparison["why"] = why_models_differ(
        uc_rate=earnings["per_stream"],
        pr_rate=comparison["pro_rata"]["per_stream"],
        streams=earnings["streams"],
    )
    comparison["progressive_note"] = progressive_note(
        progressive_comparison,
        progressive=comparison["progressive"]["amount"],
        pro_rata=comparison["pro_rata"]["amount"],
    )
    # The three figures and both sentences are one snapshot; the page says when the live
    # estimate has moved away from it rather than mixing live and snapshot figures.
    comparison["as_of"] = f"{now:%H:%M} UTC"

    history: list[dict[str, Any]] = []
    for offset in range(HISTORY_MONTHS - 1, -1, -1):
        key = month_key(add_months(month, -offset))
        if key in finals:
            history.append({"month": key, "amount": str(finals[key]["amount"]), "status": "final"})
        elif key == month_key(month):
            history.append({"month": key, "amount": earnings["amount"], "status": "estimate"})
        elif key == month_key(previous):
            history.append({"month": key, "amount": last["amount"], "status": "estimate"})
        else:
            history.append({"month": key, "amount": None, "status": "none"})

    final_keys = sorted(finals, reverse=True)
    last_amount = Fraction(Decimal(str(last["amount"])))
    return {
        "artist": {"id": artist.id, "name": artist.name},
        "month": month_key(month),
        "month_name": month_name(month),
        "day": now.day,
        "days_in_month": days_in_month(month),
        "earnings": earnings,
        # Below half a cent the cents shown are exact: the page says nothing of the bound.
        "bound_shown": Decimal(earnings.get("bound", "0")) >= Decimal("0.005"),
        "last": {
            "month": month_key(previous),
            "month_name": month_name(previous),
            "status": last.get("status", "estimate"),
            "amount": str(last["amount"]),
            "streams": last.get("streams"),
        },
        "pace": month_pace(
            artist_id=artist.id,
            now=now,
            streams=earnings["streams"],
            last_amount=last_amount,
            last_run=artist_selectors.final_run(previous),
        ),
        "comparison": comparison,
        "finals_change": finals_change(
            [
                {"month": key, "month_name": month_name(month_from_key(key)), **finals[key]}
                for key in final_keys
            ]
        ),
        "history": history,
        "daily": _daily(artist.id, month, now.date()),
        "fans": artist_top_fans(artist_id=artist.id, month=month, limit=FANS_SHOWN),
        "final_months": [
            {"month": key, "month_name": month_name(month_from_key(key)), **finals[key]} for key in final_keys
        ],
    }
