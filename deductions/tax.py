"""Payees' tax profiles: recording one (API and Django admin) and the withholding rate it
decides (docs/rules.md §2 Deductions)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from artists.models import Payee
from deductions.errors import Rejected, rate_parse
from deductions.models import TaxProfile
from kalipxo.validation import COUNTRY_MESSAGE, Errors, normalize_country, unknown_fields

FIELDS = ("form", "country", "treaty_rate")
# What a W-8BEN(-E) without a treaty rate recorded withholds: the US statutory 30%.
UNTREATIED_RATE = Decimal("0.30")
TREATY_FORMS = (TaxProfile.Form.W8BEN, TaxProfile.Form.W8BENE)


@dataclass(frozen=True)
class TaxTerms:
    form: str
    country: str
    treaty_rate: Decimal | None


def tax_terms_parse(payload: Any) -> TaxTerms:
    """The profile a PUT body describes, or Rejected(400) naming every field to fix."""
    if not isinstance(payload, dict):
        example = '{"form": "w8ben", "country": "DE", "treaty_rate": "0"}'
        raise Rejected(400, {"detail": f"Send one JSON object: {example}."})
    errors: Errors = unknown_fields(payload, FIELDS)
    form = payload.get("form")
    if form not in TaxProfile.Form.values:
        errors["form"] = [f"One of {', '.join(TaxProfile.Form.values)}."]
    country = ""
    if payload.get("country") not in (None, ""):
        country = normalize_country(payload["country"]) or ""
        if not country:
            errors["country"] = [COUNTRY_MESSAGE]
    rate: Decimal | None = None
    if payload.get("treaty_rate") is not None:
        if form not in TREATY_FORMS:
            errors["treaty_rate"] = ["Only a W-8BEN or W-8BEN-E (w8ben, w8bene) records a treaty rate."]
        else:
            rate = rate_parse(payload["treaty_rate"], field_name="treaty_rate", errors=errors)
    if errors:
        raise Rejected(400, errors)
    return TaxTerms(form=str(form), country=country, treaty_rate=rate)


def tax_profile_record(*, payee: Payee, terms: TaxTerms, recorded_by: str) -> tuple[TaxProfile, bool]:
    """Record the payee's profile; (profile, created). The same terms as the current profile
    return it unchanged, so a PUT repeated is one record."""
    current = current_tax_profile(payee.pk)
    if current is not None and (current.form, current.country, current.treaty_rate) == (
        terms.form,
        terms.country,
        terms.treaty_rate,
    ):
        return current, False
    profile = TaxProfile.objects.create(
        payee=payee,
        form=terms.form,
        country=terms.country,
        treaty_rate=terms.treaty_rate,
        recorded_by=recorded_by[:200],
    )
    return profile, True


def current_tax_profile(payee_id: str) -> TaxProfile | None:
    return TaxProfile.objects.filter(payee_id=payee_id).order_by("-recorded_at", "-id").first()


def current_tax_profiles(payee_ids: list[str] | None = None) -> dict[str, TaxProfile]:
    """Each payee's latest profile (all payees with one, or those of `payee_ids`)."""
    rows = TaxProfile.objects.order_by("payee_id", "-recorded_at", "-id")
    if payee_ids is not None:
        rows = rows.filter(payee_id__in=payee_ids)
    latest: dict[str, TaxProfile] = {}
    for profile in rows.iterator(chunk_size=5000):
        latest.setdefault(profile.payee_id, profile)
    return latest


def withholding_rate(profile: TaxProfile | None, *, without_form: Decimal) -> Decimal:
    """The rate a profile decides: W-9 → 0; W-8BEN(-E) → its treaty rate (0.30 when none is
    recorded); no form → `without_form` (docs/rules.md §2 Deductions)."""
    if profile is None or profile.form == TaxProfile.Form.NONE:
        return without_form
    if profile.form == TaxProfile.Form.W9:
        return Decimal(0)
    return UNTREATIED_RATE if profile.treaty_rate is None else profile.treaty_rate


def tax_profile_as_dict(profile: TaxProfile | None, *, without_form: Decimal) -> dict[str, Any]:
    return {
        "form": profile.form if profile else TaxProfile.Form.NONE.value,
        "country": profile.country if profile else "",
        "treaty_rate": None
        if profile is None or profile.treaty_rate is None
        else format(profile.treaty_rate.normalize(), "f"),
        "withholding_rate": format(withholding_rate(profile, without_form=without_form).normalize(), "f"),
        "recorded_by": profile.recorded_by if profile else "",
        "recorded_at": profile.recorded_at if profile else None,
    }
