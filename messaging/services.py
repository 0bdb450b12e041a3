"""What artists and listeners do with messages: write, reply, read, block, report, and the
listener's preferences (docs/rules.md §2 Messages and "Messages"). Every refusal is a
`Refused` and stores nothing, except the record of a `duplicate_text` refusal (three in 24
hours suspend the artist)."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from artists.models import Artist, Track
from kalipxo.validation import check_id, echo_id
from messaging import rules
from messaging.models import ArtistMessaging, Block, Conversation, DuplicateRefusal, Message, Report
from messaging.rules import Refused, invalid, refusal
from streams.fans import fan_listener
from streams.listeners import Preferences, listener_preferences_set
from streams.models import Listener, StreamEvent

NO_SUCH_FAN = "No fan of this artist has this fan_id: send one the top-fans API gave for this artist."


def listener_found(listener_id: str, *, lock: bool = False) -> Listener:
    """The listener, or a 404 (a listener is known from its first stream or preferences)."""
    rows = Listener.objects.select_for_update() if lock else Listener.objects
    listener = rows.filter(pk=listener_id).first()
    if listener is None:
        raise Refused(404, {"detail": f"No listener {echo_id(listener_id)!r}."})
    return listener


def listener_writable(listener_id: str, *, lock: bool = False) -> Listener:
    """The listener, if its data was not erased (410: an erased id is not used again)."""
    listener = listener_found(listener_id, lock=lock)
    if listener.erased_at is not None:
        raise refusal(
            rules.ERASED,
            f"This listener's personal data was erased on {listener.erased_at:%Y-%m-%d}; its id takes no "
            "new preferences or messages.",
        )
    return listener


def preferences_record(*, listener_id: str, preferences: Preferences) -> tuple[Listener, bool]:
    """Set a listener's choices; a listener not known yet is added (it may stream later)."""
    if (problem := check_id(listener_id)) is not None:
        raise Refused(400, {"detail": f"Not a listener id: {problem}"})
    with transaction.atomic():
        if Listener.objects.filter(pk=listener_id).exists():
            listener_writable(listener_id, lock=True)
        return listener_preferences_set(listener_id=listener_id, preferences=preferences)


def fan_found(artist: Artist, handle: object) -> Listener | None:
    """The listener a fan_id of `artist` stands for; None for anything else (altered, made
    up, another artist's)."""
    listener_id = fan_listener(artist_id=artist.pk, handle=handle)
    return Listener.objects.filter(pk=listener_id).first() if listener_id else None


def fan_of(artist: Artist, handle: str) -> Listener:
    """The listener a fan_id of `artist` stands for; a 400 naming `fan_id` for any other."""
    listener = fan_found(artist, handle)
    if listener is None:
        raise invalid({"fan_id": [NO_SUCH_FAN]})
    return listener


def artist_message_send(*, artist: Artist, handle: str, body: str) -> tuple[Message, Listener]:
    """An artist's message to a fan, with every rule checked under the artist's lock."""
    listener = fan_of(artist, handle)
    outcome = _send_decided(artist=artist, listener=listener, body=body)
    if isinstance(outcome, Refused):
        raise outcome  # outside the transaction: a duplicate_text refusal's record is kept
    return outcome, listener


def _send_decided(*, artist: Artist, listener: Listener, body: str) -> Message | Refused:
    text = rules.fingerprint(body)
    with transaction.atomic():
        # The lock first, the clock after: sends of one artist are decided in turn, each
        # seeing everything stored by those before it. FOR NO KEY UPDATE: catalog writes
        # that only refer to the artist (its tracks) are not held up; nothing is stored to
        # lock, so a refusal stores nothing (SQLite has one writer at a time anyway).
        Artist.objects.select_for_update(no_key=True).filter(pk=artist.pk).first()
        state = ArtistMessaging.objects.filter(pk=artist.pk).first()
        now = timezone.now()
        # Its choices as of now, locked: an erasure (FOR UPDATE) either went first and is seen,
        # or waits and then removes what this send stores.
        listener = Listener.objects.select_for_update(no_key=True).get(pk=listener.pk)
        until = state.suspended_until if state is not None else None
        refused = rules.suspended_refusal(until, now=now) or _consent_refusal(
            artist=artist, listener=listener, now=now
        )
        if refused is None:
            refused = _duplicate_refusal(artist=artist, listener=listener, text=text, now=now)
        if refused is not None:
            return refused
        conversation = Conversation.objects.filter(artist=artist, listener=listener).first()
        if conversation is None:
            starts = Conversation.objects.filter(artist=artist, started_at__gt=now - rules.WINDOW)
            refused = rules.daily_limit_refusal(
                list(starts.order_by("started_at").values_list("started_at", flat=True)),
                limit=int(settings.MESSAGES_PER_ARTIST_PER_DAY),
                now=now,
            )
            if refused is not None:
                return refused
            conversation = Conversation.objects.create(
                artist=artist, listener=listener, started_at=now, last_message_at=now
            )
        else:
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        return Message.objects.create(
            conversation=conversation, sender=Message.Sender.ARTIST, body=body, fingerprint=text, sent_at=now
        )


