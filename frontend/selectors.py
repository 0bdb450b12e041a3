"""What the pages show that is not one page's own: month keys and labels, what the console
may run, hold evidence's track titles, and which artists an account may pick.

Nothing here writes. The artist dashboard's reads are in `frontend.dashboard_selectors`,
a month's settlement details, holds and review outcomes in `frontend.settlement_selectors`;
the console reads payout runs from `payouts.selectors` and `frontend.console_selectors`.
Amounts handed to templates and scripts are decimal strings.
"""

import calendar
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from artists.access import Actor
from artists.models import Artist
from artists.selectors import artists_visible_to
from kalipxo.months import add_months, days_in_month, month_name
from payouts.run import window as run_rules
from streams import reports

# ---------------------------------------------------------------------------- months


def month_key(value: Any) -> str:
    """ "YYYY-MM" of a date, a datetime or a "YYYY-MM[-DD]" string."""
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)[:7]


def month_from_key(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


def month_period(month: date) -> str:
    """ "1–30 November 2026": the days a month's run pays, as the finalize dialog says it."""
    return f"1–{days_in_month(month)} {month_name(month)}"


def moment_label(moment: datetime) -> str:
    """ "2 December 2026, 00:00 UTC" """
    moment = moment.astimezone(UTC)
    return f"{moment.day} {calendar.month_name[moment.month]} {moment.year}, {moment:%H:%M} UTC"


def run_window(now: datetime | None = None) -> dict[str, str]:
    """What the console may start: the newest month that is over with its grace, and when
    the month after it can be run (docs/rules.md §2 Month close)."""
    newest = run_rules.last_runnable_month(now)
    following = add_months(newest, 1)
    return {
        "max_month": month_key(newest),
        "next_month": month_key(following),
        "next_month_name": month_name(following),
        "next_opens_at": moment_label(run_rules.run_opens_at(following)),
        "grace": run_rules.grace_label(settings.PAYOUT_RUN_GRACE),
    }


def hold_track_titles(holds: list[dict[str, Any]]) -> dict[str, str]:
    """Titles of the tracks named in the holds' evidence, so admins see more than ISRCs."""
    isrcs = [track["isrc"] for hold in holds for track in (hold.get("evidence") or {}).get("top_tracks", [])]
    return reports.track_titles(isrcs)


# ---------------------------------------------------------------------------- who sees whom


def visible_artists(actor: Actor) -> QuerySet[Artist]:
    return artists_visible_to(actor).order_by("name", "id")
