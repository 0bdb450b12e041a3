"""Payout run API (docs/rules.md §4), statements and artists' review requests. Thin views: parse
the request, call a service or selector, shape the answer."""

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from artists.access import PAYEE_ROLE, Actor, allow_roles, require_actor
from artists.models import ApiClient
from kalipxo.validation import month_label
from payouts import console, selectors, statement_export, statements
from payouts.models import PayeeResult, PayoutRun
from payouts.run import errors, finalize, holds, start
from payouts.run.window import MonthNotOver

ADMINS = allow_roles()
STATEMENT_READERS = allow_roles(ApiClient.Role.DISTRIBUTOR, ApiClient.Role.ARTIST, PAYEE_ROLE)

RunSerializer = inline_serializer(
    name="PayoutRun",
    fields={
        "id": serializers.IntegerField(),
        "month": serializers.CharField(),
        "status": serializers.ChoiceField(choices=PayoutRun.Status.values),
        "progress": serializers.FloatField(help_text="0 to 1."),
        "totals": inline_serializer(
            name="PayoutRunTotals",
            fields={
                "pools": serializers.CharField(),
                "allocated": serializers.CharField(),
                "suspense": serializers.CharField(),
                "retained": serializers.CharField(),
                "holds_pending": serializers.IntegerField(),
                "publishing": inline_serializer(
                    name="PayoutRunPublishingTotals",
                    fields={
                        "pools": serializers.CharField(),
                        "allocated": serializers.CharField(),
                        "suspense": serializers.CharField(help_text="Mechanical suspense."),
                        "retained": serializers.CharField(),
                    },
                    help_text="The publishing side's part of each total.",
                ),
                "deductions": inline_serializer(
                    name="PayoutRunDeductions",
                    fields={
                        "fee": serializers.CharField(),
                        "withheld": serializers.CharField(),
                        "payable": serializers.CharField(help_text="allocated - fee - withheld"),
                    },
                    required=False,
                    help_text="A computed or finalized run: its distribution fees, tax withheld and payable.",
                ),
            },
        ),
        "waiting": serializers.CharField(
            allow_null=True,
            help_text="Set when no worker has taken the run's task for a minute: what to start.",
        ),
    },
)
HoldSerializer = inline_serializer(
    name="Hold",
    fields={
        "id": serializers.IntegerField(),
        "listener": serializers.CharField(),
        "reason": serializers.CharField(),
        "decision": serializers.ChoiceField(choices=["release", "reject"], allow_null=True),
        "evidence": serializers.DictField(help_text="Streams per UTC day, top tracks, shared devices."),
        "streams": serializers.IntegerField(help_text="The listener's qualifying streams in the month."),
        "pool": serializers.CharField(help_text="The listener's pool, exact: retained if rejected."),
        "history": serializers.ListField(
            child=serializers.DictField(),
            help_text="Every decision on the hold, oldest first: decision, previous, decided_by, "
            "decided_at, chosen_by. Kept when a decision changes.",
        ),
    },
)
BulkDecisionSerializer = inline_serializer(
    name="HoldDecisionBulk",
    fields={
        "decision": serializers.ChoiceField(choices=["release", "reject"]),
        "holds": serializers.ListField(child=serializers.IntegerField(), required=False),
        "rule": serializers.ChoiceField(choices=list(holds.RULES), required=False),
        "device": serializers.CharField(required=False),
        "change": serializers.BooleanField(
            required=False, help_text="Also change holds decided the other way (only while in review)."
        ),
    },
)
BulkOutcomeSerializer = inline_serializer(
    name="HoldDecisionBulkOutcome",
    fields={
        "decision": serializers.CharField(),
        "decided": serializers.ListField(child=serializers.IntegerField()),
        "changed": serializers.ListField(child=serializers.IntegerField()),
        "kept": serializers.ListField(
            child=serializers.IntegerField(), help_text="Decided the other way and left so (no change)."
        ),
        "unchanged": serializers.ListField(child=serializers.IntegerField()),
        "run_status": serializers.CharField(),
    },
)
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="text/csv")


def _problem(exc: errors.RunProblem) -> Response:
    body: dict[str, Any] = {exc.field: [exc.detail]} if exc.field else {"detail": exc.detail}
    if isinstance(exc, MonthNotOver):
        body["opens_at"] = exc.opens_at.isoformat().replace("+00:00", "Z")
    return Response(body, status=exc.status)


