"""How allauth fits the service: where a login lands, and whether sign-up is open."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def home_url(user: Any) -> str:
    """Where a login lands: staff on the console, everyone else on the dashboard."""
    return reverse("console") if getattr(user, "is_staff", False) else reverse("dashboard")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.ACCOUNT_SIGNUP_OPEN)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return home_url(request.user)
