"""What happens after a password is right: allauth's steps (a self-made account's e-mail
must be verified; a login with two-factor on gives its code), then the session.

The login page is ours (frontend: throttled, fields `username` and `password`); only the
steps after the password are allauth's, so that two-factor and e-mail verification work the
same whichever page started the login.
"""

from typing import Any

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.internal.flows.login import (
    get_authentication_records,
    perform_login,
    record_authentication,
)
from allauth.account.models import EmailAddress, Login
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse


def login_name(typed: str) -> str:
    """The username a login page's `username` field means: a username, or the verified
    e-mail address of exactly one login."""
    if "@" not in typed or get_user_model().objects.filter(username=typed).exists():
        return typed
    owners = list(
        EmailAddress.objects.filter(email__iexact=typed.strip(), verified=True).values_list(
            "user__username", flat=True
        )[:2]
    )
    return owners[0] if len(owners) == 1 else typed


def finish_login(request: HttpRequest, user: Any, *, redirect_url: str | None) -> HttpResponse:
    """Run allauth's login steps for a user whose password was right.

    Accounts made by sign-up have an e-mail address on record and must have verified it;
    logins an admin made (no address on record, the demo's among them) are not asked to.
    """
    # As allauth's own password form does: the session's record of how it was authenticated
    # (allauth adds the second factor to it, and asks for the password again before a change
    # to two-factor itself).
    record_authentication(request, user, method="password", username=user.get_username())
    has_address = EmailAddress.objects.filter(user=user).exists()
    verification = EmailVerificationMethod.MANDATORY if has_address else EmailVerificationMethod.NONE
    return perform_login(
        request, Login(user=user, email_verification=verification, redirect_url=redirect_url)
    )


def two_factor_missing(request: HttpRequest) -> bool:
    """Staff must have passed a second factor in this session before a console action that
    moves money: its login has two-factor on and this session gave a code (at login, or when
    it set the factor up). A session that logged in with a password before the factor was
    added elsewhere has not."""
    if not settings.STAFF_TWO_FACTOR:
        return False
    user = request.user
    if not is_mfa_enabled(user):
        return True
    return not any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def record_factor_set_up(request: HttpRequest, user: Any) -> None:
    """Setting up a factor proves it (the code was given): this session has passed it."""
    record_authentication(request, user, method="mfa", set_up=True)
