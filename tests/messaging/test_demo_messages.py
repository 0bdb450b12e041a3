"""The demo loads opt-ins and a few conversations for the artist its login will be."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.management.commands.create_demo_logins import Command as DemoLogins
from messaging.models import Conversation, Message
from streams.models import Listener

pytestmark = pytest.mark.django_db


def test_the_demo_artist_has_conversations_with_fans_who_opted_in() -> None:
    out = StringIO()
    call_command("load_demo_data", listeners=200, streams=5_000, seed=7, stdout=out)  # last month

    artist = DemoLogins._top_artist()
    assert artist is not None
    conversations = Conversation.objects.filter(artist=artist).select_related("listener")
    assert 3 <= conversations.count() <= 6, out.getvalue()
    assert all(c.listener.accepts_messages for c in conversations)
    assert sum(c.listener.show_to_artists and bool(c.listener.display_name) for c in conversations) >= 3
    assert Message.objects.filter(sender=Message.Sender.LISTENER).count() >= 1
    assert 0.2 < Listener.objects.filter(accepts_messages=True).count() / Listener.objects.count() < 0.5
    assert f"{artist.name} wrote to" in out.getvalue()
