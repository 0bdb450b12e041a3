"""Forms of the pages: login (throttled) and password change, with accessible error wiring."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from frontend.throttle import client_address, login_locked


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
                    described.append(f"{field.auto_id}_help")
                attrs["aria-describedby"] = " ".join(described)


class LoginForm(AccessibleErrorsMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed attempts for this username. Wait 15 minutes and try again, "
        "or ask an admin to reset your password.",
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        # Checked here as well as in the backend, to say why instead of "wrong password".
        if username and login_locked(username=username, address=client_address(self.request)):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        return super().clean()


class PasswordForm(AccessibleErrorsMixin, PasswordChangeForm):
    pass
