"""Read API of an artist's earnings and top fans (docs/rules.md §4). Thin views."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import allow_roles, can_view_artist, require_actor
from artists.models import ApiClient, Artist
from kalipxo.api import query_whole_number
from kalipxo.months import current_month
from kalipxo.validation import parse_month
from payouts.earnings import artist_earnings, artist_top_fans

MONTH_PARAM = OpenApiParameter("month", str, description="YYYY-MM (UTC); default: the current month.")


class EarningsSerializer(serializers.Serializer):
    artist = serializers.CharField()
    month = serializers.CharField()
    status = serializers.ChoiceField(choices=["estimate", "final"])
    gross = serializers.CharField(help_text="What the artist's tracks earned before splits.")
    amount = serializers.CharField(
        help_text="What the artist receives as a payee after splits: recording_amount + publishing_amount."
    )
    recording_amount = serializers.CharField(help_text="From its recordings (after splits).")
    publishing_amount = serializers.CharField(help_text="From the musical works it writes or publishes.")
    fee = serializers.CharField(required=False, help_text="A final month: the distribution fee taken.")
    withheld = serializers.CharField(required=False, help_text="A final month: the tax withheld.")
    payable = serializers.CharField(required=False, help_text="A final month: amount - fee - withheld.")
    streams = serializers.IntegerField()
    listeners = serializers.IntegerField()
    per_stream = serializers.CharField(help_text="recording_amount / streams.")
    pro_rata_amount = serializers.CharField(help_text="What the pro-rata model would pay the artist.")
    updated_at = serializers.DateTimeField(allow_null=True)
    bound = serializers.CharField(
        required=False,
        help_text="Only on an estimate that is not exact: the most gross or amount may be off by "
        "(each listener's live contribution is rounded to 1e-9 of the currency).",
    )


class FanSerializer(serializers.Serializer):
    fan = serializers.CharField(help_text="Display name if the fan opted in, otherwise a stable pseudonym.")
    fan_id = serializers.CharField(
        help_text="An opaque handle for this fan, stable for this artist and different for every "
        "other one; never the listener id. Send it back as `fan_id` to write to the fan."
    )
    streams = serializers.IntegerField()
    amount = serializers.CharField()
    share = serializers.CharField(help_text="Share of the artist's gross from this fan's own pool.")


def _visible_artist(request: Request, artist_id: str) -> Artist:
    actor = require_actor(request)
    artist = Artist.objects.filter(pk=artist_id).first()
    if artist is None or not can_view_artist(
        actor, artist_id=artist.id, artist_distributor_id=artist.distributor_id
    ):
        raise NotFound(f"No artist {artist_id!r} that you may see.")
    return artist


def _month(request: Request):  # type: ignore[no-untyped-def]
    raw = request.query_params.get("month")
    if raw is None:
        return current_month()
    parsed = parse_month(raw)
    if isinstance(parsed, str):
        raise ValidationError({"month": [parsed]})
    return parsed


READERS = allow_roles(ApiClient.Role.ARTIST, ApiClient.Role.DISTRIBUTOR)


class ArtistEarningsView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="artist_earnings",
        summary="An artist's earnings for a month (an estimate until the month is final)",
        parameters=[MONTH_PARAM],
        responses={200: EarningsSerializer, 404: OpenApiResponse(description="No such artist you may see.")},
    )
    def get(self, request: Request, artist_id: str) -> Response:
        artist = _visible_artist(request, artist_id)
        return Response(artist_earnings(artist_id=artist.id, month=_month(request)).as_dict())


class ArtistFansView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="artist_top_fans",
        summary="An artist's top fans by money contributed",
        parameters=[MONTH_PARAM, OpenApiParameter("limit", int, description="1 to 100; default 10.")],
        responses={
            200: FanSerializer(many=True),
            404: OpenApiResponse(description="No such artist you may see."),
        },
    )
    def get(self, request: Request, artist_id: str) -> Response:
        artist = _visible_artist(request, artist_id)
        limit = query_whole_number(request, "limit", default=10, minimum=1, maximum=100)
        return Response(artist_top_fans(artist_id=artist.id, month=_month(request), limit=limit))
