"""E-mail to payees: a statement issued, a payment sent, a payment back (docs/rules.md
"Accounts"). Sent to the verified addresses of the logins that see the payee: an artist's
members, a writer's or publisher's login, a distributor's logins. A login without a verified
address gets no mail (an address nobody confirmed may be someone else's).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import QuerySet
from django.urls import reverse

from artists.models import PortalAccount
from kalipxo.money import format_minor, minor_exponent
from kalipxo.validation import month_label
from payments.models import Payment, PaymentBatch
from payments.verification import masked_method
from payouts.models import PayoutRun


def _addresses(user_ids: Iterable[int]) -> dict[int, str]:
    rows = EmailAddress.objects.filter(user_id__in=set(user_ids), verified=True).order_by("-primary", "id")
    chosen: dict[int, str] = {}
    for user_id, email in rows.values_list("user_id", "email"):
        chosen.setdefault(user_id, email)
    return chosen


def _recipients(accounts: QuerySet[PortalAccount], holder: str) -> dict[Any, list[str]]:
    """The verified addresses of these logins, by the holder (a field of theirs) they see."""
    rows = list(accounts.values_list(holder, "user_id"))
    emails = _addresses(user for _, user in rows)
    found: dict[Any, list[str]] = defaultdict(list)
    for key, user_id in rows:
        if user_id in emails:
            found[key].append(emails[user_id])
    return found


def payee_recipients(payee_ids: Iterable[str] | None = None) -> dict[str, list[str]]:
    """payee id → the verified addresses of the logins that see it (an artist's members see
    its own payee, a writer's or publisher's login its payee); all payees with a login when
    `payee_ids` is None."""
    artists = PortalAccount.objects.filter(artist_id__isnull=False)
    payees = PortalAccount.objects.filter(payee_id__isnull=False)
    if payee_ids is not None:
        ids = set(payee_ids)
        artists, payees = artists.filter(artist_id__in=ids), payees.filter(payee_id__in=ids)
    found = _recipients(artists, "artist_id")
    for payee, addresses in _recipients(payees, "payee_id").items():
        found[payee].extend(addresses)
    return found


def distributor_recipients(distributor_ids: Iterable[int]) -> dict[int, list[str]]:
    return _recipients(
        PortalAccount.objects.filter(distributor_id__in=set(distributor_ids)), "distributor_id"
    )


def _link(name: str, *args: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


Mail = tuple[str, str, str | None, list[str]]


def _send(messages: Sequence[Mail]) -> int:
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def statements_mail(run_id: int) -> int:
    """One mail per payee paid in the finalized run; returns how many were sent."""
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None or run.status != PayoutRun.Status.FINALIZED:
        return 0
    places, currency = minor_exponent(run.policy["currency"]), run.policy["currency"]
    # From the few payees with a login to their results, not from every payee of the run.
    recipients = payee_recipients()
    results = list(
        run.payees.filter(amount_minor__gt=0, payee__in=list(recipients)).values_list(
            "payee", "name", "amount_minor"
        )
    )
    month = month_label(run.month)
    messages = [
        (
            f"Kalipxo: your statement for {month}",
            f"Hello {name},\n\nYour statement for {month} is issued: {format_minor(amount, places)} "
            f"{currency} before fees and tax.\n\nSee it, with where every cent came from:\n"
            f"{_link('dashboard')}\n",
            None,
            recipients[payee],
        )
        for payee, name, amount in results
        if recipients.get(payee)
    ]
    return _send(messages)


def _holder_recipients(payments: list[Payment]) -> dict[int, list[str]]:
    by_payee = payee_recipients(p.payee_id for p in payments if p.payee_id)
    by_distributor = distributor_recipients(p.distributor_id for p in payments if p.distributor_id)
    return {
        p.pk: (by_payee.get(p.payee_id, []) if p.payee_id else by_distributor.get(p.distributor_id or 0, []))
        for p in payments
    }


def _amount(payment: Payment, currency: str) -> str:
    return f"{format_minor(payment.amount_minor, minor_exponent(currency))} {currency}"


def batch_sent_mail(batch_id: int) -> int:
    batch = PaymentBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return 0
    payments = list(batch.payments.all())
    recipients = _holder_recipients(payments)
    messages = [
        (
            f"Kalipxo: {_amount(p, batch.currency)} is on its way",
            f"Hello {p.name},\n\nYour payment for {month_label(batch.month)} has been sent: "
            f"{_amount(p, batch.currency)} to {masked_method(p.method, p.iban, p.paypal_email)} "
            f"(reference {p.reference}). Banks usually take one to three working days.\n\n"
            f"{_link('dashboard')}\n",
            None,
            recipients[p.pk],
        )
        for p in payments
        if recipients[p.pk]
    ]
    return _send(messages)


def payments_returned_mail(payment_ids: list[int]) -> int:
    payments = list(Payment.objects.filter(pk__in=payment_ids).select_related("batch"))
    recipients = _holder_recipients(payments)
    messages = [
        (
            f"Kalipxo: a payment of {_amount(p, p.batch.currency)} came back",
            f"Hello {p.name},\n\nYour payment {p.reference} of {_amount(p, p.batch.currency)} to "
            f"{masked_method(p.method, p.iban, p.paypal_email)} was {p.status}"
            + (f": {p.reason}" if p.reason else "")
            + ".\n\nThe money is back in your balance and is paid with the next batch. If your payout "
            f"account has changed or closed, update it first:\n{_link('dashboard')}\n",
            None,
            recipients[p.pk],
        )
        for p in payments
        if recipients[p.pk]
    ]
    return _send(messages)
