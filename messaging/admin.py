"""Messages in the Django admin: read-only, except a report's moderation (its status and
note). Reports are the moderation queue: the open ones, oldest first."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kalipxo.admin import ReadOnlyAdmin
from messaging.models import ArtistMessaging, Block, Conversation, DuplicateRefusal, Message, Report


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("sent_at", "sender", "body", "read_at")
    readonly_fields = ("sent_at", "sender", "body", "read_at")
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["id", "artist", "listener", "started_at", "last_message_at"]
    search_fields = ["artist__id", "artist__name", "listener__id"]
    raw_id_fields = ["artist", "listener"]
    date_hierarchy = "started_at"
    inlines = [MessageInline]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """The reports, to read: the evidence and the conversation. Decisions are made in the
    console's moderation queue (messaging.moderation), never edited here."""

    list_display = ["id", "status", "artist", "reported_at", "message_sent_at", "reason"]
    list_filter = ["status"]
    search_fields = ["artist__id", "artist__name", "evidence", "reason"]
    ordering = ["reported_at"]  # the queue: filter on status "open", oldest first
    fields = ["artist", "listener", "conversation", "message", "message_sent_at", "evidence", "reason",
              "reported_at", "status", "moderator_note"]  # fmt: skip
    # Decided in the console (Moderation), where upholding also suspends the artist's messaging.
    readonly_fields = ["artist", "listener", "conversation", "message", "message_sent_at", "evidence",
                       "reason", "reported_at", "status", "moderator_note"]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("artist", "message__conversation")

    @admin.display(description="conversation")
    def conversation(self, report: Report) -> str:
        if report.message is None:
            return "(gone: the listener's data was erased)"
        return f"#{report.message.conversation_id}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["artist", "listener", "created_at"]
    search_fields = ["artist__id", "listener__id"]


@admin.register(ArtistMessaging)
class ArtistMessagingAdmin(ReadOnlyAdmin):
    list_display = ["artist", "suspended_until"]
    search_fields = ["artist__id", "artist__name"]


@admin.register(DuplicateRefusal)
class DuplicateRefusalAdmin(ReadOnlyAdmin):
    list_display = ["artist", "refused_at", "fingerprint"]
    search_fields = ["artist__id"]
