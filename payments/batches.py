"""Monthly remittance (docs/rules.md §2 Payees and payments): one batch per finalized month
paying every verified holder whose balance is positive, approved by a second person, and
the results that come back.

Creating a batch moves each amount from the holder's accounts to the payment's own transit
account in one ledger transaction, so no later batch can pay it again. A result moves it on:
`paid` to cash; `failed` back to the holder's accounts; `paid → returned` from cash back to
them, each once (its ledger key is the payment's reference and the result).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kalipxo.money import currency, format_minor, minor_exponent
from kalipxo.validation import Errors, month_label
from ledger import accounts
from ledger.accounts import Account
from ledger.services import transaction_write
from payments.audit import audit
from payments.balances import Balance, all_balances
from payments.models import Payment, PaymentBatch, SanctionsList, Verification
from payments.sanctions import screening_apply
from payments.signals import batch_sent, payments_returned
from payments.verification import holder_id_of, payment_hold
from payouts.artist_selectors import final_run

TRANSITIONS = {
    (Payment.Status.PENDING, Payment.Status.PAID),
    (Payment.Status.PENDING, Payment.Status.FAILED),
    (Payment.Status.PAID, Payment.Status.RETURNED),
}


class BatchRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status, self.body = status, body


def _reference(batch: PaymentBatch, n: int) -> str:
    """Unique, at most 30 characters of A-Z and 0-9 (PayPal's customer id; a SEPA end-to-end id)."""
    return f"KX{batch.month:%Y%m}B{batch.pk}N{n:06d}"


def _accounts_of(payment: Payment) -> list[tuple[Account, int]]:
    """The holder's accounts a payment took from, with what it took from each."""
    if payment.distributor_id is not None:
        return [(accounts.fees(str(payment.distributor_id)), payment.amount_minor)]
    payee = str(payment.payee_id)
    return [
        (accounts.payable(payee), payment.recording_minor),
        (accounts.publishing(payee), payment.publishing_minor),
    ]


@dataclass(frozen=True)
class _Due:
    verification: Verification
    balance: Balance


def _due(now: Any) -> list[_Due]:
    """Verified holders with a positive balance and no hold; a screening against an older
    list is done again first (a hit goes to review and is not paid).

    The verified rows are locked before any balance is read, so that two batches made at the
    same moment (of two months) queue: the second reads the balances the first left, and no
    amount is put in two batches. Caller holds a transaction."""
    verified = list(
        Verification.objects.select_for_update(of=("self",))
        .filter(status=Verification.Status.VERIFIED)
        .select_related("payee", "distributor")
        .order_by("id")
    )
    payees, distributors = all_balances()
    current = SanctionsList.objects.first()
    due: list[_Due] = []
    for verification in verified:
        if verification.payee_id is not None:
            balance = payees.get(verification.payee_id, Balance())
        else:
            balance = distributors.get(int(verification.distributor_id or 0), Balance())
        if balance.total_minor <= 0:
            continue
        if (
            current is not None
            and verification.screening != Verification.Screening.CLEARED
            and verification.screening_list != current.version
        ):
            screening_apply(verification, names=[verification.legal_name, verification.holder])
            if verification.screening == Verification.Screening.HIT:
                verification.status = Verification.Status.PENDING
                verification.requested_at = now
            verification.save()
        if payment_hold(verification, now=now) is None:
            due.append(_Due(verification, balance))
    return due


def batch_create(*, month: date, actor: str) -> tuple[PaymentBatch, bool]:
    """The month's batch, created now (True) or as it was created before (False)."""
    existing = PaymentBatch.objects.filter(month=month).first()
    if existing is not None:
        return existing, False
    run = final_run(month)
    if run is None:
        raise BatchRefused(
            409, {"month": [f"{month_label(month)} is not finalized yet: pay it after its run is."]}
        )
    try:
        with transaction.atomic():
            batch = PaymentBatch.objects.create(
                month=month, run_id=run.pk, currency=currency(), created_by=actor[:200]
            )
            _fill(batch, actor=actor)
    except IntegrityError:  # created at the same moment by another request
        return PaymentBatch.objects.get(month=month), False
    return batch, True


def _fill(batch: PaymentBatch, *, actor: str) -> None:
    now = timezone.now()
    payments: list[Payment] = []
    for n, item in enumerate(_due(now), start=1):
        v = item.verification
        name = v.holder if v.holder else v.legal_name
        payments.append(
            Payment(
                batch=batch,
                reference=_reference(batch, n),
                payee_id=v.payee_id,
                distributor_id=v.distributor_id,
                amount_minor=item.balance.total_minor,
                recording_minor=item.balance.recording_minor,
                publishing_minor=item.balance.publishing_minor,
                method=v.method,
                name=name[:300],
                iban=v.iban,
                bic=v.bic,
                paypal_email=v.paypal_email,
            )
        )
    Payment.objects.bulk_create(payments, batch_size=2000)
    postings: list[tuple[Account, int]] = []
    for payment in payments:
        postings.extend((account, -amount) for account, amount in _accounts_of(payment))
        postings.append((accounts.transit(payment.reference), payment.amount_minor))
    transaction_write(
        key=f"batch:{batch.pk}:sent",
        run_id=None,
        description=f"Payments of {month_label(batch.month)} (batch {batch.pk})",
        currency=batch.currency,
        postings=postings,
    )
    batch.total_minor = sum(p.amount_minor for p in payments)
    batch.save(update_fields=["total_minor"])
    audit(
        actor=actor,
        action="batch.created",
        subject=f"batch:{batch.pk}",
        detail={
            "month": month_label(batch.month),
            "payments": len(payments),
            "total_minor": batch.total_minor,
        },
    )


def batch_approve(*, batch: PaymentBatch, actor: str) -> PaymentBatch:
    """Four eyes: anyone with the right but the batch's creator. Approving again changes nothing."""
    if batch.status == PaymentBatch.Status.APPROVED:
        return batch
    if actor == batch.created_by:
        raise BatchRefused(403, {"detail": f"{actor} created this batch; someone else must approve it."})
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PaymentBatch.Status.APPROVED:
            locked.status, locked.approved_by, locked.approved_at = (
                PaymentBatch.Status.APPROVED,
                actor[:200],
                timezone.now(),
            )
            locked.save(update_fields=["status", "approved_by", "approved_at"])
            audit(actor=actor, action="batch.approved", subject=f"batch:{batch.pk}")
            transaction.on_commit(lambda: batch_sent.send(sender=PaymentBatch, batch_id=batch.pk))
    return locked


@dataclass(frozen=True)
class ResultIn:
    reference: str
    status: str
    reason: str


def results_parse(batch: PaymentBatch, payload: Any) -> list[ResultIn]:
    """A results request, or 400 naming each item's field to fix (nothing applied)."""
    if not isinstance(payload, list) or not payload:
        raise BatchRefused(
            400,
            {"detail": 'Send a JSON array: [{"reference", "status": "paid"|"failed"|"returned", "reason"}].'},
        )
    if len(payload) > 10_000:
        raise BatchRefused(400, {"detail": "At most 10,000 results per request."})
    errors: Errors = {}
    items: list[ResultIn] = []
    references = [item.get("reference") for item in payload if isinstance(item, dict)]
    known = dict(
        Payment.objects.filter(reference__in=[r for r in references if isinstance(r, str)]).values_list(
            "reference", "batch_id"
        )
    )
    for i, item in enumerate(payload):
        if not isinstance(item, dict):
            errors[f"[{i}]"] = ["An object with reference, status and reason."]
            continue
        for name in sorted(set(item) - {"reference", "status", "reason"}):
            errors[f"[{i}].{name[:64]}"] = ["Unknown field; remove it."]
        reference, status, reason = item.get("reference"), item.get("status"), item.get("reason", "")
        if not isinstance(reference, str) or reference not in known:
            shown = reference[:40] if isinstance(reference, str) else reference
            errors[f"[{i}].reference"] = [f"No payment {shown!r} in any batch."]
        elif known[reference] != batch.pk:
            errors[f"[{i}].reference"] = [
                f"Payment {reference} is in batch {known[reference]}, not batch {batch.pk}."
            ]
        if status not in (Payment.Status.PAID, Payment.Status.FAILED, Payment.Status.RETURNED):
            errors[f"[{i}].status"] = ['One of "paid", "failed", "returned".']
        if reason is None:
            reason = ""
        if not isinstance(reason, str) or len(reason) > 500:
            errors[f"[{i}].reason"] = ["A sentence of at most 500 characters, e.g. the bank's reason code."]
        if not errors:
            items.append(ResultIn(str(reference), str(status), reason.strip()))
    if errors:
        raise BatchRefused(400, errors)
    return items


def results_apply(*, batch: PaymentBatch, items: list[ResultIn], actor: str) -> list[Payment]:
    """Apply results in order, all or nothing. The same result again changes nothing; a
    transition other than pending → paid, pending → failed, paid → returned is a 409."""
    if batch.status != PaymentBatch.Status.APPROVED:
        raise BatchRefused(409, {"detail": "The batch is not approved: no payment of it was sent."})
    with transaction.atomic():
        by_reference = {
            p.reference: p
            for p in Payment.objects.select_for_update().filter(
                batch=batch, reference__in=[i.reference for i in items]
            )
        }
        changed: list[Payment] = []
        conflicts: Errors = {}
        for i, item in enumerate(items):
            payment = by_reference[item.reference]
            if payment.status == item.status:
                continue  # applied before: nothing changes
            if (payment.status, item.status) not in TRANSITIONS:
                conflicts[f"[{i}].status"] = [
                    f"Payment {payment.reference} is {payment.status}: it cannot become {item.status}."
                ]
                continue
            payment.reason = item.reason
            _post_result(batch, payment, item.status)
            payment.status, payment.status_at = item.status, timezone.now()
            payment.save(update_fields=["status", "reason", "status_at", "updated_at"])
            changed.append(payment)
        if conflicts:
            transaction.set_rollback(True)
            raise BatchRefused(409, conflicts)
        if changed:
            audit(
                actor=actor,
                action="batch.results",
                subject=f"batch:{batch.pk}",
                detail={"applied": [[p.reference, p.status] for p in changed]},
            )
        back = [p.pk for p in changed if p.status != Payment.Status.PAID]
        if back:
            transaction.on_commit(lambda: payments_returned.send(sender=Payment, payment_ids=back))
    return changed


def _post_result(batch: PaymentBatch, payment: Payment, status: str) -> None:
    transit, amount = accounts.transit(payment.reference), payment.amount_minor
    back = _accounts_of(payment)
    if status == Payment.Status.PAID:
        postings = [(transit, -amount), (accounts.CASH, amount)]
    elif status == Payment.Status.FAILED:
        postings = [(transit, -amount), *back]
    else:  # returned after it was paid
        postings = [(accounts.CASH, -amount), *back]
    transaction_write(
        key=f"payment:{payment.reference}:{status}",
        run_id=None,
        description=f"Payment {payment.reference} {status}"
        + (f": {payment.reason}" if payment.reason else ""),
        currency=batch.currency,
        postings=postings,
    )


def batch_as_dict(batch: PaymentBatch, *, items: bool = False) -> dict[str, Any]:
    places = minor_exponent(batch.currency)
    # Only the items need the rows; a summary (the console's list of batches) counts them.
    payments = list(batch.payments.order_by("reference")) if items else []
    body: dict[str, Any] = {
        "id": batch.pk,
        "month": month_label(batch.month),
        "status": batch.status,
        "payments": len(payments) if items else batch.payments.count(),
        "total": format_minor(batch.total_minor, places),
        "currency": batch.currency,
        "created_by": batch.created_by,
        "approved_by": batch.approved_by or None,
    }
    if items:
        body["items"] = [
            {
                "reference": p.reference,
                "payee": holder_id_of(payee_id=p.payee_id, distributor_id=p.distributor_id),
                "amount": format_minor(p.amount_minor, places),
                "method": p.method,
                "status": p.status,
                "reason": p.reason,
            }
            for p in payments
        ]
    return body
