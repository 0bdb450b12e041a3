from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from artists.models import (
    ApiClient,
    Artist,
    Distributor,
    Payee,
    PortalAccount,
    RecordingLink,
    Release,
    Split,
    Track,
    Work,
    WorkShare,
)
from kalipxo.admin import ReadOnlyAdmin


@admin.register(Distributor)
class DistributorAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "distributor", "created_at"]
    list_filter = ["distributor"]
    search_fields = ["id", "name"]
    list_select_related = ["distributor"]


@admin.register(Payee)
class PayeeAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "distributor"]
    list_filter = ["kind", "distributor"]
    search_fields = ["id", "name"]
    raw_id_fields = ["artist"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["upc", "title", "distributor"]
    list_filter = ["distributor"]
    search_fields = ["upc", "title"]


class SplitInline(admin.TabularInline):
    model = Split
    raw_id_fields = ["payee"]
    extra = 0


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["isrc", "title", "artist", "release", "distributor", "updated_at"]
    list_filter = ["distributor"]
    search_fields = ["isrc", "title", "artist__name", "artist__id"]
    raw_id_fields = ["artist", "release"]
    list_select_related = ["artist", "release", "distributor"]
    inlines = [SplitInline]


@admin.register(Split)
class SplitAdmin(admin.ModelAdmin):
    list_display = ["track", "payee", "share"]
    list_filter = ["payee__kind"]
    search_fields = ["track__isrc", "payee__id", "payee__name"]
    raw_id_fields = ["track", "payee"]


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WorkShareInline(_ReadOnlyInline):
    model = WorkShare
    fields = ["payee", "share", "ipi"]
    verbose_name = "writer or publisher"


class RecordingLinkInline(_ReadOnlyInline):
    model = RecordingLink
    fields = ["track", "share"]
    verbose_name = "linked recording"


@admin.register(Work)
class WorkAdmin(ReadOnlyAdmin):
    """Looked at here, changed through `POST /api/v1/catalog/works`: that is where a work's
    shares are checked to sum to exactly 1, a recording's links to at most 1, and every id
    against its owner; an admin form would check none of it."""

    list_display = ["id", "title", "iswc", "distributor", "updated_at"]
    list_filter = ["distributor"]
    search_fields = [
        "id",
        "title",
        "iswc",
        "shares__payee__id",
        "shares__payee__name",
        "recording_links__track__isrc",
    ]
    list_select_related = ["distributor"]
    inlines = [WorkShareInline, RecordingLinkInline]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_client` (shown once); here they are revoked."""

    list_display = ["name", "role", "distributor", "artist", "token_prefix", "created_at", "revoked_at"]
    list_filter = ["role", "distributor", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "token_prefix"]
    readonly_fields = ["name", "role", "distributor", "artist", "token_prefix", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "artist", "distributor"]
    list_filter = ["distributor"]
    search_fields = ["user__username", "artist__id", "artist__name"]
    raw_id_fields = ["user", "artist"]
