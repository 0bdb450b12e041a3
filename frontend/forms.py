"""Forms of the pages: login (throttled; the admin's too) and password change, with accessible
error wiring."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from frontend.throttle import refused_for

THROTTLED = (
    "Too many failed attempts for this username from your address. Wait %(wait)s before "
    "trying again, or ask an admin to reset your password."
)


def wait_text(seconds: int) -> str:
    """2 -> "2 seconds", 64 -> "1 minute 4 seconds", 900 -> "15 minutes"."""
    minutes, seconds = divmod(seconds, 60)
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((minutes, "minute"), (seconds, "second")) if n
    ]
    return " ".join(parts) or "0 seconds"


class AccessibleErrorsMixin:
    """Mark invalid inputs with aria-invalid and point them at their error list."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                field = self[name]  # type: ignore[index]
                attrs = field.field.widget.attrs
                attrs["aria-invalid"] = "true"
                described = [f"{field.auto_id}_error"]
                if field.help_text:
                    described.append(f"{field.auto_id}_helptext")  # the id Django points at
                attrs["aria-describedby"] = " ".join(described)


class ThrottleMessageMixin:
    """Say that a throttled login was refused, and for how long, instead of "wrong password".

    The same words whether the username exists or not, and the password was not checked,
    so the message tells a guesser nothing about either.
    """

    request: Any

    def get_invalid_login_error(self) -> forms.ValidationError:
        wait = refused_for(self.request)
        if wait is None:
            return super().get_invalid_login_error()  # type: ignore[misc]
        return forms.ValidationError(THROTTLED, code="throttled", params={"wait": wait_text(wait)})


class LoginForm(AccessibleErrorsMixin, ThrottleMessageMixin, AuthenticationForm):
    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})


class PasswordForm(AccessibleErrorsMixin, PasswordChangeForm):
    pass


class ClaimCodeForm(AccessibleErrorsMixin, forms.Form):
    code = forms.CharField(
        label="Claim code",
        max_length=40,
        help_text="From your distributor, a Kalipxo admin, or the artist's owner, "
        "e.g. KX-ABCD-EFGH-JKMN-PQRS.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class ClaimRequestForm(AccessibleErrorsMixin, forms.Form):
    artist = forms.CharField(
        label="Artist id", max_length=64, help_text="As it appears in your distributor's catalog."
    )
    links = forms.CharField(
        label="Links that show you are the artist",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your website, social profiles, a label page: one a line.",
    )
    note = forms.CharField(
        label="A note for the reviewer",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(AccessibleErrorsMixin, forms.Form):
    email = forms.EmailField(
        label="Their e-mail (optional)",
        required=False,
        help_text="We send the code there; you see it here too.",
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[("viewer", "Viewer: sees the pages"), ("owner", "Owner: also invites, removes, gets paid")],
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=500)
