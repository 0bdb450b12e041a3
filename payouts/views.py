"""Payout API views; thin: parse the request, call a service, shape the answer."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payouts.calculator import MODELS, CalculatorInputError, calculator_answer


def _query(name: str, kind: Any, description: str, **extra: Any) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description, **extra)


class CalculatorView(APIView):
    """Public "see what you could earn" maths (docs/rules.md §4); no token, nothing stored."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="Earnings calculator",
        description=(
            "Payout for a number of streams under the user-centric, pro-rata or progressive "
            "model. Amounts are decimal strings. Parameters a model does not use are ignored."
        ),
        parameters=[
            _query("model", OpenApiTypes.STR, "The payout model.", required=True, enum=list(MODELS)),
            _query("price", OpenApiTypes.DECIMAL, "user_centric: what the listener pays, e.g. 14.99."),
            _query("listener_streams", OpenApiTypes.INT, "user_centric: the listener's streams (>= 1)."),
            _query("artist_streams", OpenApiTypes.INT, "user_centric: of those, the artist's streams."),
            _query("plays", OpenApiTypes.INT, "pro_rata, progressive: the artist's plays in the month."),
            _query(
                "rate",
                OpenApiTypes.DECIMAL,
                "pro_rata: per-stream rate; progressive: rate for crossover_plays (default 0.004).",
            ),
            _query("base", OpenApiTypes.DECIMAL, "progressive: base play value (default 0.0087)."),
            _query("base_plays", OpenApiTypes.INT, "progressive: plays paid the base value (500000)."),
            _query("curve_plays", OpenApiTypes.INT, "progressive: where the floor starts (50000000)."),
            _query("floor_ratio", OpenApiTypes.DECIMAL, "progressive: floor as a share of base (0.03)."),
            _query("exponent", OpenApiTypes.DECIMAL, "progressive: curve steepness, in (0, 10] (1.2)."),
            _query("curve", OpenApiTypes.INT, "progressive: 1 adds ~50 [plays, value] points.", enum=[0, 1]),
        ],
        responses={
            200: inline_serializer(
                name="CalculatorAnswer",
                fields={
                    "payout": serializers.CharField(help_text='Decimal string, e.g. "0.64".'),
                    "per_stream": serializers.CharField(help_text="Decimal string with 4 places."),
                    "crossover_plays": serializers.IntegerField(
                        required=False,
                        allow_null=True,
                        help_text="progressive: plays after which a play is worth less than rate.",
                    ),
                    "curve": serializers.ListField(
                        required=False,
                        child=serializers.ListField(),
                        help_text="progressive with curve=1: [plays, value as a decimal string] pairs.",
                    ),
                },
            ),
            400: OpenApiResponse(description='Bad parameters, e.g. {"artist_streams": ["..."]}.'),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        try:
            answer = calculator_answer(query=request.query_params)
        except CalculatorInputError as exc:
            raise ValidationError(exc.errors) from exc
        response = Response(answer)
        response["Cache-Control"] = "public, max-age=300"  # pure function of the URL
        return response
