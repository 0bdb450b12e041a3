"""Catalog endpoints for distributors and admins. Thin: parse, call a service, answer."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists import catalog, selectors, serializers
from artists.access import allow_roles, require_actor
from artists.models import ApiClient, Track
from kalipxo.batches import batch_from_request
from kalipxo.validation import normalize_isrc


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer <token>` in the OpenAPI schema (registered on import)."""

    target_class = "artists.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106 - a keyword


class CatalogTracksView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]

    @extend_schema(
        operation_id="catalog_tracks_list",
        summary="List the caller's tracks",
        responses=serializers.TrackSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = require_actor(request)
        tracks = selectors.tracks_visible_to(actor)[:1000]
        return Response([selectors.track_as_dict(t) for t in tracks])

    @extend_schema(
        operation_id="catalog_tracks_upsert",
        summary="Create or update tracks by ISRC (one object or an array of up to 1,000); all or nothing",
        request=serializers.TrackSerializer(many=True),
        responses={
            200: serializers.UpsertResultSerializer,
            400: OpenApiResponse(description="Invalid tracks; nothing saved."),
            403: OpenApiResponse(description="An id belongs to another distributor; nothing saved."),
        },
    )
    def post(self, request: Request) -> Response:
        actor = require_actor(request)
        items = batch_from_request(request, limit=catalog.MAX_BATCH, noun="track")
        try:
            result = catalog.catalog_tracks_upsert(actor=actor, items=items)
        except catalog.CatalogRejected as exc:
            return Response(exc.body, status=exc.status)
        return Response(result.as_dict())


class CatalogTrackDetailView(generics.GenericAPIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]
    serializer_class = serializers.TrackSerializer
    queryset = Track.objects.none()

    @extend_schema(operation_id="catalog_track_detail", summary="One of the caller's tracks")
    def get(self, request: Request, isrc: str) -> Response:
        actor = require_actor(request)
        normalized = normalize_isrc(isrc)
        if normalized is None:
            raise NotFound("Not a valid ISRC.")
        track = generics.get_object_or_404(selectors.tracks_visible_to(actor), isrc=normalized)
        return Response(selectors.track_as_dict(track))
