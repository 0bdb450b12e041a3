from django.contrib import admin

from kalipxo.admin import ReadOnlyAdmin
from streams.models import ClosedMonth, Listener, RevenueRecord, StreamEvent


@admin.register(Listener)
class ListenerAdmin(admin.ModelAdmin):
    list_display = ["id", "display_name", "show_to_artists", "accepts_messages", "created_at", "erased_at"]
    list_filter = ["show_to_artists", "accepts_messages", "erased_at"]
    search_fields = ["id", "display_name"]


@admin.register(RevenueRecord)
class RevenueRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "listener", "month", "source", "plan", "country", "gross", "tax", "fees"]
    list_filter = ["month", "source", "plan", "country"]
    search_fields = ["id", "listener__id"]
    raw_id_fields = ["listener"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # revenue is immutable once recorded; corrections come from billing

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(StreamEvent)
class StreamEventAdmin(ReadOnlyAdmin):
    """Read-only: stream events are append-only (the database refuses changes too)."""

    list_display = ["event_id", "listener", "isrc", "started_at", "duration_ms", "country", "tier", "device"]
    list_filter = ["tier", "country", "started_at"]
    search_fields = ["event_id", "listener__id", "isrc", "device"]
    date_hierarchy = "started_at"
    show_full_result_count = False  # counting millions of rows on every page view is slow


@admin.register(ClosedMonth)
class ClosedMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "closed_at", "closed_by_run"]
