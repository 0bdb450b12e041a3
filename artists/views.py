"""Catalog endpoints for distributors and admins. Thin: parse, call a service, answer."""

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists import catalog, selectors, serializers
from artists.access import allow_roles, require_actor
from artists.models import ApiClient, Track
from kalipxo.api import query_whole_number
from kalipxo.batches import batch_from_request
from kalipxo.validation import normalize_isrc


class CatalogTracksView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]
    throttle_scope = "catalog"  # writes only

    @extend_schema(
        operation_id="catalog_tracks_list",
        summary="List the caller's tracks, by ISRC, a page at a time",
        parameters=[
            OpenApiParameter("after", str, description="Continue after this ISRC (from the Link header)."),
            OpenApiParameter("limit", int, description="1 to 1,000; default 100."),
        ],
        responses=serializers.TrackSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = require_actor(request)
        limit = query_whole_number(request, "limit", default=100, minimum=1, maximum=1000)
        tracks = selectors.tracks_visible_to(actor).order_by("isrc")
        if after := request.query_params.get("after"):
            tracks = tracks.filter(isrc__gt=after.upper())
        page = list(tracks[:limit])
        response = Response([selectors.track_as_dict(t) for t in page])
        if len(page) == limit:
            query = urlencode({"after": page[-1].isrc, "limit": limit})
            response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query}>; rel="next"'
        return response

    @extend_schema(
        operation_id="catalog_tracks_upsert",
        summary="Create or update tracks by ISRC (one object or an array of up to 1,000); all or nothing",
        request=serializers.TrackSerializer(many=True),
        responses={
            200: serializers.UpsertResultSerializer,
            400: OpenApiResponse(description="Invalid tracks; nothing saved."),
            403: OpenApiResponse(description="An id belongs to another distributor; nothing saved."),
            429: OpenApiResponse(description="Over the client's rate; retry after Retry-After seconds."),
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
