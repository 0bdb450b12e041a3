"""Distribution fee agreements: recording them (from the API and the Django admin) and the
rate a distributor's agreements set for a month (docs/rules.md §2 Deductions)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from artists.models import Distributor
from deductions.errors import Rejected, rate_parse
from deductions.models import FeeAgreement
from kalipxo.validation import Errors, month_label, parse_month, unknown_fields
from streams.selectors import is_month_closed

FIELDS = ("fee_rate", "from_month")


@dataclass(frozen=True)
class AgreementTerms:
    fee_rate: Decimal
    from_month: date


def agreement_terms_parse(payload: Any) -> AgreementTerms:
    """The terms of a POST body, or Rejected(400) naming every field to fix."""
    if not isinstance(payload, dict):
        raise Rejected(
            400, {"detail": 'Send one JSON object: {"fee_rate": "0.15", "from_month": "2026-10"}.'}
        )
    errors: Errors = unknown_fields(payload, FIELDS)
    rate: Decimal | None = None
    if "fee_rate" not in payload:
        errors["fee_rate"] = ['Required: a rate from "0" to "1", e.g. "0.15" for 15%.']
    else:
        rate = rate_parse(payload["fee_rate"], field_name="fee_rate", errors=errors)
    month = parse_month(payload.get("from_month")) if "from_month" in payload else 'Required: "YYYY-MM".'
    if isinstance(month, str):
        errors["from_month"] = [month]
    if errors or rate is None or isinstance(month, str):
        raise Rejected(400, errors)
    return AgreementTerms(fee_rate=rate, from_month=month)


def fee_agreement_record(
    *, distributor: Distributor, terms: AgreementTerms, recorded_by: str
) -> tuple[FeeAgreement, bool]:
    """Record an agreement; (agreement, created). The same terms again return the agreement
    already recorded; `fee_agreement_check` says what is refused."""
    fee_agreement_check(distributor=distributor, terms=terms)
    existing = FeeAgreement.objects.filter(distributor=distributor, from_month=terms.from_month).first()
    if existing is None:
        try:
            with transaction.atomic():
                agreement = FeeAgreement.objects.create(
                    distributor=distributor,
                    fee_rate=terms.fee_rate,
                    from_month=terms.from_month,
                    recorded_by=recorded_by[:200],
                )
                return agreement, True
        except IntegrityError:  # the same month recorded at the same moment: check it again
            fee_agreement_check(distributor=distributor, terms=terms)
            existing = FeeAgreement.objects.get(distributor=distributor, from_month=terms.from_month)
    return existing, False


def fee_agreement_check(*, distributor: Distributor, terms: AgreementTerms) -> None:
    """Rejected(409) for a month already closed (its money is final: a correction is an
    adjustment) or a different rate from a month that already has one (never an edit)."""
    label = month_label(terms.from_month)
    if is_month_closed(terms.from_month):
        raise Rejected(
            409,
            {
                "from_month": [
                    f"{label} is closed: its fees are final. Record the new rate from an open month."
                ]
            },
        )
    existing = FeeAgreement.objects.filter(distributor=distributor, from_month=terms.from_month).first()
    if existing is not None and existing.fee_rate != terms.fee_rate:
        raise Rejected(
            409,
            {
                "from_month": [
                    f"{distributor.name} already has a rate of {existing.fee_rate.normalize():f} "
                    f"from {label}; "
                    "agreements are never edited: record the new rate from a later month."
                ]
            },
        )


def fee_rate_for(agreements: list[FeeAgreement], month: date) -> Decimal:
    """The rate of the latest agreement starting in or before `month`; 0 without one."""
    started = [a for a in agreements if a.from_month <= month]
    return max(started, key=lambda a: a.from_month).fee_rate if started else Decimal(0)


def agreement_as_dict(agreement: FeeAgreement) -> dict[str, Any]:
    return {
        "distributor": agreement.distributor.name,
        "fee_rate": format(agreement.fee_rate.normalize(), "f"),
        "from_month": month_label(agreement.from_month),
        "recorded_by": agreement.recorded_by,
        "created_at": agreement.created_at,
    }
