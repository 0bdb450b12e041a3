"""Django admin for the ledger: read-only. Rows are written by `ledger.services` only, and the
database refuses to change them."""

from django.contrib import admin

from kalipxo.admin import ReadOnlyAdmin
from ledger.models import LedgerPosting, LedgerTransaction


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
