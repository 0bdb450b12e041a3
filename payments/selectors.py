"""Reads for people: a payee's balance and payment status, the verification queue."""

from typing import Any

from django.db.models import Q, Sum

from artists.models import Distributor, Payee
from kalipxo.money import currency, format_minor, minor_exponent
from kalipxo.validation import month_label
from payments.balances import distributor_balance, payee_balance
from payments.models import Payment, Verification
from payments.verification import masked_method, payment_hold


def _holder_q(holder: Payee | Distributor) -> Q:
    return Q(payee=holder) if isinstance(holder, Payee) else Q(distributor=holder)


def payment_status_line(payment: Payment) -> str:
    """What happened to a payment, as the payee reads it."""
    account = masked_method(payment.method, payment.iban, payment.paypal_email)
    when = f"{payment.status_at:%-d %b}" if payment.status_at else ""
    if payment.status == Payment.Status.PAID:
        return f"Paid {when} to {account}."
    if payment.status == Payment.Status.FAILED:
        return f"Not paid: {payment.reason or 'the payment failed'}. It stays in your balance."
    if payment.status == Payment.Status.RETURNED:
        return f"Returned by the bank: {payment.reason or 'no reason given'}. Update your payout account."
    return f"On its way to {account}."


def payment_as_dict(payment: Payment) -> dict[str, Any]:
    places = minor_exponent(payment.batch.currency)
    return {
        "reference": payment.reference,
        "month": month_label(payment.batch.month),
        "amount": format_minor(payment.amount_minor, places),
        "method": masked_method(payment.method, payment.iban, payment.paypal_email),
        "status": payment.status,
        "reason": payment.reason,
        "at": payment.status_at,
        "summary": payment_status_line(payment),
    }


def balance_view(holder: Payee | Distributor | None, *, payee_id: str = "") -> dict[str, Any]:
    """The balance endpoint's answer; `holder` None: a payee id with no row (an artist paid
    without splits, never verified), whose balance is read all the same."""
    places = minor_exponent()
    if isinstance(holder, Distributor):
        balance = distributor_balance(holder.pk)
    else:
        balance = payee_balance(holder.pk if holder else payee_id)
    verification = Verification.objects.filter(_holder_q(holder)).first() if holder is not None else None
    payments = (
        Payment.objects.filter(_holder_q(holder)).select_related("batch")
        if holder is not None
        else Payment.objects.none()
    )
    last = payments.order_by("-batch__month", "-id").first()
    transit = payments.filter(status=Payment.Status.PENDING).aggregate(t=Sum("amount_minor"))["t"] or 0
    return {
        "payee": holder.pk if isinstance(holder, Payee) else (payee_id or None),
        "distributor": holder.name if isinstance(holder, Distributor) else None,
        "currency": currency(),
        "balance": format_minor(balance.total_minor, places),
        "recording": format_minor(balance.recording_minor, places),
        "publishing": format_minor(balance.publishing_minor, places),
        "in_transit": format_minor(int(transit), places),
        "held": payment_hold(verification),
        "last_payment": payment_as_dict(last) if last else None,
    }
