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
            "Payout for a number of streams under the user-centric, pro-rata, progressive, "
            "artist-centric or threshold model. Amounts are decimal strings. Parameters a model "
            "does not use are ignored.\n\n"
            "artist_centric (after Deezer): payout = plays × weight × rate, where rate is the value "
            "of one weighted stream (a month's pool over its total weight); a play weighs 2 when the "
            "artist is professional (plays >= min_streams and listeners >= min_listeners), else 1, "
            "and the capped_share of plays from listeners above the 1,000-streams cap weighs "
            "cap_factor times that. Answers professional, multiplier, weighted_streams and rule.\n\n"
            "threshold (after Spotify): payout = plays × rate when trailing_plays (the 12 months "
            "ending with this one) >= min_streams and plays > 0, else 0 with paid=false and a reason. "
            "In a real month the rate rises a little, as failing tracks leave the denominator."
        ),
        parameters=[
            _query("model", OpenApiTypes.STR, "The payout model.", required=True, enum=list(MODELS)),
            _query("price", OpenApiTypes.DECIMAL, "user_centric: what the listener pays, e.g. 14.99."),
            _query("listener_streams", OpenApiTypes.INT, "user_centric: the listener's streams (>= 1)."),
            _query("artist_streams", OpenApiTypes.INT, "user_centric: of those, the artist's streams."),
            _query(
                "plays",
                OpenApiTypes.INT,
                "pro_rata, progressive, artist_centric, threshold: the artist's (threshold: the "
                "track's) plays in the month.",
            ),
            _query(
                "rate",
                OpenApiTypes.DECIMAL,
                "pro_rata, threshold: per-stream rate; artist_centric: value of one weighted stream; "
                "progressive: rate for crossover_plays (default 0.004 except for pro_rata).",
            ),
            _query(
                "listeners", OpenApiTypes.INT, "artist_centric: the artist's distinct listeners (<= plays)."
            ),
            _query(
                "min_streams",
                OpenApiTypes.INT,
                "artist_centric: plays to be professional; threshold: plays over 12 months to be paid "
                "(1000).",
            ),
            _query("min_listeners", OpenApiTypes.INT, "artist_centric: listeners to be professional (500)."),
            _query(
                "capped_share",
                OpenApiTypes.DECIMAL,
                "artist_centric: share (0-1) of plays from listeners above the 1,000-streams cap (0).",
            ),
            _query(
                "cap_factor",
                OpenApiTypes.DECIMAL,
                "artist_centric: average factor (0-1) those capped plays are scaled by (1).",
            ),
            _query(
                "trailing_plays",
                OpenApiTypes.INT,
                "threshold: plays over the last 12 months, this one included (>= plays; default plays).",
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
                    "professional": serializers.BooleanField(
                        required=False, help_text="artist_centric: the artist's plays count double."
                    ),
                    "multiplier": serializers.IntegerField(
                        required=False, help_text="artist_centric: 2 when professional, else 1."
                    ),
                    "weighted_streams": serializers.CharField(
                        required=False, help_text="artist_centric: plays × weight, decimal string, 4 places."
                    ),
                    "paid": serializers.BooleanField(
                        required=False, help_text="threshold: the track passes the bar this month."
                    ),
                    "reason": serializers.CharField(
                        required=False, allow_null=True, help_text="threshold: why not paid; null when paid."
                    ),
                    "streams_short": serializers.IntegerField(
                        required=False, help_text="threshold: plays over 12 months still missing to pass."
                    ),
                    "rule": serializers.CharField(
                        required=False, help_text="artist_centric, threshold: the model's rule in a sentence."
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
