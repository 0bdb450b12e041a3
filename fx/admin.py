"""Exchange rates in the Django admin: read only. Rates are recorded through the API or
`load_fx_rates`, under their rules (never edited, never in a closed month)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fx.models import FxRate


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["date", "currency", "rate", "source", "recorded_by", "recorded_at"]
    list_filter = ["currency", "source", "date"]
    search_fields = ["currency", "source", "recorded_by"]
    date_hierarchy = "date"
    ordering = ["-date", "currency"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