def _consent_refusal(*, artist: Artist, listener: Listener, now: datetime) -> Refused | None:
    if Block.objects.filter(listener=listener, artist=artist).exists():
        return refusal(rules.BLOCKED, "This fan blocked you; nothing more can be sent to it.")
    if not listener.accepts_messages or listener.erased_at is not None:
        return refusal(rules.NOT_OPTED_IN, "This fan does not accept messages from artists.")
    recent = StreamEvent.objects.filter(
        listener_id=listener.pk,
        started_at__gte=now - rules.RECENT_FAN,
        isrc__in=Track.objects.filter(artist=artist).values("isrc"),
    )
    if not recent.exists():
        return refusal(
            rules.NOT_A_RECENT_FAN,
            f"An artist writes only to fans who played it in the last {rules.RECENT_FAN.days} days.",
        )
    return None


def _duplicate_refusal(*, artist: Artist, listener: Listener, text: str, now: datetime) -> Refused | None:
    """The same text to more than DUPLICATE_FANS fans in 24 hours: refused and recorded; the
    REFUSALS_TO_SUSPEND-th such refusal in 24 hours suspends the artist."""
    others = (
        Message.objects.filter(
            conversation__artist=artist,
            sender=Message.Sender.ARTIST,
            fingerprint=text,
            sent_at__gt=now - rules.WINDOW,
        )
        .exclude(conversation__listener=listener)
        .values("conversation")
        .annotate(last=Max("sent_at"))
        .order_by("last")
    )
    last_sent = [row["last"] for row in others]
    if len(last_sent) < rules.DUPLICATE_FANS:
        return None
    DuplicateRefusal.objects.filter(artist=artist, refused_at__lte=now - rules.WINDOW).delete()
    DuplicateRefusal.objects.create(artist=artist, fingerprint=text, refused_at=now)
    refusals = DuplicateRefusal.objects.filter(artist=artist, refused_at__gt=now - rules.WINDOW).count()
    suspends = refusals >= rules.REFUSALS_TO_SUSPEND
    if suspends:
        ArtistMessaging.objects.update_or_create(
            artist=artist, defaults={"suspended_until": now + rules.SUSPENSION}
        )
    return rules.duplicate_refusal(last_sent, now=now, suspends=suspends)


def listener_reply(*, listener_id: str, artist_id: str, body: str) -> Message:
    """A listener's reply, into the conversation an artist started, unless it blocked it."""
    with transaction.atomic():
        listener = listener_writable(listener_id, lock=True)
        conversation = Conversation.objects.filter(listener=listener, artist_id=artist_id).first()
        if conversation is None:
            if not Artist.objects.filter(pk=artist_id).exists():
                raise invalid({"artist": [f"No artist {echo_id(artist_id)!r}."]})
            raise refusal(
                rules.NO_CONVERSATION,
                "This artist has not written to this listener: a listener replies to an artist that "
                "wrote first.",
            )
        if Block.objects.filter(listener=listener, artist_id=artist_id).exists():
            raise refusal(rules.BLOCKED, "This listener blocked the artist; the conversation is closed.")
        now = timezone.now()
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        return Message.objects.create(
            conversation=conversation, sender=Message.Sender.LISTENER, body=body, sent_at=now
        )


def listener_message_read(*, listener_id: str, message_id: int) -> Message:
    """Mark a message an artist sent the listener as read (again: no change)."""
    listener = listener_found(listener_id)
    message = (
        Message.objects.select_related("conversation__artist")
        .filter(pk=message_id, conversation__listener=listener)
        .first()
    )
    if message is None:
        raise Refused(404, {"detail": f"No message {message_id} to or from this listener."})
    if message.sender != Message.Sender.ARTIST:
        raise Refused(400, {"detail": "This is the listener's own reply; it marks read what artists send."})
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


def listener_block(*, listener_id: str, artist_id: str) -> tuple[Block, bool]:
    """Block an artist (whether or not it wrote yet); blocking again changes nothing."""
    with transaction.atomic():
        listener = listener_writable(listener_id, lock=True)
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None:
            raise invalid({"artist": [f"No artist {echo_id(artist_id)!r}."]})
        return Block.objects.get_or_create(listener=listener, artist=artist)


def listener_report(*, listener_id: str, message_id: int, reason: str) -> tuple[Report, bool]:
    """Report a message an artist sent: it joins the moderation queue (once per message)."""
    with transaction.atomic():
        listener = listener_writable(listener_id, lock=True)
        message = (
            Message.objects.select_related("conversation")
            .filter(pk=message_id, conversation__listener=listener)
            .first()
        )
        if message is None:
            raise invalid({"message": [f"No message {message_id} was sent to this listener."]})
        if message.sender != Message.Sender.ARTIST:
            raise invalid({"message": ["A listener reports a message an artist sent it, not its own reply."]})
        return Report.objects.get_or_create(
            message=message,
            defaults={
                "artist_id": message.conversation.artist_id,
                "listener": listener,
                "reason": reason,
                "evidence": message.body,
                "message_sent_at": message.sent_at,
            },
        )


def artist_conversation_read(*, artist: Artist, listener: Listener) -> int:
    """Mark the fan's replies in its conversation with `artist` read; how many were unread."""
    return Message.objects.filter(
        conversation__artist=artist,
        conversation__listener=listener,
        sender=Message.Sender.LISTENER,
        read_at__isnull=True,
    ).update(read_at=timezone.now())
