"""Django admin for the ledger: read-only. Rows are written by `ledger.services` only, and the
database refuses to change them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ledger.models import LedgerPosting, LedgerTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is looked at here, never written."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostingInline(admin.TabularInline):
    model = LedgerPosting
    fields = ("account", "amount_minor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["key", "run_id", "description", "currency", "created_at"]
    search_fields = ["key", "description"]
    inlines = [PostingInline]


@admin.register(LedgerPosting)
class LedgerPostingAdmin(ReadOnlyAdmin):
    list_display = ["transaction", "account", "amount_minor"]
    search_fields = ["account", "transaction__key"]
    show_full_result_count = False
