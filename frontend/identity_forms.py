"""The artist's identity form (Know Your Artist). The form only carries the fields:
payments.identity checks them, and its messages are put on the fields they are about."""

import unicodedata
from typing import Any

import pycountry
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from frontend.forms import AccessibleErrorsMixin
from payments.models import Method, Verification

MIB = 1024 * 1024
ACCEPTED = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


def country_choices() -> list[tuple[str, str]]:
    """Every assigned ISO 3166-1 country, by its common name."""
    countries = ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries)
    return [("", "Choose a country"), *sorted(countries, key=lambda c: _alphabetical(c[1]))]


def _alphabetical(name: str) -> str:
    """Åland beside Albania, Côte d'Ivoire beside Costa Rica: letters without their accents."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def country_name(code: str) -> str:
    """ "Germany (DE)"; the code alone if it is not an assigned one."""
    found = pycountry.countries.get(alpha_2=code) if code else None
    return f"{getattr(found, 'common_name', found.name)} ({code})" if found else code


def _select(choices: Any, **attrs: Any) -> forms.Select:
    return forms.Select(choices=choices, attrs={"required": True, **attrs})


class IdentityForm(AccessibleErrorsMixin, forms.Form):
    entity = forms.CharField(
        label="A person or a company",
        required=False,
        widget=_select([("", "Choose one"), *Verification.Entity.choices]),
        help_text="A person: the artist, or the band member who is paid. "
        "A company: the artist's own company.",
    )
    legal_name = forms.CharField(
        label="Legal name",
        required=False,
        max_length=300,
        help_text="As on the identity document; a company's as in its register.",
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "name"}),
    )
    date_of_birth = forms.CharField(
        label="Date of birth (a person)",
        required=False,
        help_text="As on your identity document. You must be at least 16.",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    company_number = forms.CharField(
        label="Company registration number (a company)",
        required=False,
        max_length=50,
        help_text="As in the company register, e.g. HRB 12345.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    country = forms.CharField(
        label="Country",
        required=False,
        widget=_select(country_choices(), autocomplete="country"),
    )
    address = forms.CharField(
        label="Postal address",
        required=False,
        max_length=600,
        help_text="Street and number, postcode and town, on as many lines as you need.",
        widget=forms.Textarea(attrs={"rows": 3, "required": True, "autocomplete": "street-address"}),
    )
    document = forms.FileField(
        label="Identity document",
        required=False,
        help_text="A passport or national identity card (a person), or an extract of the company register "
        "(a company): a PDF, JPEG or PNG file of at most 10 MB. Only Kalipxo staff see it.",
        widget=forms.FileInput(attrs={"accept": ACCEPTED, "required": True}),
    )
    method = forms.CharField(
        label="Payout method", required=False, widget=_select([("", "Choose one"), *Method.choices])
    )
    iban = forms.CharField(
        label="IBAN (a bank account)",
        required=False,
        max_length=50,
        help_text="e.g. DE89 3704 0044 0532 0130 00.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    account_holder = forms.CharField(
        label="Account holder's name, as the bank has it",
        required=False,
        max_length=300,
        help_text="Leave it empty if it is the legal name above: the account must be in that name.",
    )
    paypal_email = forms.CharField(
        label="PayPal e-mail (PayPal)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        most = int(settings.IDENTITY_DOCUMENT_MAX_BYTES)
        size = f"{most // MIB} MB" if most % MIB == 0 else filesizeformat(most)
        document = self.fields["document"]
        document.help_text = document.help_text.replace("10 MB", size)
        for name, field in self.fields.items():
            if field.help_text:  # the help's id in frontend/_field.html (Django's own is another)
                field.widget.attrs.setdefault("aria-describedby", f"{self[name].auto_id}_helptext")

    def refuse(self, errors: dict[str, list[str]]) -> None:
        """Put payments.identity's problems on their fields, wired for screen readers."""
        for name, problems in errors.items():
            field = name if name in self.fields else None
            for problem in problems:
                self.add_error(field, problem)
            if field is not None:
                bound = self[field]
                described = [f"{bound.auto_id}_error"] + (
                    [f"{bound.auto_id}_helptext"] if bound.help_text else []
                )
                bound.field.widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": " ".join(described)}
                )
