"""What the payments console and a payee's dashboard card show. Nothing here writes."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from frontend.identity_forms import country_name
from kalipxo.money import format_minor, minor_exponent
from kalipxo.months import add_months, current_month, month_name
from kalipxo.validation import month_label
from ledger.accounts import account_parse
from ledger.models import Adjustment
from payments.batches import batch_as_dict
from payments.identity import type_label
from payments.models import AuditEntry, Payment, PaymentBatch, Verification
from payments.selectors import balance_view, payment_as_dict
from payments.verification import holder_id_of, masked_method, payment_hold
from payouts.models import PayoutRun
from streams.models import ClosedMonth

QUEUE_LIMIT = 200
AUDIT_LIMIT = 50


def _needs_confirmation(verification: Verification) -> bool:
    return verification.method_replaced and verification.method_confirmed_at is None


def verification_queue() -> list[dict[str, Any]]:
    """Pending and rejected holders, possible sanctions matches, and replaced accounts not
    re-confirmed: oldest request first."""
    now = timezone.now()
    rows = (
        Verification.objects.filter(status__in=[Verification.Status.PENDING, Verification.Status.UNVERIFIED])
        | Verification.objects.filter(screening=Verification.Screening.HIT)
        | Verification.objects.filter(method_replaced=True, method_confirmed_at__isnull=True)
    )
    queue = []
    for v in rows.select_related("payee", "distributor").order_by("requested_at", "id")[:QUEUE_LIMIT]:
        held = payment_hold(v, now=now)
        if (
            v.status == Verification.Status.VERIFIED
            and held is None
            and v.screening != Verification.Screening.HIT
        ):
            continue  # a replaced account whose hold is over: nothing to decide
        holder = v.payee if v.payee_id else v.distributor
        queue.append(
            {
                "id": v.pk,
                "holder": getattr(holder, "name", ""),
                "holder_id": holder_id_of(payee_id=v.payee_id, distributor_id=v.distributor_id),
                "status": v.status,
                "status_label": v.get_status_display(),
                "since": v.requested_at or v.updated_at,
                "legal_name": v.legal_name,
                "method": masked_method(v.method, v.iban, v.paypal_email),
                "holder_name": v.holder,
                "holder_matches": v.holder_matches,
                "screening": v.screening,
                "screening_label": v.get_screening_display(),
                "screening_match": v.screening_match,
                "screening_list": v.screening_list,
                "screened_at": v.screened_at,
                "held": held,
                "can_verify": v.status != Verification.Status.VERIFIED and bool(v.method and v.legal_name),
                "needs_confirmation": _needs_confirmation(v),
                **_identity_evidence(v),
            }
        )
    return queue


def _identity_evidence(v: Verification) -> dict[str, Any]:
    """What the artist's owner submitted (Know Your Artist), if it did."""
    document = (
        {"name": v.document_name, "type": type_label(v.document_type), "size": v.document_size}
        if v.document
        else None
    )
    return {
        "entity": v.entity,
        "entity_label": v.get_entity_display() if v.entity else "",
        "date_of_birth": v.date_of_birth,
        "company_number": v.company_number,
        "country": country_name(v.country),
        "address": v.address,
        "document": document,
        "submitted_by": v.submitted_by,
        "submitted_at": v.submitted_at,
    }


def batches_overview(*, viewer: str) -> list[dict[str, Any]]:
    rows = []
    for batch in PaymentBatch.objects.order_by("-month")[:24]:
        body = batch_as_dict(batch)
        rows.append(
            {
                **body,
                "month_name": month_name(batch.month),
                "status_label": batch.get_status_display(),
                "can_approve": batch.created_by != viewer,
            }
        )
    return rows


def payable_months() -> list[dict[str, str]]:
    """Finalized months without a batch yet, newest first."""
    taken = set(PaymentBatch.objects.values_list("month", flat=True))
    months = PayoutRun.objects.filter(status=PayoutRun.Status.FINALIZED).order_by("-month")
    return [
        {"key": month_label(run.month), "name": month_name(run.month)}
        for run in months
        if run.month not in taken
    ]


def audit_entries() -> list[dict[str, Any]]:
    return [
        {
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "detail_text": "; ".join(f"{k}: {v}" for k, v in e.detail.items() if v not in ("", None, [])),
        }
        for e in AuditEntry.objects.order_by("-id")[:AUDIT_LIMIT]
    ]


def hold_hours() -> int:
    return int(settings.PAYOUT_METHOD_HOLD_HOURS)


def payee_money(payee: Any, *, payee_id: str) -> dict[str, Any]:
    """A payee's balance, why it is not paid if it is not, and its payments, newest first."""
    view = balance_view(payee, payee_id=payee_id)
    payments = (
        Payment.objects.filter(payee=payee).select_related("batch").order_by("-batch__month", "-id")[:12]
        if payee is not None
        else []
    )
    return {
        **view,
        # Whether there is money to pay, and money on its way, in any currency's minor unit.
        "has_balance": Decimal(view["balance"]) > 0,
        "has_transit": Decimal(view["in_transit"]) > 0,
        "payments": [{**payment_as_dict(p), "month_name": month_name(p.batch.month)} for p in payments],
    }


def open_months() -> list[dict[str, str]]:
    """Months an adjustment may be posted with: from the month after the last one closed to
    this month."""
    last = ClosedMonth.objects.order_by("-month").values_list("month", flat=True).first()
    month = add_months(last, 1) if last else current_month()
    months = []
    while month <= current_month():
        months.append({"key": month_label(month), "name": month_name(month)})
        month = add_months(month, 1)
    return months or [{"key": month_label(current_month()), "name": month_name(current_month())}]


def adjustments_waiting(*, viewer: str) -> list[dict[str, Any]]:
    """Adjustments not posted yet, oldest first."""
    places = minor_exponent()
    return [
        {
            "id": a.pk,
            "holder": account_parse(a.account).key,
            "month_name": month_name(a.month),
            "amount": format_minor(a.amount_minor, places),
            "reason": a.reason,
            "created_by": a.created_by,
            "approved_by": a.approved_by,
            "can_approve": not a.approved_by and a.created_by != viewer,
        }
        for a in Adjustment.objects.filter(run_id__isnull=True).order_by("id")[:100]
    ]


def tax_years() -> list[int]:
    """Years with a finalized month, newest first (each has a year-end summary)."""
    months = PayoutRun.objects.filter(status=PayoutRun.Status.FINALIZED).values_list("month", flat=True)
    return sorted({m.year for m in months}, reverse=True)
