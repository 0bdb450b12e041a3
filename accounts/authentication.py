"""Session logins on the API: a staff session changes nothing without two-factor on.

The console's pages call the JSON API with the session (finalize, hold decisions); API
tokens are not sessions and are never asked for a second factor (docs/rules.md "Accounts").
"""

from typing import Any

from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.login import two_factor_missing

TWO_FACTOR_NEEDED = (
    "Turn on two-factor authentication for this login (Your account → Two-factor) before a "
    "console action that decides or moves money; nothing was changed."
)


class TwoFactorSessionAuthentication(SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        found = super().authenticate(request)
        if found is None:
            return None
        user = found[0]
        # The Django request underneath: asking DRF's request for its user here would start
        # authenticating again.
        if request.method not in SAFE_METHODS and user.is_staff and two_factor_missing(request._request):
            raise exceptions.PermissionDenied(TWO_FACTOR_NEEDED)
        return found


class TwoFactorSessionScheme(SessionScheme):
    """The schema's session scheme stays "cookieAuth", as before."""

    target_class = "accounts.authentication.TwoFactorSessionAuthentication"
