"""Payments in the Django admin, read-only: verification, batches and payments change only
through the console and the API (their rules, the ledger and the audit log), never here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payments.models import AuditEntry, Payment, PaymentBatch, SanctionsList, Verification


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Verification)
class VerificationAdmin(ReadOnly):
    list_display = ["payee", "distributor", "status", "legal_name", "method", "screening", "updated_at"]
    list_filter = ["status", "screening", "method"]
    search_fields = ["payee__id", "payee__name", "distributor__name", "legal_name"]


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnly):
    list_display = ["month", "status", "total_minor", "created_by", "approved_by", "created_at"]
    list_filter = ["status"]


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
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
class AuditEntryAdmin(ReadOnly):
    list_display = ["at", "actor", "action", "subject"]
    list_filter = ["action"]
    search_fields = ["actor", "subject"]


@admin.register(SanctionsList)
class SanctionsListAdmin(ReadOnly):
    list_display = ["version", "entries", "source", "loaded_by", "loaded_at"]
