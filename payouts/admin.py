"""Django admin for payout runs: start, follow, decide holds, finalize; results read-only.

Every change goes through the run's steps (`payouts.run`), exactly as the API does: the admin never
writes a run's state or a hold's decision itself. The ledger's admin is `ledger.admin`.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from kalipxo.admin import ReadOnlyAdmin
from payouts.models import (
    AllocationLine,
    ArtistResult,
    Hold,
    PayeeResult,
    PayoutRun,
    ReviewRequest,
    RunChunk,
    SuspenseResult,
    TrackResult,
)
from payouts.run import errors, finalize, holds, recovery, start, window


class StartRunForm(forms.ModelForm):
    month = forms.CharField(
        help_text='"YYYY-MM": the run screens and computes that month (UTC).', max_length=7
    )

    class Meta:
        model = PayoutRun
        fields: list[str] = []

    def clean_month(self) -> Any:
        try:
            month = start.month_to_run(self.cleaned_data["month"])
            window.month_over_check(month)
            return month
        except errors.RunProblem as exc:
            raise forms.ValidationError(exc.detail) from exc


class HoldInline(admin.TabularInline):
    model = Hold
    fields = ("listener", "reason", "streams", "decision", "decided_by", "decided_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(admin.ModelAdmin):
    """Adding a run starts it (or opens the month's live run); actions finalize or resume."""

    list_display = ["id", "month", "status", "progress", "pools_minor", "allocated_minor", "created_at"]
    list_filter = ["status", "month"]
    search_fields = ["id", "month", "requested_by"]
    date_hierarchy = "month"
    actions = ["finalize_runs", "start_again", "resume_runs"]
    inlines = [HoldInline]
    readonly_fields = [
        "month", "status", "progress", "failure_reason", "policy", "requested_by", "cutoff_event_id",
        "cutoff_revenue_at", "pools_exact", "unallocated_exact", "rejected_exact", "retained_exact",
        "pools_minor", "allocated_minor", "suspense_minor", "retained_minor", "unallocated_minor", "streams",
        "listeners",
        "comparison", "created_at", "screened_at", "computed_at", "finalized_at", "finalized_by",
    ]  # fmt: skip

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = StartRunForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: PayoutRun, form: Any, change: bool) -> None:
        if change:
            return
        run, created = start.payout_run_start(
            month=form.cleaned_data["month"], requested_by=request.user.get_username()
        )
        # The redirect and the message after "add" name the run that exists.
        obj.pk, obj.month, obj.status = run.pk, run.month, run.status
        if not created:
            messages.info(request, f"{run} was already started; it is shown instead of a new one.")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # the change page is read-only; actions do the work

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Finalize the selected computed runs (ledger written, month closed)")
    def finalize_runs(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        for run in queryset:
            try:
                finalize.payout_run_finalize(run_id=run.pk, finalized_by=request.user.get_username())
            except errors.RunProblem as exc:
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(request, f"Run {run.pk} for {run.month:%Y-%m} is finalized.")

    @admin.action(description="Start the selected runs' months again (failed runs; a live run is shown)")
    def start_again(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        for month in sorted({run.month for run in queryset}):
            try:
                run, created = start.payout_run_start(month=month, requested_by=request.user.get_username())
            except errors.RunProblem as exc:
                self.message_user(request, exc.detail, messages.ERROR)
                continue
            verb = "started" if created else "is already running as"
            self.message_user(request, f"{month:%Y-%m} {verb} run {run.pk} ({run.status}).")

    @admin.action(description="Resume runs that stopped moving (lost messages, killed workers)")
    def resume_runs(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        sent = recovery.payout_runs_resume(older_than_seconds=0)
        self.message_user(request, f"Sent again: {sent}.")


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "listener", "reason", "streams", "decision", "decided_by", "decided_at"]
    list_filter = ["decision", "run__month"]
    search_fields = ["listener__id", "reason"]
    list_select_related = ["run"]
    readonly_fields = [
        "run", "listener", "rules", "reason", "evidence", "streams", "pool_exact", "decision", "decided_at",
        "decided_by", "created_at",
    ]  # fmt: skip
    actions = ["release", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[Hold], decision: str) -> None:
        for hold in queryset:
            try:
                holds.hold_decide(
                    run_id=hold.run_id,
                    hold_id=hold.pk,
                    decision=decision,
                    decided_by=request.user.get_username(),
                )
            except errors.RunProblem as exc:
                self.message_user(request, exc.detail, messages.ERROR)
        self.message_user(request, f"Decided: {decision}.")

    @admin.action(description="Release: count the selected listeners' streams normally")
    def release(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        self._decide(request, queryset, Hold.Decision.RELEASE)

    @admin.action(description="Reject: their streams count nowhere, their pools are retained")
    def reject(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        self._decide(request, queryset, Hold.Decision.REJECT)


@admin.register(RunChunk)
class RunChunkAdmin(ReadOnlyAdmin):
    list_display = ["run", "stage", "index", "status", "attempts", "started_at", "finished_at"]
    list_filter = ["stage", "status"]
    search_fields = ["run__id"]


@admin.register(PayeeResult)
class PayeeResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "payee", "kind", "name", "streams", "amount_minor", "amount_exact"]
    list_filter = ["kind", "run__month"]
    search_fields = ["payee", "name"]
    show_full_result_count = False


@admin.register(SuspenseResult)
class SuspenseResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "isrc", "streams", "amount_minor", "amount_exact"]
    list_filter = ["run__month"]
    search_fields = ["isrc"]


@admin.register(TrackResult)
class TrackResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "isrc", "title", "artist", "streams", "listeners", "gross_exact"]
    list_filter = ["run__month"]
    search_fields = ["isrc", "title", "artist"]
    show_full_result_count = False


@admin.register(ArtistResult)
class ArtistResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "artist", "name", "streams", "amount_minor", "pro_rata_minor", "progressive_minor"]
    list_filter = ["run__month"]
    search_fields = ["artist", "name"]
    show_full_result_count = False


@admin.register(AllocationLine)
class AllocationLineAdmin(ReadOnlyAdmin):
    list_display = ["run_id", "payee", "isrc", "artist", "country", "tier", "streams", "share", "amount"]
    list_filter = ["tier", "country"]
    search_fields = ["=run_id", "payee", "isrc"]
    show_full_result_count = False  # millions of rows: no count on every page view


@admin.register(ReviewRequest)
class ReviewRequestAdmin(admin.ModelAdmin):
    """Artists' requests to look at held streams; an admin marks them resolved."""

    list_display = ["artist", "month", "requested_by", "created_at", "resolved_at"]
    list_filter = ["month", "resolved_at"]
    search_fields = ["artist__id", "artist__name", "message"]
    readonly_fields = ["artist", "month", "message", "requested_by", "created_at"]
    fields = ["artist", "month", "message", "requested_by", "created_at", "resolved_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
