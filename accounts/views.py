"""Claim codes over the API (docs/rules.md §4b "Artists, listeners and messages"). Thin."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.claims import ClaimRefused, issue_code
from artists.access import allow_roles, can_view_artist, require_actor
from artists.models import ApiClient, Artist, PortalAccount
from kalipxo.validation import unknown_fields

CLAIM_CODE = inline_serializer(
    "ClaimCode",
    {
        "code": serializers.CharField(help_text="Shown once: only its hash is kept."),
        "expires_at": serializers.DateTimeField(),
        "role": serializers.ChoiceField(choices=PortalAccount.Role.values),
        "artist": serializers.CharField(),
    },
)


def _role(payload: Any) -> str:
    if payload in (None, "") or (isinstance(payload, dict) and not payload):
        return PortalAccount.Role.OWNER
    if not isinstance(payload, dict):
        raise ClaimRefused("body", 'Send one JSON object, e.g. {"role": "owner"}, or no body.')
    errors = unknown_fields(payload, ("role",))
    if errors:
        raise ClaimRefused("body", "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
    role = payload.get("role", PortalAccount.Role.OWNER)
    if role not in PortalAccount.Role.values:
        raise ClaimRefused("role", 'role must be "owner" or "viewer".')
    return str(role)


class ArtistClaimCodesView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]

    @extend_schema(
        operation_id="artist_claim_code_issue",
        summary="Issue a one-time code with which a signed-up login claims the artist",
        request=inline_serializer(
            "ClaimCodeRequest",
            {"role": serializers.ChoiceField(choices=PortalAccount.Role.values, required=False)},
        ),
        responses={
            201: CLAIM_CODE,
            400: OpenApiResponse(description="A field to fix; nothing issued."),
            404: OpenApiResponse(description="No such artist this client may see."),
        },
        examples=[OpenApiExample("The artist's owner", value={"role": "owner"})],
    )
    def post(self, request: Request, artist_id: str) -> Response:
        actor = require_actor(request)
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None or not can_view_artist(
            actor, artist_id=artist.id, artist_distributor_id=artist.distributor_id
        ):
            raise NotFound(f"No artist {artist_id[:64]!r} that this client may see.")
        try:
            issued = issue_code(artist=artist, role=_role(request.data), issued_by=f"api:{actor.name}")
        except ClaimRefused as refused:
            body: dict[str, Any] = (
                {"role": [refused.message]} if refused.code == "role" else {"detail": refused.message}
            )
            return Response(body, status=400)
        body = {
            "code": issued.code,
            "expires_at": issued.expires_at,
            "role": issued.role,
            "artist": artist.id,
        }
        return Response(body, status=201)
