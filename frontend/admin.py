"""The Django admin's user pages, with the artist or distributor a login may see.

An admin creates an artist's login by adding a user and choosing the artist on the same
page (or with `manage.py create_artist_user ARTIST_ID USERNAME`).
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from artists.models import PortalAccount

User = get_user_model()


class PortalAccountInline(admin.StackedInline):
    model = PortalAccount
    can_delete = True
    max_num = 1
    extra = 0
    autocomplete_fields = ["artist"]
    fields = ["artist", "distributor", "payee", "role"]
    verbose_name = "Dashboard access"
    verbose_name_plural = "Dashboard access (the artist, or the distributor, this login may see)"


class UserWithPortalAdmin(UserAdmin):
    inlines = [PortalAccountInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "portal_scope"]

    @admin.display(description="Sees")
    def portal_scope(self, user):  # type: ignore[no-untyped-def]
        account = getattr(user, "portal_account", None)
        if account is None:
            return "everything (staff)" if user.is_staff else "–"
        return f"artist {account.artist_id}" if account.artist_id else f"distributor {account.distributor}"


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserWithPortalAdmin)
# The admin has no login form of its own: it sends to /login/, which is throttled and asks
# for the second factor of a login that has one (a password alone must not open the admin).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
