"""Payments in the Django admin, read-only: verification, batches and payments change only
through the console and the API (their rules, the ledger and the audit log), never here."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from kalipxo.admin import ReadOnlyAdmin
from payments.models import AuditEntry, Payment, PaymentBatch, SanctionsList, Verification


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ["payee", "distributor", "status", "legal_name", "method", "screening", "updated_at"]
    list_filter = ["status", "screening", "method"]
    search_fields = ["payee__id", "payee__name", "distributor__name", "legal_name"]
    # The identity document is read through the console (staff only, audited), never by a
    # storage URL.
    exclude = ["document"]
    readonly_fields = ["identity_document"]

    @admin.display(description="Identity document")
    def identity_document(self, obj: Verification) -> str:
        if not obj.document:
            return "none"
        return format_html(
            '<a href="{}">{}</a> ({}, {} bytes)',
            reverse("console-verification-document", args=[obj.pk]),
            obj.document_name,
            obj.document_type,
            obj.document_size,
        )


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdmin):
    list_display = ["month", "status", "total_minor", "created_by", "approved_by", "created_at"]
    list_filter = ["status"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "batch",
        "payee",
        "distributor",
        "amount_minor",
        "method",
        "status",
        "status_at",
    ]
    list_filter = ["status", "method", "batch__month"]
    search_fields = ["reference", "payee__id", "payee__name", "distributor__name"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "subject"]
    list_filter = ["action"]
    search_fields = ["actor", "subject"]


@admin.register(SanctionsList)
class SanctionsListAdmin(ReadOnlyAdmin):
    list_display = ["version", "entries", "source", "loaded_by", "loaded_at"]
