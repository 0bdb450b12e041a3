"""An artist's side of messages (the artist itself; admins): write to a fan by its fan_id,
list its conversations, read one and mark the fan's replies read. Fans appear by name or
pseudonym and fan_id, never by listener id. Thin: parse, call, answer."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import allow_roles, require_actor
from artists.models import ApiClient, Artist
from kalipxo.api import query_whole_number
from messaging import inputs, selectors, services
from messaging import serializers as schema
from messaging.listener_views import json_body, refused
from messaging.rules import Refused
from streams.models import Listener

WRITERS = allow_roles(ApiClient.Role.ARTIST)
NO_ARTIST = OpenApiResponse(description="No such artist that this caller may write for.")
NO_FAN = OpenApiResponse(description="No fan with this fan_id for this artist, or no conversation yet.")


def _own_artist(request: Request, artist_id: str, *, write: bool = False) -> Artist:
    """Messages are the artist's own: not even its distributor reads or writes them; a viewer
    login of the artist reads them, its owners write."""
    actor = require_actor(request)
    artist = Artist.objects.filter(pk=artist_id).first()
    if artist is None or not (actor.is_admin or actor.artist_id == artist.pk):
        raise NotFound(f"No artist {artist_id[:64]!r} that you may write for.")
    if write and actor.viewer:
        raise PermissionDenied("A viewer reads the artist's messages; its owners write them.")
    return artist


def _fan(artist: Artist, handle: str) -> Listener:
    listener = services.fan_found(artist, handle)
    if listener is None:
        raise NotFound(services.NO_SUCH_FAN)
    return listener


class ArtistMessagesView(APIView):
    permission_classes = [WRITERS]

    @extend_schema(
        operation_id="artist_conversations_list",
        summary="An artist's conversations with fans, most recent first, with unread replies",
        parameters=[OpenApiParameter("limit", int, description="1 to 500; default 100.")],
        responses={200: schema.CONVERSATIONS, 404: NO_ARTIST},
    )
    def get(self, request: Request, artist_id: str) -> Response:
        artist = _own_artist(request, artist_id)
        limit = query_whole_number(request, "limit", default=100, minimum=1, maximum=500)
        return Response(selectors.artist_conversations(artist, limit=limit))

    @extend_schema(
        operation_id="artist_message_send",
        summary="Write to a fan (by its fan_id) who accepts messages and played the artist lately",
        description="A refusal stores nothing and names its `code`: too_long (400); not_opted_in, "
        "not_a_recent_fan, blocked (403); daily_limit, duplicate_text, suspended (429, with "
        "Retry-After). A fan_id that names no fan of this artist is a 400 naming `fan_id`.",
        request=schema.ARTIST_MESSAGE_IN,
        responses={
            201: schema.ARTIST_MESSAGE,
            400: OpenApiResponse(description="too_long (with its code), or a field to fix (fan_id, body)."),
            403: OpenApiResponse(schema.REFUSAL, description="not_opted_in, not_a_recent_fan or blocked."),
            404: NO_ARTIST,
            429: OpenApiResponse(schema.REFUSAL, description="daily_limit, duplicate_text or suspended."),
        },
        examples=[
            OpenApiExample("To a fan", value={"fan_id": "<from the top-fans API>", "body": "Thank you!"})
        ],
    )
    def post(self, request: Request, artist_id: str) -> Response:
        artist = _own_artist(request, artist_id, write=True)
        try:
            handle, body = inputs.artist_message_parse(json_body(request))
            message, listener = services.artist_message_send(artist=artist, handle=handle, body=body)
        except Refused as exc:
            return refused(exc)
        return Response(selectors.artist_message(message, artist_id=artist.pk, listener=listener), status=201)


class ArtistConversationView(APIView):
    permission_classes = [WRITERS]

    @extend_schema(
        operation_id="artist_conversation_get",
        summary="An artist's conversation with one fan, oldest message first",
        responses={200: schema.CONVERSATION, 404: NO_FAN},
    )
    def get(self, request: Request, artist_id: str, fan_id: str) -> Response:
        artist = _own_artist(request, artist_id)
        conversation = selectors.artist_conversation(artist, _fan(artist, fan_id))
        if conversation is None:
            raise NotFound("No conversation with this fan yet: write to it first.")
        return Response(conversation)


class ArtistConversationReadView(APIView):
    permission_classes = [WRITERS]

    @extend_schema(
        operation_id="artist_conversation_read",
        summary="Mark a fan's replies in its conversation with the artist as read",
        request=None,
        responses={200: schema.CONVERSATION_READ, 404: NO_FAN},
    )
    def post(self, request: Request, artist_id: str, fan_id: str) -> Response:
        artist = _own_artist(request, artist_id)
        listener = _fan(artist, fan_id)
        marked = services.artist_conversation_read(artist=artist, listener=listener)
        return Response({**selectors.fan(artist_id=artist.pk, listener=listener), "marked_read": marked})
