"""Messages as each side reads them. An artist's answers name the fan by its name (or
pseudonym) and `fan_id`, never by listener id; a listener's name the artist by id and name."""

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from artists.models import Artist
from messaging.models import Block, Conversation, Message, Report
from streams.fans import fan_id, fan_listener, fan_name
from streams.listeners import listener_months
from streams.models import Listener


def _message(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "from": message.sender,
        "body": message.body,
        "sent_at": message.sent_at.isoformat(),
        "read": message.read_at is not None,
    }


def listener_message(message: Message, artist: Artist) -> dict[str, Any]:
    """`read`: whether its recipient read it (the listener, or for a reply the artist)."""
    return {"id": message.pk, "artist": {"id": artist.pk, "name": artist.name}, **_message(message)}


def listener_messages(listener: Listener) -> list[dict[str, Any]]:
    """Every message to and from the listener, oldest first."""
    rows = (
        Message.objects.filter(conversation__listener=listener)
        .select_related("conversation__artist")
        .order_by("sent_at", "id")
    )
    return [listener_message(message, message.conversation.artist) for message in rows]


def fan(*, artist_id: str, listener: Listener) -> dict[str, str]:
    """How an artist sees a listener: a name if it opted in to being shown, and its fan_id."""
    return {
        "fan": fan_name(listener.pk, listener.display_name, listener.show_to_artists),
        "fan_id": fan_id(artist_id=artist_id, listener_id=listener.pk),
    }


def artist_message(message: Message, *, artist_id: str, listener: Listener) -> dict[str, Any]:
    return {**fan(artist_id=artist_id, listener=listener), **_message(message)}


def artist_conversations(artist: Artist, *, limit: int) -> list[dict[str, Any]]:
    """The artist's conversations, most recent first, with the fan's unread replies."""
    rows = (
        Conversation.objects.filter(artist=artist)
        .select_related("listener")
        .annotate(
            message_count=Count("messages"),
            unread=Count(
                "messages",
                filter=Q(messages__sender=Message.Sender.LISTENER, messages__read_at__isnull=True),
            ),
        )
        .order_by("-last_message_at", "-id")[:limit]
    )
    return [
        {
            **fan(artist_id=artist.pk, listener=row.listener),
            "started_at": row.started_at.isoformat(),
            "last_message_at": row.last_message_at.isoformat(),
            "messages": row.message_count,
            "unread": row.unread,
        }
        for row in rows
    ]


def artist_conversation(artist: Artist, listener: Listener) -> dict[str, Any] | None:
    """One conversation, oldest message first; None if the artist never wrote to the fan."""
    conversation = Conversation.objects.filter(artist=artist, listener=listener).first()
    if conversation is None:
        return None
    messages = conversation.messages.order_by("sent_at", "id")
    return {
        **fan(artist_id=artist.pk, listener=listener),
        "started_at": conversation.started_at.isoformat(),
        "messages": [_message(message) for message in messages],
    }


def listener_export(listener: Listener) -> dict[str, Any]:
    """Everything held about a listener that is its personal data (docs/privacy.md)."""
    streams, revenue = listener_months(listener.pk)
    blocks = Block.objects.filter(listener=listener).select_related("artist").order_by("created_at")
    reports = Report.objects.filter(listener=listener).select_related("artist").order_by("reported_at")
    return {
        "listener": listener.pk,
        "exported_at": timezone.now().isoformat(),
        "created_at": listener.created_at.isoformat(),
        "erased_at": listener.erased_at.isoformat() if listener.erased_at else None,
        "preferences": {
            "display_name": listener.display_name,
            "shown_to_artists": listener.show_to_artists,
            "accepts_messages": listener.accepts_messages,
        },
        "messages": listener_messages(listener),
        "blocks": [
            {"artist": {"id": b.artist.pk, "name": b.artist.name}, "since": b.created_at.isoformat()}
            for b in blocks
        ],
        "reports": [
            {
                "id": r.pk,
                "message": r.message_id,
                "artist": {"id": r.artist.pk, "name": r.artist.name},
                "reason": r.reason,
                "reported_at": r.reported_at.isoformat(),
                "status": r.status,
            }
            for r in reports
        ],
        "streams": streams,
        "revenue": revenue,
    }


def artist_unread(artist: Artist) -> int:
    """Replies from fans the artist has not read yet, over all its conversations."""
    return Message.objects.filter(
        conversation__artist=artist, sender=Message.Sender.LISTENER, read_at__isnull=True
    ).count()


def writable_fans(artist: Artist, handles: list[str]) -> set[str]:
    """Which of these fan_ids the artist may write to as far as the fan's choices go: it
    accepts messages, did not block the artist, and its data was not erased (the send checks
    everything again)."""
    by_listener = {fan_listener(artist_id=artist.pk, handle=handle): handle for handle in handles}
    by_listener.pop(None, None)
    open_to = Listener.objects.filter(pk__in=list(by_listener), accepts_messages=True, erased_at__isnull=True)
    blocked = set(
        Block.objects.filter(artist=artist, listener_id__in=list(by_listener)).values_list(
            "listener_id", flat=True
        )
    )
    return {by_listener[pk] for pk in open_to.values_list("pk", flat=True) if pk not in blocked}
