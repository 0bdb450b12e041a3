"""Listeners appear with their first stream or revenue record; both writers add them here.
The player platform records their choices (preferences), asks what is held about one
(export) and has their personal data erased (docs/privacy.md)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from kalipxo.db import insert_ignoring_conflicts
from kalipxo.money import format_trimmed
from streams.models import Listener, RevenueRecord, StreamEvent


def listeners_add(ids: Iterable[str]) -> list[str]:
    """Add the listeners not stored yet (no display name, not shown to artists).

    In code-point order, as ingestion's single statement does on PostgreSQL, so concurrent
    writers lock new listeners in one order. Must run inside the caller's transaction.
    Returns the ids it added.
    """
    return insert_ignoring_conflicts(
        table="streams_listener",
        columns=(("id", "varchar"), ("display_name", "varchar"), ("show_to_artists", "boolean")),
        rows=[(listener, "", False) for listener in sorted(set(ids))],
        conflict="id",
        returning="id",
    )


@dataclass(frozen=True)
class Preferences:
    """What a listener chose through the player platform (docs/rules.md §2 Messages)."""

    display_name: str = ""
    shown_to_artists: bool = False
    accepts_messages: bool = False


def listener_preferences_set(*, listener_id: str, preferences: Preferences) -> tuple[Listener, bool]:
    """Record a listener's choices, adding the listener if it is new (its first stream may come
    later). Returns (listener, created). The caller refuses an erased listener first."""
    with transaction.atomic():
        created = bool(listeners_add([listener_id]))
        Listener.objects.filter(pk=listener_id).update(
            display_name=preferences.display_name,
            show_to_artists=preferences.shown_to_artists,
            accepts_messages=preferences.accepts_messages,
        )
    return Listener.objects.get(pk=listener_id), created


def listener_personal_data_erase(*, listener_id: str, now: datetime) -> None:
    """Forget what the listener told us about itself: its name and opt-ins; mark it erased
    (the first erasure's time is kept). Its streams and revenue stay, under its id, which
    the player platform no longer maps to a person (docs/privacy.md). Inside the caller's
    transaction."""
    Listener.objects.filter(pk=listener_id).update(
        display_name="",
        show_to_artists=False,
        accepts_messages=False,
        erased_at=Coalesce(F("erased_at"), Value(now)),
    )


def listener_months(listener_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """For a listener's export: its stream events per calendar month (UTC), and what billing
    recorded for it per month, both oldest first."""
    streams = (
        StreamEvent.objects.filter(listener_id=listener_id)
        .annotate(month=TruncMonth("started_at", tzinfo=UTC))
        .values("month")
        .annotate(streams=Count("id"))
        .order_by("month")
    )
    revenue = (
        RevenueRecord.objects.filter(listener_id=listener_id)
        .values("month")
        .annotate(records=Count("id"), gross=Sum("gross"), tax=Sum("tax"), fees=Sum("fees"))
        .order_by("month")
    )
    return (
        [{"month": f"{row['month']:%Y-%m}", "streams": row["streams"]} for row in streams],
        [
            {
                "month": f"{row['month']:%Y-%m}",
                "records": row["records"],
                **{name: format_trimmed(row[name], most=4) for name in ("gross", "tax", "fees")},
            }
            for row in revenue
        ],
    )
