"""allauth's forms where the service needs one more step."""

from typing import Any

from allauth.core import context
from allauth.mfa.totp.forms import ActivateTOTPForm

from accounts.login import record_factor_set_up


class ActivateAuthenticatorForm(ActivateTOTPForm):
    """Setting up an authenticator app with a right code proves the factor: the session that
    did it has passed it (docs/rules.md "Accounts"), as a login with the code would have."""

    def clean_code(self) -> Any:
        code = super().clean_code()
        record_factor_set_up(context.request, self.user)
        return code
