from django.contrib import admin
from django.utils import timezone

from artists.models import ApiClient, Artist, Distributor, Payee, PortalAccount, Release, Split, Track


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
