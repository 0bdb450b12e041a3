"""The player platform's side of messages and privacy (ingest role; admins always): a
listener's preferences, messages, replies, blocks, reports, export and erasure. Thin: parse,
call, answer (docs/rules.md §4b "Artists, listeners and messages" and "Messages")."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import allow_roles
from artists.models import ApiClient
from messaging import inputs, selectors, services
from messaging import serializers as schema
from messaging.erasure import listener_erase
from messaging.rules import Refused
from streams.models import Listener

PLATFORM = allow_roles(ApiClient.Role.INGEST)


def refused(exc: Refused) -> Response:
    """A refusal as its answer: its status and body, and Retry-After when it says when."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return Response(exc.body, status=exc.status, headers=headers)


def json_body(request: Request) -> Any:
    """The request's JSON; an empty body is refused (DRF would read it as `{}`, which for a
    PUT of preferences means "all off")."""
    if request.stream is None:
        raise Refused(400, {"detail": "Request body is empty; send a JSON object (see /api/docs/)."})
    return request.data


def _preferences(listener: Listener) -> dict[str, Any]:
    return {
        "listener": listener.pk,
        "display_name": listener.display_name,
        "shown_to_artists": listener.show_to_artists,
        "accepts_messages": listener.accepts_messages,
    }


class ListenerPreferencesView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_preferences_get",
        summary="A listener's display name and opt-ins",
        responses={200: schema.PREFERENCES, 404: schema.NO_LISTENER},
    )
    def get(self, request: Request, listener_id: str) -> Response:
        try:
            return Response(_preferences(services.listener_found(listener_id)))
        except Refused as exc:
            return refused(exc)

    @extend_schema(
        operation_id="listener_preferences_put",
        summary="Set a listener's display name and opt-ins (a new listener is added)",
        description="All three at once: a field left out takes its default (no name, both opt-ins off).",
        request=schema.PREFERENCES_IN,
        responses={200: schema.PREFERENCES, 400: schema.INVALID, 410: schema.ERASED},
        examples=[
            OpenApiExample(
                "Shown and open to messages",
                value={"display_name": "Ann", "shown_to_artists": True, "accepts_messages": True},
            )
        ],
    )
    def put(self, request: Request, listener_id: str) -> Response:
        try:
            preferences = inputs.preferences_parse(json_body(request))
            listener, _ = services.preferences_record(listener_id=listener_id, preferences=preferences)
        except Refused as exc:
            return refused(exc)
        return Response(_preferences(listener))


class ListenerMessagesView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_messages_list",
        summary="Every message to and from a listener, oldest first",
        responses={200: schema.LISTENER_MESSAGES, 404: schema.NO_LISTENER},
    )
    def get(self, request: Request, listener_id: str) -> Response:
        try:
            listener = services.listener_found(listener_id)
        except Refused as exc:
            return refused(exc)
        return Response(selectors.listener_messages(listener))

    @extend_schema(
        operation_id="listener_message_reply",
        summary="A listener's reply to an artist that wrote to it",
        request=schema.REPLY_IN,
        responses={
            201: schema.LISTENER_MESSAGE,
            400: OpenApiResponse(description="A field to fix, or too_long (with its code); nothing stored."),
            403: OpenApiResponse(schema.LISTENER_REFUSAL, description="blocked: the listener blocked it."),
            404: schema.NO_LISTENER,
            409: OpenApiResponse(schema.LISTENER_REFUSAL, description="no_conversation: it never wrote."),
            410: schema.ERASED,
        },
    )
    def post(self, request: Request, listener_id: str) -> Response:
        try:
            artist_id, body = inputs.reply_parse(json_body(request))
            message = services.listener_reply(listener_id=listener_id, artist_id=artist_id, body=body)
        except Refused as exc:
            return refused(exc)
        return Response(selectors.listener_message(message, message.conversation.artist), status=201)


class ListenerMessageReadView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_message_read",
        summary="Mark a message an artist sent the listener as read",
        request=None,
        responses={200: schema.LISTENER_MESSAGE, 400: schema.INVALID, 404: schema.NO_LISTENER},
    )
    def post(self, request: Request, listener_id: str, message_id: int) -> Response:
        try:
            message = services.listener_message_read(listener_id=listener_id, message_id=message_id)
        except Refused as exc:
            return refused(exc)
        return Response(selectors.listener_message(message, message.conversation.artist))


class ListenerBlocksView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_block",
        summary="Block an artist: it can send the listener nothing more",
        request=schema.BLOCK_IN,
        responses={
            201: schema.BLOCK,
            200: OpenApiResponse(schema.BLOCK, description="Already blocked."),
            400: schema.INVALID,
            404: schema.NO_LISTENER,
            410: schema.ERASED,
        },
    )
    def post(self, request: Request, listener_id: str) -> Response:
        try:
            artist_id = inputs.block_parse(json_body(request))
            block, created = services.listener_block(listener_id=listener_id, artist_id=artist_id)
        except Refused as exc:
            return refused(exc)
        body = {"artist": {"id": block.artist.pk, "name": block.artist.name}, "since": block.created_at}
        return Response(body, status=201 if created else 200)


class ListenerReportsView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_report",
        summary="Report a message an artist sent: it goes to the moderation queue",
        request=schema.REPORT_IN,
        responses={
            201: schema.REPORT,
            200: OpenApiResponse(schema.REPORT, description="Already reported: that report."),
            400: schema.INVALID,
            404: schema.NO_LISTENER,
            410: schema.ERASED,
        },
    )
    def post(self, request: Request, listener_id: str) -> Response:
        try:
            message_id, reason = inputs.report_parse(json_body(request))
            report, created = services.listener_report(
                listener_id=listener_id, message_id=message_id, reason=reason
            )
        except Refused as exc:
            return refused(exc)
        body = {
            "id": report.pk,
            "message": report.message_id,
            "artist": {"id": report.artist.pk, "name": report.artist.name},
            "reason": report.reason,
            "reported_at": report.reported_at,
            "status": report.status,
        }
        return Response(body, status=201 if created else 200)


class ListenerExportView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_export",
        summary="The personal data held about a listener (preferences, messages, streams per month)",
        responses={200: schema.EXPORT, 404: schema.NO_LISTENER},
    )
    def get(self, request: Request, listener_id: str) -> Response:
        try:
            listener = services.listener_found(listener_id)
        except Refused as exc:
            return refused(exc)
        return Response(selectors.listener_export(listener))


class ListenerView(APIView):
    permission_classes = [PLATFORM]

    @extend_schema(
        operation_id="listener_erase",
        summary="Erase a listener's personal data; its streams and money stay under its id",
        description="See docs/privacy.md. Erasing again is harmless (204 again).",
        responses={204: None, 404: schema.NO_LISTENER},
    )
    def delete(self, request: Request, listener_id: str) -> Response:
        if not listener_erase(listener_id=listener_id):
            return Response({"detail": f"No listener {listener_id[:64]!r}."}, status=404)
        return Response(status=204)
