"""The deductions' inputs in the Django admin: recorded through the same services as the
API (never edited, never for a closed month), so the admin cannot bypass their rules."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from deductions import agreements, tax
from deductions.errors import Rejected
from deductions.models import FeeAgreement, TaxProfile


def _messages(exc: Rejected) -> list[str]:
    return [" ".join(v) if isinstance(v, list) else str(v) for v in exc.body.values()]


class FeeAgreementForm(forms.ModelForm):
    class Meta:
        model = FeeAgreement
        fields = ["distributor", "fee_rate", "from_month"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        month = data["from_month"].replace(day=1)
        terms = agreements.AgreementTerms(fee_rate=data["fee_rate"], from_month=month)
        try:
            agreements.fee_agreement_check(distributor=data["distributor"], terms=terms)
        except Rejected as exc:
            raise forms.ValidationError(_messages(exc)) from exc
        data["from_month"] = month
        return data


@admin.register(FeeAgreement)
class FeeAgreementAdmin(admin.ModelAdmin):
    form = FeeAgreementForm
    list_display = ["distributor", "fee_rate", "from_month", "recorded_by", "created_at"]
    list_filter = ["distributor", "from_month"]
    search_fields = ["distributor__name", "recorded_by"]
    date_hierarchy = "from_month"

    def save_model(self, request: HttpRequest, obj: FeeAgreement, form: Any, change: bool) -> None:
        terms = agreements.AgreementTerms(fee_rate=obj.fee_rate, from_month=obj.from_month)
        agreement, _ = agreements.fee_agreement_record(
            distributor=obj.distributor, terms=terms, recorded_by=request.user.get_username()
        )
        obj.pk = agreement.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # History is kept: a new rate is a new agreement, never an edit of an old one.
        return obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TaxProfileForm(forms.ModelForm):
    class Meta:
        model = TaxProfile
        fields = ["payee", "form", "country", "treaty_rate"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        payload = {"form": data["form"], "country": data.get("country") or None}
        if data.get("treaty_rate") is not None:
            payload["treaty_rate"] = str(data["treaty_rate"])
        try:
            terms = tax.tax_terms_parse(payload)
        except Rejected as exc:
            raise forms.ValidationError(_messages(exc)) from exc
        data["country"] = terms.country
        return data


@admin.register(TaxProfile)
class TaxProfileAdmin(admin.ModelAdmin):
    form = TaxProfileForm
    list_display = ["payee", "form", "country", "treaty_rate", "recorded_by", "recorded_at"]
    list_filter = ["form", "country"]
    search_fields = ["payee__id", "payee__name", "recorded_by"]
    autocomplete_fields = ["payee"]

    def save_model(self, request: HttpRequest, obj: TaxProfile, form: Any, change: bool) -> None:
        terms = tax.TaxTerms(form=obj.form, country=obj.country, treaty_rate=obj.treaty_rate)
        profile, _ = tax.tax_profile_record(
            payee=obj.payee, terms=terms, recorded_by=request.user.get_username()
        )
        obj.pk = profile.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A new form is a new profile: the history of what was on file is kept.
        return obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