def _body(request: Request, *, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON object sent; with `fields`, any other field is refused rather than ignored."""
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": "Send a JSON object."})
    if fields is not None and (unknown := set(request.data) - set(fields)):
        raise ValidationError({name[:64]: ["Unknown field."] for name in sorted(unknown)})
    return request.data


def _run(run_id: int) -> PayoutRun:
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"No payout run {run_id}.")
    return run


def _csv(rows: Any, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(statements.csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PayoutRunsView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(
        operation_id="payout_runs_list",
        summary="Payout runs, newest month first",
        responses=type(RunSerializer)(many=True),  # a list of them
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.runs_overview())

    @extend_schema(
        operation_id="payout_run_start",
        summary="Start the month's payout run (or get the one already started)",
        request=inline_serializer(name="PayoutRunStart", fields={"month": serializers.CharField()}),
        responses={
            202: RunSerializer,
            400: OpenApiResponse(description='e.g. {"month": ["..."]}'),
            409: OpenApiResponse(
                description="The month is not over yet (its end plus PAYOUT_RUN_GRACE): "
                '{"detail": "...", "opens_at": "2026-12-02T00:00:00Z"}; no run is created.'
            ),
        },
    )
    def post(self, request: Request) -> Response:
        actor = require_actor(request)
        try:
            month = start.month_to_run(_body(request, fields=("month",)).get("month"))
            run, created = start.payout_run_start(month=month, requested_by=actor.name)
        except errors.RunProblem as exc:
            return _problem(exc)
        if created:
            # What was created: "queued" (docs/rules.md §4), even if in-process tasks (no broker)
            # have already moved it on by now; GET shows where it is.
            return Response(selectors.run_summary(run, holds_pending=0), status=status.HTTP_202_ACCEPTED)
        return Response(selectors.run_summary(run), status=status.HTTP_202_ACCEPTED)


class PayoutRunDetailView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(operation_id="payout_run_detail", summary="One payout run", responses=RunSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        detail = selectors.run_detail(run_id)
        if detail is None:
            raise NotFound(f"No payout run {run_id}.")
        return Response(detail)


class PayoutRunHoldsView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(
        operation_id="payout_run_holds",
        summary="The run's fraud holds",
        responses=type(HoldSerializer)(many=True),
    )
    def get(self, request: Request, run_id: int) -> Response:
        _run(run_id)
        return Response(console.hold_rows(run_id))

    @extend_schema(
        operation_id="payout_run_holds_decide",
        summary="Decide many holds at once: listed ids, every hold of a rule (by reason) or of a device",
        description="All or nothing. Holds decided the other way are changed only with "
        '"change": true, and only while the run waits in review; after the last decision the '
        "run computes by itself and decisions are final (409).",
        request=BulkDecisionSerializer,
        responses={
            200: BulkOutcomeSerializer,
            400: OpenApiResponse(description='e.g. {"rule": ["One of: ..."]}'),
            409: OpenApiResponse(description="The run no longer waits for decisions."),
        },
    )
    def post(self, request: Request, run_id: int) -> Response:
        actor = require_actor(request)
        body = _body(request, fields=("decision", "holds", "rule", "device", "change"))
        _run(run_id)
        change = body.get("change", False)
        try:
            if not isinstance(change, bool):
                raise errors.RunInvalid("true or false.", field="change")
            outcome = holds.holds_decide(
                run_id=run_id,
                decision=body.get("decision"),
                choice=holds.parse_choice(body),
                decided_by=actor.name,
                change=change,
            )
        except errors.RunProblem as exc:
            return _problem(exc)
        return Response(outcome.as_dict())


class PayoutRunHoldDecisionView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(
        operation_id="payout_run_hold_decide",
        summary="Release or reject a hold; the run computes by itself after the last decision",
        request=inline_serializer(
            name="HoldDecision", fields={"decision": serializers.ChoiceField(choices=["release", "reject"])}
        ),
        responses={
            200: HoldSerializer,
            409: OpenApiResponse(description="Already decided, or not in review."),
        },
    )
    def post(self, request: Request, run_id: int, hold_id: int) -> Response:
        actor = require_actor(request)
        decision = _body(request, fields=("decision",)).get("decision")
        try:
            hold = holds.hold_decide(
                run_id=run_id, hold_id=hold_id, decision=decision if isinstance(decision, str) else "",
                decided_by=actor.name,
            )  # fmt: skip
        except errors.RunProblem as exc:
            return _problem(exc)
        return Response(selectors.hold_as_dict(hold))


class PayoutRunFinalizeView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(
        operation_id="payout_run_finalize",
        summary="Finalize a computed run: ledger written, month closed (idempotent)",
        request=None,
        responses={
            200: RunSerializer,
            409: OpenApiResponse(description="Not computed yet, or its month is not over yet."),
        },
    )
    def post(self, request: Request, run_id: int) -> Response:
        actor = require_actor(request)
        _body(request, fields=())  # no body or {}: anything else is a mistake, not a "yes"
        try:
            run = finalize.payout_run_finalize(run_id=run_id, finalized_by=actor.name)
        except errors.RunProblem as exc:
            return _problem(exc)
        return Response(selectors.run_summary(run))


class PayoutRunCsvView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(
        operation_id="payout_run_payouts_csv",
        summary="payee,kind,name,streams,amount: one row per payee",
        responses={(200, "text/csv"): CSV_RESPONSE, 409: OpenApiResponse(description="Not computed yet.")},
    )
    def get(self, request: Request, run_id: int) -> Any:
        run = _run(run_id)
        if run.status not in (PayoutRun.Status.COMPUTED, PayoutRun.Status.FINALIZED):
            return Response(
                {"detail": f"Payout run {run_id} is {run.status}; payouts exist once computed."}, 409
            )
        return _csv(statements.payouts_rows(run), f"kalipxo-payouts-{month_label(run.month)}-run{run.pk}.csv")


class PayoutRunUsageView(APIView):
    permission_classes = [ADMINS]

    @extend_schema(
        operation_id="payout_run_usage_csv",
        summary="isrc,plays,works,publishing,matched: the month's usage per recording",
        description="One row per ISRC played in the month: qualifying plays, the works linked to it "
        '("work:share" pairs joined by ";"), its publishing amount and whether it was matched to '
        "works (yes, partial: links short of 1, no: the rest is in mechanical suspense).",
        responses={(200, "text/csv"): CSV_RESPONSE, 409: OpenApiResponse(description="Not computed yet.")},
    )
    def get(self, request: Request, run_id: int) -> Any:
        run = _run(run_id)
        if run.status not in (PayoutRun.Status.COMPUTED, PayoutRun.Status.FINALIZED):
            detail = f"Payout run {run_id} is {run.status}; usage exists once computed."
            return Response({"detail": detail}, 409)
        return _csv(statements.usage_rows(run), f"kalipxo-usage-{month_label(run.month)}-run{run.pk}.csv")


def _may_read_statement(actor: Actor, result: PayeeResult) -> bool:
    if actor.is_admin:
        return True
    if actor.role == ApiClient.Role.ARTIST:
        return actor.artist_id == result.payee
    if actor.role == PAYEE_ROLE:  # a writer's or publisher's login
        return actor.payee_id == result.payee
    if actor.role == ApiClient.Role.DISTRIBUTOR:
        return result.distributor_id is not None and result.distributor_id == actor.distributor_id
    return False


class PayeeStatementView(APIView):
    permission_classes = [STATEMENT_READERS]

    @extend_schema(
        operation_id="payout_run_payee_statement",
        summary="A payee's statement: each allocation line, its split, the exact total, the payable amount",
        parameters=[statement_export.DETAIL_PARAMETER],
        responses={
            (200, "text/csv"): CSV_RESPONSE,
            400: OpenApiResponse(description='detail is not 0 or 1: {"detail": ["..."]}'),
            404: OpenApiResponse(description="No such statement that you may read."),
        },
    )
    def get(self, request: Request, run_id: int, payee: str) -> Any:
        actor = require_actor(request)
        visible_status = (
            (PayoutRun.Status.COMPUTED, PayoutRun.Status.FINALIZED)
            if actor.is_admin
            else (PayoutRun.Status.FINALIZED,)
        )
        result = (
            PayeeResult.objects.select_related("run")
            .filter(run_id=run_id, payee=payee, run__status__in=visible_status)
            .first()
        )
        # One answer for a run that does not exist, one not finalized and a statement of
        # someone else: telling them apart would tell a reader which run ids exist.
        if result is None or not _may_read_statement(actor, result):
            raise NotFound("No such statement that you may read.")
        return statement_export.statement_response(request, result)
