"""Erasing a listener's personal data (docs/privacy.md): its name and choices, its
conversations with every message in them, its blocks, and its part in reports. Its streams
and revenue stay under its id, so finalized months, payout runs and the append-only ledger
are unchanged; the player platform stops mapping that id to a person."""

from django.db import transaction
from django.utils import timezone

from messaging.models import Block, Conversation, Message, Report
from streams.listeners import listener_personal_data_erase
from streams.models import Listener


def listener_erase(*, listener_id: str) -> bool:
    """Erase what is personal about the listener; False if there is no such listener.

    Erasing again is harmless (nothing left to remove; the first erasure's time is kept).
    A report keeps the artist's reported words for moderation, no longer linked to the
    listener and without the listener's reason.
    """
    with transaction.atomic():
        listener = Listener.objects.select_for_update().filter(pk=listener_id).first()
        if listener is None:
            return False
        Report.objects.filter(listener=listener).update(listener=None, reason="")
        conversations = Conversation.objects.filter(listener=listener)
        Report.objects.filter(message__conversation__in=conversations).update(message=None)
        Message.objects.filter(conversation__in=conversations).delete()
        conversations.delete()
        Block.objects.filter(listener=listener).delete()
        listener_personal_data_erase(listener_id=listener.pk, now=timezone.now())
    return True
