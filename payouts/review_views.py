"""Artists' requests for a review of held streams (docs/rules.md §4): a thin view over
`payouts.reviews`."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import allow_roles, require_actor
from artists.models import ApiClient, Artist
from kalipxo.validation import month_label, parse_month
from payouts import reviews

MAX_MESSAGE = 2000


def _check_message(value: Any) -> str | None:
    """Free text from a form: line breaks and tabs allowed, other control characters not."""
    if not isinstance(value, str) or not value.strip():
        return "Required: say what the reviewer should know."
    if len(value) > MAX_MESSAGE:
        return f"At most {MAX_MESSAGE} characters."
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        return "Control characters are not allowed."
    return None


class ReviewRequestsView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.ARTIST)]

    @extend_schema(
        operation_id="artist_review_request",
        summary="Ask for a review of held streams in a month",
        request=inline_serializer(
            name="ReviewRequestIn",
            fields={"month": serializers.CharField(), "message": serializers.CharField()},
        ),
        responses={201: OpenApiResponse(description="Stored; an admin will look at it.")},
    )
    def post(self, request: Request, artist_id: str) -> Response:
        actor = require_actor(request)
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None or not (
            actor.is_admin or (actor.role == ApiClient.Role.ARTIST and actor.artist_id == artist.id)
        ):
            raise NotFound(f"No artist {artist_id!r} that you may act for.")
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": "Send a JSON object."})
        body = request.data
        errors: dict[str, list[str]] = {
            name[:64]: ["Unknown field."] for name in sorted(set(body) - {"month", "message"})
        }
        month = parse_month(body.get("month"))
        if isinstance(month, str):
            errors["month"] = [month]
        if (problem := _check_message(body.get("message"))) is not None:
            errors["message"] = [problem]
        if errors or isinstance(month, str):
            raise ValidationError(errors)
        request_row = reviews.review_request_create(
            artist_id=artist.id, month=month, message=body["message"].strip(), requested_by=actor.name
        )
        return Response(
            {
                "id": request_row.pk,
                "artist": artist.id,
                "month": month_label(month),
                "message": request_row.message,
                "created_at": request_row.created_at.isoformat() if request_row.created_at else None,
            },
            status=status.HTTP_201_CREATED,
        )
