"""Exchange rates over the API (docs/rules.md §4b Exchange rates), admin only. Thin: parse,
call `fx.rates`, answer."""

from datetime import date
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import allow_roles, require_actor
from fx import rates
from fx.closures import closed_months
from fx.currencies import CURRENCY_MESSAGE, normalize_currency, settlement_currency
from kalipxo.batches import batch_from_request
from kalipxo.validation import parse_month

RATES_IN = inline_serializer(
    "FxRateIn",
    {
        "date": serializers.DateField(help_text='"YYYY-MM-DD": the day the rate is for.'),
        "currency": serializers.CharField(
            help_text='ISO 4217, e.g. "EUR" (upper case stored; never the settlement currency).'
        ),
        "rate": serializers.CharField(
            help_text='Decimal string, e.g. "1.0832": the settlement-currency value of one unit; '
            "positive, at most 10 decimal places and 15 digits before the point."
        ),
        "source": serializers.CharField(required=False, help_text='Where it comes from; default "api".'),
    },
    many=True,
)
RECORDED = inline_serializer(
    "FxRatesRecorded", {"recorded": serializers.IntegerField(), "unchanged": serializers.IntegerField()}
)
RATES = inline_serializer(
    "FxRate",
    {
        "date": serializers.DateField(),
        "currency": serializers.CharField(),
        "rate": serializers.CharField(help_text="As recorded, without trailing zeros."),
        "source": serializers.CharField(),
        "recorded_by": serializers.CharField(),
        "recorded_at": serializers.DateTimeField(),
    },
    many=True,
)
# A string, not a ChoiceField: its enum would take the generic component name "PolicyEnum".
POLICY_FIELD = serializers.CharField(help_text='"month_average" or "month_end".')
MONTH_RATES_LIST = inline_serializer(
    "FxMonthRate",
    {
        "currency": serializers.CharField(),
        "month": serializers.CharField(),
        "policy": POLICY_FIELD,
        "rate": serializers.CharField(help_text="Decimal string, at most 10 decimal places."),
        "dates": serializers.ListField(
            child=serializers.DateField(), help_text="The dates of the rates used."
        ),
        "sources": serializers.ListField(child=serializers.CharField(), help_text="Their distinct sources."),
    },
    many=True,
)
MONTH_RATES = inline_serializer(
    "FxMonthRates",
    {
        "month": serializers.CharField(),
        "policy": POLICY_FIELD,
        "settlement_currency": serializers.CharField(),
        "rates": MONTH_RATES_LIST,
    },
)
MONTH = OpenApiParameter("month", OpenApiTypes.STR, description='"YYYY-MM"')


def rate_policy() -> str:
    """The deployment's FX_RATE_POLICY (docs/rules.md §2 Currencies)."""
    return str(settings.FX_RATE_POLICY)


def _month(request: Request) -> date:
    month = parse_month(request.query_params.get("month"))
    if isinstance(month, str):
        raise ValidationError({"month": [month]})
    return month


class FxRatesView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="fx_rates_list",
        summary="Recorded exchange rates, by date then currency (admin); filter by currency and month",
        parameters=[
            OpenApiParameter("currency", OpenApiTypes.STR, description='ISO 4217, e.g. "EUR"'),
            MONTH,
        ],
        responses={200: RATES},
    )
    def get(self, request: Request) -> Response:
        currency = request.query_params.get("currency")
        code = None
        if currency is not None and (code := normalize_currency(currency)) is None:
            raise ValidationError({"currency": [CURRENCY_MESSAGE]})
        month = _month(request) if "month" in request.query_params else None
        rows = rates.rates_list(currency=code, month=month)
        return Response([rates.rate_as_dict(row) for row in rows])

    @extend_schema(
        operation_id="fx_rates_record",
        summary="Record exchange rates (admin), all or nothing; the same rate again changes nothing",
        request=RATES_IN,
        responses={
            201: RECORDED,
            200: OpenApiResponse(RECORDED, description="Every rate was already recorded with that value."),
            400: OpenApiResponse(description="Fields to fix, each named `[i].field`; nothing recorded."),
            409: OpenApiResponse(
                description="A (date, currency) already has another rate, or a date is in a closed "
                "month, each named `[i].field`; nothing recorded."
            ),
        },
        examples=[
            OpenApiExample(
                "The euro on 1 October",
                value={"date": "2026-10-01", "currency": "EUR", "rate": "1.0832", "source": "ECB"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        actor = require_actor(request)
        items = batch_from_request(request, limit=rates.MAX_BATCH, noun="rate")
        try:
            parsed = rates.rates_parse(items)
            result = rates.rates_record(parsed, recorded_by=actor.name, closed_months=closed_months)
        except rates.FxRejected as exc:
            return Response(exc.body, status=exc.status)
        return Response(result.as_dict(), status=201 if result.recorded else 200)


class FxMonthRatesView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="fx_month_rates",
        summary="Each currency's rate for a month by the rate policy, with the dates it came from (admin)",
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description='"YYYY-MM"'),
            OpenApiParameter(
                "policy",
                OpenApiTypes.STR,
                enum=list(rates.POLICIES),
                description="Default: the deployment's FX_RATE_POLICY.",
            ),
        ],
        responses={200: MONTH_RATES},
    )
    def get(self, request: Request) -> Response:
        month = _month(request)
        policy = request.query_params.get("policy", rate_policy())
        if policy not in rates.POLICIES:
            raise ValidationError({"policy": [f"One of: {', '.join(rates.POLICIES)}."]})
        found = rates.month_rates(month, policy)
        body: dict[str, Any] = {
            "month": f"{month:%Y-%m}",
            "policy": policy,
            "settlement_currency": settlement_currency(),
            "rates": [found[code].as_dict() for code in sorted(found)],
        }
        return Response(body)
