"""HTTP endpoints for stream events and revenue records. Thin: parse, call a service, answer."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import allow_roles
from artists.models import ApiClient
from kalipxo.batches import batch_from_request
from streams import ingest, revenue, serializers

THROTTLED = OpenApiResponse(description="Over the client's rate; retry after Retry-After seconds.")


class StreamEventsView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.INGEST)]
    throttle_scope = "ingest"

    @extend_schema(
        operation_id="streams_ingest",
        summary="Push stream events (one object or an array of up to 1,000)",
        request=serializers.StreamEventSerializer(many=True),
        responses={
            202: serializers.StreamIngestResultSerializer,
            400: OpenApiResponse(description="Malformed body, or every event rejected."),
            413: OpenApiResponse(description="Body larger than the limit."),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        items = batch_from_request(request, limit=ingest.MAX_BATCH, noun="event")
        result = ingest.stream_events_ingest(items=items)
        # A batch in which nothing was usable is an error; otherwise the good events are kept.
        nothing_usable = result.rejected and not result.accepted and not result.duplicates
        code = status.HTTP_400_BAD_REQUEST if nothing_usable else status.HTTP_202_ACCEPTED
        return Response(result.as_dict(), status=code)


class RevenueView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.BILLING)]
    throttle_scope = "revenue"

    @extend_schema(
        operation_id="revenue_ingest",
        summary="Push revenue records (one object or an array of up to 10,000); all or nothing",
        request=serializers.RevenueRecordSerializer(many=True),
        responses={
            201: serializers.RevenueResultSerializer,
            200: OpenApiResponse(serializers.RevenueResultSerializer, description="All duplicates."),
            400: OpenApiResponse(description="Invalid records; nothing stored."),
            409: OpenApiResponse(description="Closed month, or an id already stored with other values."),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        items = batch_from_request(request, limit=revenue.MAX_BATCH, noun="record")
        try:
            result = revenue.revenue_records_ingest(items=items)
        except revenue.RevenueRejected as exc:
            return Response(exc.body, status=exc.status)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(result.as_dict(), status=code)
