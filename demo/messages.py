"""Demo messages: about a third of the listeners accept messages, and the demo's artist login
(the most-streamed artist, as `create_demo_logins` picks it) has a few conversations with
its recent fans, some answered, sent through the same rules as the API's."""

from django.db.models import Count
from django.utils import timezone

from artists.models import Track
from demo.base import demo_rng
from demo.management.commands.create_demo_logins import Command as DemoLogins
from demo.words import FIRST_NAMES, LAST_NAMES
from messaging.models import Conversation
from messaging.rules import RECENT_FAN, Refused
from messaging.services import artist_message_send, listener_message_read, listener_reply
from streams.fans import fan_id
from streams.models import Listener, StreamEvent

ACCEPTING = 0.35  # the share of listeners who accept messages
SHOWN = 3  # the first fans written to are shown by name, so the dashboard has some
LETTERS = [
    "Thank you for playing the new record so much this month. It means a lot!",
    "I saw you have been listening since the first single. Any song you would like live?",
    "We are in your city next month; I would love to see you there.",
    "Your streams carried the new EP this week. Thank you, truly.",
    "A little thank-you from the studio: a new song is almost done.",
    "Thanks for sticking with us. What should the next single be?",
]
REPLIES = {0: "This made my day. See you at the next show!", 1: "The slow one from the second album, please!",
           3: "I have it on repeat. Thanks for writing!"}  # fmt: skip


def demo_messages_write(*, seed: int) -> str:
    """Opt-ins and a few conversations; a note for the load's summary. Leaves an artist that
    has conversations already (a reload) as it is."""
    artist = DemoLogins._top_artist()  # the artist the demo login will be
    if artist is None:
        return "messages: no artist yet"
    if Conversation.objects.filter(artist=artist).exists():
        return f"messages: {artist.name} already has conversations"
    rng = demo_rng(seed, "messages")
    accepting = [
        pk for pk in Listener.objects.order_by("id").values_list("id", flat=True) if rng.random() < ACCEPTING
    ]
    Listener.objects.filter(id__in=accepting).update(accepts_messages=True)
    fans = list(
        StreamEvent.objects.filter(
            isrc__in=Track.objects.filter(artist=artist).values("isrc"),
            started_at__gte=timezone.now() - RECENT_FAN,
            listener_id__in=accepting,
        )
        .values_list("listener_id")
        .annotate(plays=Count("id"))
        .order_by("-plays", "listener_id")[: len(LETTERS)]
    )
    written = 0
    for n, (listener_id, _) in enumerate(fans):
        if n < SHOWN:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)[0]}."
            Listener.objects.filter(pk=listener_id, display_name="").update(display_name=name)
            Listener.objects.filter(pk=listener_id).update(show_to_artists=True)
        try:
            message, _ = artist_message_send(
                artist=artist, handle=fan_id(artist_id=artist.pk, listener_id=listener_id), body=LETTERS[n]
            )
        except Refused:  # a limit of a deployment's own settings: fewer conversations
            continue
        written += 1
        if n in REPLIES:
            listener_message_read(listener_id=listener_id, message_id=message.pk)
            listener_reply(listener_id=listener_id, artist_id=artist.pk, body=REPLIES[n])
    return f"messages: {len(accepting)} listeners accept them; {artist.name} wrote to {written} fans"
