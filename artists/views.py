"""Catalog endpoints for distributors and admins. Thin: parse, call a service, answer."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists import catalog, selectors, serializers, works
from artists.access import allow_roles, require_actor
from artists.models import ApiClient, Track, Work
from kalipxo.api import query_whole_number
from kalipxo.batches import batch_from_request
from kalipxo.validation import check_id, normalize_isrc


def _page(request: Request, rows: list[Any], key: Callable[[Any], str], limit: int) -> Response:
    """One page of a list (`rows`, already as dicts) with a Link to the next page when full."""
    response = Response(rows)
    if len(rows) == limit:
        query = urlencode({"after": key(rows[-1]), "limit": limit})
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query}>; rel="next"'
    return response


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
        return _page(
            request, [selectors.track_as_dict(t) for t in tracks[:limit]], lambda t: t["isrc"], limit
        )

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


WORK_EXAMPLE = {
    "id": "wrk-1",
    "iswc": "T-034.524.680-1",
    "title": "Song",
    "writers": [
        {
            "payee": {"id": "wri-1", "kind": "writer", "name": "Writer One"},
            "share": "0.5",
            "ipi": "00000000000",
        },
        {"payee": {"id": "pub-1", "kind": "publisher", "name": "Publisher"}, "share": "0.5"},
    ],
    "recordings": [{"isrc": "USRC17607839", "share": "1"}],
}


class CatalogWorksView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]
    throttle_scope = "catalog"  # writes only

    @extend_schema(
        operation_id="catalog_works_list",
        summary="List the caller's works, by id, a page at a time",
        parameters=[
            OpenApiParameter("after", str, description="Continue after this work id (from the Link header)."),
            OpenApiParameter("limit", int, description="1 to 1,000; default 100."),
        ],
        responses=serializers.WorkSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = require_actor(request)
        limit = query_whole_number(request, "limit", default=100, minimum=1, maximum=1000)
        rows = selectors.works_visible_to(actor).order_by("id")
        if after := request.query_params.get("after"):
            rows = rows.filter(id__gt=after)
        return _page(request, [selectors.work_as_dict(w) for w in rows[:limit]], lambda w: w["id"], limit)

    @extend_schema(
        operation_id="catalog_works_upsert",
        summary="Create or update works by id (one object or an array of up to 1,000); all or nothing",
        request=serializers.WorkSerializer(many=True),
        responses={
            200: serializers.WorkUpsertResultSerializer,
            400: OpenApiResponse(description="Invalid works, or unknown ISRCs; nothing saved."),
            403: OpenApiResponse(
                description="A work id, payee id, ISWC or ISRC belongs to another distributor; nothing saved."
            ),
            429: OpenApiResponse(description="Over the client's rate; retry after Retry-After seconds."),
        },
        examples=[
            OpenApiExample("One work", value=WORK_EXAMPLE, request_only=True),
            OpenApiExample(
                "Created",
                value={"created": 1, "updated": 0, "ids": ["wrk-1"]},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        actor = require_actor(request)
        items = batch_from_request(request, limit=works.MAX_BATCH, noun="work")
        try:
            result = works.catalog_works_upsert(actor=actor, items=items)
        except works.CatalogRejected as exc:
            return Response(exc.body, status=exc.status)
        return Response(result.as_dict())


class CatalogWorkDetailView(generics.GenericAPIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]
    serializer_class = serializers.WorkSerializer
    queryset = Work.objects.none()

    @extend_schema(operation_id="catalog_work_detail", summary="One of the caller's works")
    def get(self, request: Request, work_id: str) -> Response:
        actor = require_actor(request)
        if check_id(work_id) is not None:
            raise NotFound("Not a valid work id.")
        work = generics.get_object_or_404(selectors.works_visible_to(actor), id=work_id)
        return Response(selectors.work_as_dict(work))
