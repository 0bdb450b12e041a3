"""Payments over the API (docs/rules.md §4b Payments). Thin: find, parse, call, answer."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import PAYEE_ROLE, allow_roles, can_view_payee, require_actor
from artists.models import ApiClient, Artist, Distributor, Payee
from artists.payees import payee_row, payee_seen
from kalipxo.validation import month_label, parse_month
from payments import batches, files, verification
from payments.audit import audit
from payments.models import PaymentBatch
from payments.selectors import balance_view
from payments.tax_year import year_summary_rows
from payouts.statements import csv_lines

STATUSES = ["unverified", "pending", "verified", "rejected"]
VERIFICATION = inline_serializer(
    "Verification",
    {
        "payee": serializers.CharField(allow_null=True),
        "distributor": serializers.CharField(allow_null=True),
        "status": serializers.ChoiceField(choices=STATUSES),
        "legal_name": serializers.CharField(),
        "payout_method": serializers.CharField(help_text='Masked: "IBAN …1234", "PayPal a…@example.com".'),
        "holder_matches": serializers.BooleanField(allow_null=True),
        "screening": serializers.CharField(),
        "screening_list": serializers.CharField(allow_null=True),
        "screened_at": serializers.DateTimeField(allow_null=True),
        "held": serializers.CharField(allow_null=True, help_text="Why it is not paid now; null: it is."),
        "reason": serializers.CharField(),
    },
)
VERIFICATION_IN = inline_serializer(
    "VerificationIn",
    {
        "status": serializers.ChoiceField(choices=STATUSES),
        "legal_name": serializers.CharField(required=False),
        "payout_method": serializers.JSONField(
            required=False,
            help_text='{"type": "iban", "iban", "holder", "bic"?} or {"type": "paypal", "email"}.',
        ),
        "reason": serializers.CharField(
            required=False, help_text="Required with rejected; the payee is told."
        ),
    },
)
PAYMENT = inline_serializer(
    "LastPayment",
    {
        "reference": serializers.CharField(),
        "month": serializers.CharField(),
        "amount": serializers.CharField(),
        "method": serializers.CharField(),
        "status": serializers.CharField(),
        "reason": serializers.CharField(),
        "at": serializers.DateTimeField(allow_null=True),
        "summary": serializers.CharField(),
    },
)
BALANCE = inline_serializer(
    "Balance",
    {
        "payee": serializers.CharField(allow_null=True),
        "distributor": serializers.CharField(allow_null=True),
        "currency": serializers.CharField(),
        "balance": serializers.CharField(),
        "recording": serializers.CharField(),
        "publishing": serializers.CharField(),
        "in_transit": serializers.CharField(),
        "held": serializers.CharField(allow_null=True),
        "last_payment": PAYMENT,
    },
)
ITEM = inline_serializer(
    "PaymentItem",
    {
        "reference": serializers.CharField(),
        "payee": serializers.CharField(),
        "amount": serializers.CharField(),
        "method": serializers.CharField(),
        "status": serializers.CharField(),
        "reason": serializers.CharField(),
    },
)
BATCH_FIELDS: dict[str, Any] = {
    "id": serializers.IntegerField(),
    "month": serializers.CharField(),
    "status": serializers.CharField(),
    "payments": serializers.IntegerField(),
    "total": serializers.CharField(),
    "currency": serializers.CharField(),
    "created_by": serializers.CharField(),
    "approved_by": serializers.CharField(allow_null=True),
    "items": serializers.ListField(child=serializers.DictField(), required=False),
}
BATCH = inline_serializer("PaymentBatch", BATCH_FIELDS)
BATCHES = inline_serializer("PaymentBatchInList", BATCH_FIELDS, many=True)
RESULTS = inline_serializer(
    "PaymentResult",
    {
        "reference": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["paid", "failed", "returned"]),
        "reason": serializers.CharField(required=False),
    },
    many=True,
)
FILE = {(200, "text/plain"): OpenApiTypes.STR, 409: OpenApiResponse(description="Not approved yet.")}


def _refusal(exc: batches.BatchRefused | verification.VerificationRejected) -> Response:
    return Response(exc.body, status=exc.status)


class PayeeVerificationView(APIView):
    permission_classes = [allow_roles()]

    def _holder(self, payee_id: str) -> Payee:
        payee = payee_row(payee_id)
        if payee is None:
            raise NotFound(f'No payee "{payee_id[:64]}".')
        return payee

    def _holder_seen(self, payee_id: str) -> Payee:
        """The holder to read about: a read makes no payee row."""
        payee = payee_seen(payee_id)
        if payee is None:
            raise NotFound(f'No payee "{payee_id[:64]}".')
        return payee

    @extend_schema(
        operation_id="payee_verification_get",
        responses=VERIFICATION,
        summary="A payee's verification (admin)",
    )
    def get(self, request: Request, payee_id: str) -> Response:
        payee = self._holder_seen(payee_id)
        return Response(verification.verification_as_dict(payee, verification.verification_of(payee)))

    @extend_schema(
        operation_id="payee_verification_put",
        request=VERIFICATION_IN,
        responses={
            200: VERIFICATION,
            400: OpenApiResponse(description="A field to fix (a bad IBAN names payout_method.iban)."),
            409: OpenApiResponse(description="Cannot verify: what is missing is named."),
        },
        summary="Record a payee's legal name, payout method and verification status (admin)",
    )
    def put(self, request: Request, payee_id: str) -> Response:
        actor = require_actor(request)
        payee = self._holder(payee_id)
        try:
            data = verification.verification_parse(request.data)
            recorded = verification.verification_record(holder=payee, data=data, actor=actor.name)
        except verification.VerificationRejected as exc:
            return _refusal(exc)
        return Response(verification.verification_as_dict(payee, recorded))


class DistributorVerificationView(PayeeVerificationView):
    """The same for a distributor, whose fee account is paid in the same batches."""

    def _holder(self, name: str) -> Distributor:  # type: ignore[override]
        distributor = Distributor.objects.filter(name=name).first()
        if distributor is None:
            raise NotFound(f'No distributor "{name[:64]}".')
        return distributor

    def _holder_seen(self, name: str) -> Distributor:  # type: ignore[override]
        return self._holder(name)

    @extend_schema(
        operation_id="distributor_verification_get",
        responses=VERIFICATION,
        summary="A distributor's verification (admin)",
    )
    def get(self, request: Request, name: str) -> Response:  # type: ignore[override]
        return super().get(request, name)

    @extend_schema(
        operation_id="distributor_verification_put",
        request=VERIFICATION_IN,
        responses=VERIFICATION,
        summary="Verify a distributor as a payee (admin)",
    )
    def put(self, request: Request, name: str) -> Response:  # type: ignore[override]
        return super().put(request, name)


class PayeeBalanceView(APIView):
    permission_classes = [allow_roles(ApiClient.Role.DISTRIBUTOR, ApiClient.Role.ARTIST, PAYEE_ROLE)]

    @extend_schema(
        operation_id="payee_balance",
        responses=BALANCE,
        summary="What a payee is owed now, whether it is held, and its last payment",
    )
    def get(self, request: Request, payee_id: str) -> Response:
        actor = require_actor(request)
        payee = Payee.objects.filter(pk=payee_id).first()
        artist = None if payee else Artist.objects.filter(pk=payee_id).first()
        found = payee or artist
        distributor_id = found.distributor_id if found else None
        if found is None or not can_view_payee(actor, payee_id=payee_id, payee_distributor_id=distributor_id):
            raise NotFound(f'No payee "{payee_id[:64]}" that this client may see.')
        return Response(balance_view(payee, payee_id=payee_id))


def _batch(batch_id: int) -> PaymentBatch:
    batch = PaymentBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"No payment batch {batch_id}.")
    return batch


class PaymentBatchesView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="payment_batches_list",
        responses=BATCHES,
        summary="Payment batches, newest month first (admin)",
    )
    def get(self, request: Request) -> Response:
        return Response([batches.batch_as_dict(b) for b in PaymentBatch.objects.order_by("-month")[:120]])

    @extend_schema(
        operation_id="payment_batches_create",
        request=inline_serializer("PaymentBatchIn", {"month": serializers.CharField()}),
        responses={201: BATCH, 200: BATCH, 409: OpenApiResponse(description="The month is not finalized.")},
        summary="Create the batch of a finalized month (admin); the same month again returns it",
    )
    def post(self, request: Request) -> Response:
        actor = require_actor(request)
        body: Any = request.data
        unknown = sorted(set(body) - {"month"}) if isinstance(body, dict) else []
        month = parse_month(body.get("month")) if isinstance(body, dict) else 'Send {"month": "YYYY-MM"}.'
        if isinstance(month, str) or unknown:
            errors = {name[:64]: ["Unknown field; remove it."] for name in unknown}
            if isinstance(month, str):
                errors["month"] = [month]
            return Response(errors, status=400)
        try:
            batch, created = batches.batch_create(month=month, actor=actor.name)
        except batches.BatchRefused as exc:
            return _refusal(exc)
        return Response(batches.batch_as_dict(batch, items=True), status=201 if created else 200)


class PaymentBatchView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="payment_batch_get", responses=BATCH, summary="A payment batch and its payments (admin)"
    )
    def get(self, request: Request, batch_id: int) -> Response:
        return Response(batches.batch_as_dict(_batch(batch_id), items=True))


class PaymentBatchApproveView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="payment_batch_approve",
        responses={200: BATCH, 403: OpenApiResponse(description="Its creator cannot approve it.")},
        summary="Approve a batch (an admin other than its creator); its files can then be downloaded",
        request=None,
    )
    def post(self, request: Request, batch_id: int) -> Response:
        actor = require_actor(request)
        try:
            batch = batches.batch_approve(batch=_batch(batch_id), actor=actor.name)
        except batches.BatchRefused as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.body["detail"]) from exc
            return _refusal(exc)
        return Response(batches.batch_as_dict(batch))


class PaymentBatchResultsView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="payment_batch_results",
        request=RESULTS,
        responses={
            200: BATCH,
            400: OpenApiResponse(
                description="An item to fix: unknown reference, another batch's, a bad status."
            ),
            409: OpenApiResponse(description="A transition that is not allowed; nothing applied."),
        },
        summary="Apply results (paid, failed, returned), all or nothing; the same one again changes nothing",
    )
    def post(self, request: Request, batch_id: int) -> Response:
        actor = require_actor(request)
        batch = _batch(batch_id)
        try:
            items = batches.results_parse(batch, request.data)
            batches.results_apply(batch=batch, items=items, actor=actor.name)
        except batches.BatchRefused as exc:
            return _refusal(exc)
        return Response(batches.batch_as_dict(batch, items=True))


def _approved(batch: PaymentBatch) -> Response | None:
    if batch.status != PaymentBatch.Status.APPROVED:
        return Response(
            {
                "detail": f"Batch {batch.pk} is not approved yet: "
                f"someone other than {batch.created_by} must approve it."
            },
            status=409,
        )
    return None


def _batch_file(request: Request, batch_id: int, name: str) -> Response | HttpResponse:
    """One of an approved batch's files, its download written to the audit log."""
    batch = _batch(batch_id)
    refused = _approved(batch)
    if refused:
        return refused
    content, content_type = (
        (files.sepa_xml(batch), "application/xml")
        if name == "sepa.xml"
        else (files.paypal_csv(batch), "text/csv; charset=utf-8")
    )
    audit(actor=require_actor(request).name, action="batch.file", subject=f"batch:{batch.pk}",
          detail={"file": name})  # fmt: skip
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="kalipxo-{month_label(batch.month)}-{name}"'
    return response


class PaymentBatchSepaView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="payment_batch_sepa",
        responses=FILE,
        summary="The batch's pain.001.001.03 file (approved)",
    )
    def get(self, request: Request, batch_id: int) -> Response | HttpResponse:
        return _batch_file(request, batch_id, "sepa.xml")


class PaymentBatchPaypalView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="payment_batch_paypal",
        responses=FILE,
        summary="The batch's PayPal Payouts CSV (approved)",
    )
    def get(self, request: Request, batch_id: int) -> Response | HttpResponse:
        return _batch_file(request, batch_id, "paypal.csv")


class TaxYearSummaryView(APIView):
    permission_classes = [allow_roles()]

    @extend_schema(
        operation_id="tax_year_summary",
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Per payee: what was earned, withheld and paid in a year (admin); for 1099/1042-S returns",
    )
    def get(self, request: Request, year: int) -> HttpResponse:
        if not 2000 <= year <= 2999:
            raise NotFound("No such year.")
        response = HttpResponse(
            "".join(csv_lines(year_summary_rows(year))), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="kalipxo-tax-year-{year}.csv"'
        return response
