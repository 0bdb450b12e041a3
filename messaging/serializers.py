"""The messaging API's bodies as the OpenAPI schema shows them (the checks are in inputs.py)."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from messaging import rules

SENDERS = ["artist", "listener"]
REFUSAL_CODES = [
    rules.NOT_OPTED_IN,
    rules.NOT_A_RECENT_FAN,
    rules.DAILY_LIMIT,
    rules.DUPLICATE_TEXT,
    rules.SUSPENDED,
    rules.BLOCKED,
    rules.TOO_LONG,
]

PREFERENCES_FIELDS: dict[str, Any] = {
    "display_name": serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="At most 100 characters; default none."
    ),
    "shown_to_artists": serializers.BooleanField(
        required=False, help_text="Artists see the display name among their fans; default false."
    ),
    "accepts_messages": serializers.BooleanField(
        required=False, help_text="Artists the listener played in the last 90 days may write; default false."
    ),
}
PREFERENCES_IN = inline_serializer("ListenerPreferencesIn", PREFERENCES_FIELDS)
PREFERENCES = inline_serializer(
    "ListenerPreferences", {"listener": serializers.CharField(), **PREFERENCES_FIELDS}
)

MESSAGE_ARTIST = inline_serializer(
    "MessageArtist", {"id": serializers.CharField(), "name": serializers.CharField()}
)
MESSAGE_FIELDS: dict[str, Any] = {
    "id": serializers.IntegerField(),
    "from": serializers.ChoiceField(choices=SENDERS),
    "body": serializers.CharField(),
    "sent_at": serializers.DateTimeField(),
    "read": serializers.BooleanField(help_text="Whether its recipient has read it."),
}
LISTENER_MESSAGE = inline_serializer("ListenerMessage", {**MESSAGE_FIELDS, "artist": MESSAGE_ARTIST})
LISTENER_MESSAGES = inline_serializer(
    "ListenerMessageInList", {**MESSAGE_FIELDS, "artist": MESSAGE_ARTIST}, many=True
)
REPLY_IN = inline_serializer(
    "ListenerReplyIn",
    {
        "artist": serializers.CharField(help_text="The artist that wrote to the listener."),
        "body": serializers.CharField(help_text="1 to 1,000 characters."),
    },
)
BLOCK_IN = inline_serializer("ListenerBlockIn", {"artist": serializers.CharField()})
BLOCK = inline_serializer("ListenerBlock", {"artist": MESSAGE_ARTIST, "since": serializers.DateTimeField()})
REPORT_IN = inline_serializer(
    "ListenerReportIn",
    {
        "message": serializers.IntegerField(help_text="The id of a message an artist sent the listener."),
        "reason": serializers.CharField(
            required=False, allow_blank=True, help_text="At most 1,000 characters."
        ),
    },
)
REPORT = inline_serializer(
    "ListenerReport",
    {
        "id": serializers.IntegerField(),
        "message": serializers.IntegerField(allow_null=True),
        "artist": MESSAGE_ARTIST,
        "reason": serializers.CharField(),
        "reported_at": serializers.DateTimeField(),
        "status": serializers.ChoiceField(choices=["open", "dismissed", "upheld"]),
    },
)
EXPORT = inline_serializer(
    "ListenerExport",
    {
        "listener": serializers.CharField(),
        "exported_at": serializers.DateTimeField(),
        "created_at": serializers.DateTimeField(),
        "erased_at": serializers.DateTimeField(allow_null=True),
        "preferences": inline_serializer("ListenerExportPreferences", PREFERENCES_FIELDS),
        "messages": LISTENER_MESSAGES,
        "blocks": inline_serializer(
            "ListenerExportBlock", {"artist": MESSAGE_ARTIST, "since": serializers.DateTimeField()}, many=True
        ),
        "reports": inline_serializer(
            "ListenerExportReport",
            {
                "id": serializers.IntegerField(),
                "message": serializers.IntegerField(allow_null=True),
                "artist": MESSAGE_ARTIST,
                "reason": serializers.CharField(),
                "reported_at": serializers.DateTimeField(),
                "status": serializers.CharField(),
            },
            many=True,
        ),
        "streams": inline_serializer(
            "ListenerExportStreams",
            {"month": serializers.CharField(), "streams": serializers.IntegerField()},
            many=True,
        ),
        "revenue": inline_serializer(
            "ListenerExportRevenue",
            {
                "month": serializers.CharField(),
                "records": serializers.IntegerField(),
                "gross": serializers.CharField(),
                "tax": serializers.CharField(),
                "fees": serializers.CharField(),
            },
            many=True,
        ),
    },
)

FAN_FIELDS: dict[str, Any] = {
    "fan": serializers.CharField(help_text="The display name if the fan opted in, otherwise a pseudonym."),
    "fan_id": serializers.CharField(
        help_text="The artist's opaque handle for the fan (never a listener id)."
    ),
}
ARTIST_MESSAGE_IN = inline_serializer(
    "ArtistMessageIn",
    {
        "fan_id": serializers.CharField(help_text="As the top-fans API gives it for this artist."),
        "body": serializers.CharField(help_text="1 to 1,000 characters."),
    },
)
ARTIST_MESSAGE = inline_serializer("ArtistMessage", {**FAN_FIELDS, **MESSAGE_FIELDS})
REFUSAL = inline_serializer(
    "MessageRefusal",
    {
        "code": serializers.ChoiceField(
            choices=REFUSAL_CODES, required=False, help_text="Absent on a refusal by role (403)."
        ),
        "detail": serializers.CharField(),
        "retry_after": serializers.IntegerField(required=False, help_text="Seconds; as Retry-After."),
    },
)
CONVERSATIONS = inline_serializer(
    "ArtistConversation",
    {
        **FAN_FIELDS,
        "started_at": serializers.DateTimeField(),
        "last_message_at": serializers.DateTimeField(),
        "messages": serializers.IntegerField(),
        "unread": serializers.IntegerField(help_text="The fan's replies the artist has not read."),
    },
    many=True,
)
CONVERSATION = inline_serializer(
    "ArtistConversationMessages",
    {
        **FAN_FIELDS,
        "started_at": serializers.DateTimeField(),
        "messages": inline_serializer("ConversationMessage", MESSAGE_FIELDS, many=True),
    },
)
CONVERSATION_READ = inline_serializer(
    "ArtistConversationRead", {**FAN_FIELDS, "marked_read": serializers.IntegerField()}
)

LISTENER_REFUSAL = inline_serializer(
    "ListenerRefusal",
    {
        "code": serializers.ChoiceField(
            choices=[rules.ERASED, rules.NO_CONVERSATION, rules.BLOCKED, rules.TOO_LONG], required=False
        ),
        "detail": serializers.CharField(),
    },
)
NO_LISTENER = OpenApiResponse(description="No such listener.")
ERASED = OpenApiResponse(
    LISTENER_REFUSAL, description='`{"code": "erased"}`: the listener\'s data was erased; nothing stored.'
)
INVALID = OpenApiResponse(description="A field to fix (named in the body); nothing stored.")
