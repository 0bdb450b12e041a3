"""Fee agreements and tax profiles over the API (docs/rules.md §4b Payments). Thin: parse,
call, answer."""

from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import Actor, allow_roles, require_actor
from artists.models import ApiClient, Distributor, Payee
from artists.payees import payee_row, payee_seen
from deductions import agreements, tax
from deductions.errors import Rejected
from deductions.models import TaxProfile

AGREEMENT = inline_serializer(
    "FeeAgreement",
    {
        "distributor": serializers.CharField(),
        "fee_rate": serializers.CharField(help_text='A fraction of the recording amount, e.g. "0.15".'),
        "from_month": serializers.CharField(help_text='"YYYY-MM": the first month it applies to.'),
        "recorded_by": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
    },
)


def _distributor(actor: Actor, name: str) -> Distributor:
    distributor = Distributor.objects.filter(name=name).first()
    if distributor is None or not (actor.is_admin or actor.distributor_id == distributor.pk):
        # A distributor never learns whether another one exists.
        raise NotFound(f'No distributor "{name[:64]}" that this client may see.')
    return distributor


class DistributorAgreementsView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR)]

    @extend_schema(
        operation_id="distributor_agreements_list",
        summary="A distributor's fee agreements, oldest first (admin; a distributor: its own)",
        responses=AGREEMENT,
    )
    def get(self, request: Request, name: str) -> Response:
        distributor = _distributor(require_actor(request), name)
        rows = distributor.fee_agreements.select_related("distributor").order_by("from_month")
        return Response([agreements.agreement_as_dict(a) for a in rows])

    @extend_schema(
        operation_id="distributor_agreements_record",
        summary="Record a fee rate from a month on (admin); the same terms again return it",
        request=inline_serializer(
            "FeeAgreementTerms", {"fee_rate": serializers.CharField(), "from_month": serializers.CharField()}
        ),
        responses={
            201: AGREEMENT,
            200: OpenApiResponse(AGREEMENT, description="The same agreement, already recorded."),
            400: OpenApiResponse(description="A field to fix; nothing recorded."),
            409: OpenApiResponse(
                description="Another rate from that month, or the month is closed; nothing recorded."
            ),
        },
        examples=[OpenApiExample("15% from October", value={"fee_rate": "0.15", "from_month": "2026-10"})],
    )
    def post(self, request: Request, name: str) -> Response:
        actor = require_actor(request)
        if not actor.is_admin:
            raise PermissionDenied("Only an admin records fee agreements.")
        distributor = _distributor(actor, name)
        try:
            terms = agreements.agreement_terms_parse(request.data)
            agreement, created = agreements.fee_agreement_record(
                distributor=distributor, terms=terms, recorded_by=actor.name
            )
        except Rejected as exc:
            return Response(exc.body, status=exc.status)
        return Response(agreements.agreement_as_dict(agreement), status=201 if created else 200)


TAX_PROFILE = inline_serializer(
    "TaxProfile",
    {
        "payee": serializers.CharField(),
        "form": serializers.ChoiceField(choices=TaxProfile.Form.values),
        "country": serializers.CharField(help_text="Tax residence, ISO 3166 alpha-2; may be empty."),
        "treaty_rate": serializers.CharField(allow_null=True),
        "withholding_rate": serializers.CharField(help_text="The rate the profile decides."),
        "recorded_by": serializers.CharField(),
        "recorded_at": serializers.DateTimeField(allow_null=True),
    },
)


def _tax_profile_body(payee: Payee, profile: TaxProfile | None) -> dict:
    without_form = Decimal(settings.WITHHOLDING_RATE_WITHOUT_FORM)
    return {"payee": payee.pk, **tax.tax_profile_as_dict(profile, without_form=without_form)}


class PayeeTaxProfileView(APIView):
    """A payee's tax profile (admin): the form on file decides the withholding rate."""

    permission_classes = [allow_roles()]

    def _payee(self, payee_id: str) -> Payee:
        payee = payee_row(payee_id)
        if payee is None:
            raise NotFound(f'No payee "{payee_id[:64]}".')
        return payee

    @extend_schema(operation_id="payee_tax_profile_get", summary="A payee's current tax profile (admin)",
                   responses=TAX_PROFILE)  # fmt: skip
    def get(self, request: Request, payee_id: str) -> Response:
        payee = payee_seen(payee_id)  # a read makes no row
        if payee is None:
            raise NotFound(f'No payee "{payee_id[:64]}".')
        return Response(_tax_profile_body(payee, tax.current_tax_profile(payee.pk)))

    @extend_schema(
        operation_id="payee_tax_profile_put",
        summary="Record the tax form on file for a payee (admin); the same terms again change nothing",
        request=inline_serializer(
            "TaxProfileTerms",
            {
                "form": serializers.ChoiceField(choices=TaxProfile.Form.values),
                "country": serializers.CharField(required=False),
                "treaty_rate": serializers.CharField(required=False, allow_null=True),
            },
        ),
        responses={200: TAX_PROFILE, 400: OpenApiResponse(description="A field to fix; nothing recorded.")},
        examples=[
            OpenApiExample(
                "W-8BEN, 15% treaty rate", value={"form": "w8ben", "country": "DE", "treaty_rate": "0.15"}
            )
        ],
    )
    def put(self, request: Request, payee_id: str) -> Response:
        actor = require_actor(request)
        payee = self._payee(payee_id)
        try:
            terms = tax.tax_terms_parse(request.data)
        except Rejected as exc:
            return Response(exc.body, status=exc.status)
        profile, _ = tax.tax_profile_record(payee=payee, terms=terms, recorded_by=actor.name)
        return Response(_tax_profile_body(payee, profile))
