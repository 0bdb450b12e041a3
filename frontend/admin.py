"""The Django admin's user pages, with the artist or distributor a login may see.

An admin creates an artist's login by adding a user and choosing the artist on the same
page (or with `manage.py create_artist_user ARTIST_ID USERNAME`).
"""

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.login import two_factor_missing
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
# Its actions move money too (finalize, holds, splits, tax forms), so a staff session that has
# not passed a second factor is not let in while the rule is on (docs/rules.md "Accounts").
_admin_login = secure_admin_login(admin.site.login)
_has_permission = admin.site.has_permission


def _login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_staff and two_factor_missing(request):
        return render(request, "frontend/two_factor_needed.html", status=403)
    return _admin_login(request, extra_context)  # type: ignore[no-any-return]


def _permitted(request: HttpRequest) -> bool:
    return _has_permission(request) and not two_factor_missing(request)


admin.site.login = _login  # type: ignore[method-assign]
admin.site.has_permission = _permitted  # type: ignore[method-assign]
