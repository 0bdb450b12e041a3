"""Recording who a payee (or distributor) is and where its money goes, and whether it may be
paid now (docs/rules.md §2 Payees and payments).

Every change of a payout method and every decision is written to the audit log. A hold is
the reason a verified holder is still left out of a batch: a sanctions match under review, a
lapsed verification, or a payout method replaced less than `PAYOUT_METHOD_HOLD` ago and not
re-confirmed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from artists.models import Distributor, Payee
from kalipxo.validation import Errors, check_text, unknown_fields
from payments.audit import audit
from payments.models import Method, Verification
from payments.sanctions import name_key, screening_apply

FIELDS = ("status", "legal_name", "payout_method", "reason")
METHOD_FIELDS = {Method.IBAN: ("type", "iban", "holder", "bic"), Method.PAYPAL: ("type", "email")}
Holder = Payee | Distributor


class VerificationRejected(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status, self.body = status, body


@dataclass(frozen=True)
class MethodIn:
    method: str
    iban: str = ""
    bic: str = ""
    holder: str = ""
    email: str = ""


@dataclass(frozen=True)
class VerificationIn:
    status: str
    legal_name: str | None
    method: MethodIn | None
    reason: str


def holder_subject(holder: Holder) -> str:
    if isinstance(holder, Payee):
        return holder_subject_of(payee_id=holder.pk, distributor_id=None)
    return holder_subject_of(payee_id=None, distributor_id=holder.pk)


def verification_of(holder: Holder) -> Verification:
    """The holder's verification row, unsaved and unverified when there is none yet."""
    if isinstance(holder, Payee):
        found = Verification.objects.filter(payee_id=holder.pk).first()
        return found or Verification(payee=holder)
    return Verification.objects.filter(distributor=holder).first() or Verification(distributor=holder)


def method_parse(value: Any, errors: Errors) -> MethodIn | None:
    """A payout method as the API sends it (also the artist's identity form, payments/identity.py);
    problems go to `errors` under "payout_method" and "payout_method.<field>"."""
    if not isinstance(value, dict) or value.get("type") not in Method.values:
        errors["payout_method"] = [
            'An object: {"type": "iban", "iban": "...", "holder": "..."} '
            'or {"type": "paypal", "email": "..."}.'
        ]
        return None
    kind = value["type"]
    for name in sorted(set(value) - set(METHOD_FIELDS[kind])):
        errors[f"payout_method.{name[:64]}"] = [f"Unknown field for a {kind} payout method; remove it."]
    if kind == Method.PAYPAL:
        email = value.get("email")
        try:
            if not isinstance(email, str) or len(email) > 254:
                raise ValidationError("not a string")
            validate_email(email)
        except ValidationError:
            errors["payout_method.email"] = ["The PayPal account's e-mail address, e.g. artist@example.com."]
            return None
        return MethodIn(Method.PAYPAL, email=email.strip().lower())
    iban_text, holder = value.get("iban"), value.get("holder")
    method: MethodIn | None = None
    try:
        if not isinstance(iban_text, str) or len(iban_text) > 50:
            raise SchwiftyException("Send the IBAN as a string.")
        iban = IBAN(iban_text)
    except SchwiftyException as exc:
        errors["payout_method.iban"] = [f"Not a valid IBAN ({exc}); e.g. DE89 3704 0044 0532 0130 00."]
    else:
        bic = value.get("bic")
        if bic is not None and (not isinstance(bic, str) or len(bic.replace(" ", "")) not in (8, 11)):
            errors["payout_method.bic"] = ["A BIC of 8 or 11 characters, or leave it out."]
        chosen = (bic or "").replace(" ", "").upper() or (str(iban.bic) if iban.bic else "")
        method = MethodIn(
            Method.IBAN, iban=iban.compact, bic=chosen, holder=holder if isinstance(holder, str) else ""
        )
    problem = check_text(holder)
    if problem:
        errors["payout_method.holder"] = [f"The account holder's name as the bank has it. {problem}"]
    return method


def verification_parse(payload: Any) -> VerificationIn:
    if not isinstance(payload, dict):
        raise VerificationRejected(
            400, {"detail": "Send one JSON object with status, legal_name, payout_method."}
        )
    errors: Errors = unknown_fields(payload, FIELDS)
    status = payload.get("status")
    if status not in Verification.Status.values:
        errors["status"] = [f"One of {', '.join(Verification.Status.values)}."]
    legal_name = payload.get("legal_name")
    if legal_name is not None:
        problem = check_text(legal_name)
        if problem:
            errors["legal_name"] = [problem]
    method = (
        method_parse(payload["payout_method"], errors) if payload.get("payout_method") is not None else None
    )
    reason = payload.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        errors["reason"] = ["A sentence of at most 500 characters."]
    if status == Verification.Status.REJECTED and not (isinstance(reason, str) and reason.strip()):
        errors.setdefault("reason", []).append("Say why it is rejected: the payee is told.")
    if errors:
        raise VerificationRejected(400, errors)
    return VerificationIn(str(status), legal_name, method, reason.strip() if isinstance(reason, str) else "")


def names_match(legal_name: str, holder: str) -> bool:
    """The account holder is the legal person: the same words, whatever their order or case."""
    return bool(name_key(legal_name)) and name_key(legal_name) == name_key(holder)


def _method_same(verification: Verification, method: MethodIn) -> bool:
    return (verification.method, verification.iban, verification.paypal_email, verification.holder) == (
        method.method, method.iban, method.email, method.holder,
    )  # fmt: skip


def verification_record(*, holder: Holder, data: VerificationIn, actor: str) -> Verification:
    """Record a verification from the API or the console. Refuses (409) to verify without a
    legal name and a payout method, or with an account holder who is someone else; a
    possible sanctions match is never verified: it is recorded as pending, for review."""
    with transaction.atomic():
        verification = verification_of(holder)
        if verification.pk:
            verification = Verification.objects.select_for_update().get(pk=verification.pk)
        now = timezone.now()
        subject = holder_subject(holder)
        if data.legal_name is not None:
            verification.legal_name = data.legal_name.strip()
        if data.method is not None and not _method_same(verification, data.method):
            replaced = bool(verification.method)
            audit(
                actor=actor,
                action="payout_method.replaced" if replaced else "payout_method.added",
                subject=subject,
                detail=_method_detail(verification, data.method),
            )
            verification.method, verification.iban, verification.bic = (
                data.method.method,
                data.method.iban,
                data.method.bic,
            )
            verification.holder, verification.paypal_email = data.method.holder, data.method.email
            verification.method_recorded_at, verification.method_replaced = now, replaced
            verification.method_confirmed_at = None
        if verification.method == Method.IBAN:
            verification.holder_matches = names_match(verification.legal_name, verification.holder)
        elif verification.method == Method.PAYPAL:
            verification.holder_matches = None  # PayPal tells no holder name: the e-mail is the account
        if data.status in (Verification.Status.VERIFIED, Verification.Status.PENDING):
            missing = _missing(verification)
            if data.status == Verification.Status.VERIFIED and missing:
                raise VerificationRejected(409, {"status": [f"Cannot verify: {missing}"]})
            screening_apply(verification, names=[verification.legal_name, verification.holder])
        status = data.status
        if status == Verification.Status.VERIFIED and verification.screening == Verification.Screening.HIT:
            status = Verification.Status.PENDING  # a reviewer clears a possible match, never the caller
        if status == Verification.Status.PENDING and verification.status != Verification.Status.PENDING:
            verification.requested_at = now
        verification.status, verification.reason = status, data.reason
        verification.decided_by, verification.decided_at = actor[:200], now
        verification.save()
        audit(
            actor=actor,
            action=f"verification.{status}",
            subject=subject,
            detail={
                "asked": data.status,
                "screening": verification.screening,
                "reason": data.reason,
                "list": verification.screening_list,
                "match": verification.screening_match,
            },
        )
    return verification


def _method_detail(verification: Verification, method: MethodIn) -> dict[str, str]:
    """What the audit keeps of a method change: enough to recognise the accounts, not the numbers."""
    return {"from": masked_method(verification.method, verification.iban, verification.paypal_email),
            "to": masked_method(method.method, method.iban, method.email)}  # fmt: skip


def masked_method(method: str, iban: str, email: str) -> str:
    """A payout account as people are shown it: "IBAN …1234", "PayPal a…@example.com"."""
    if method == Method.IBAN and iban:
        return f"IBAN …{iban[-4:]}"
    if method == Method.PAYPAL and email:
        local, _, domain = email.partition("@")
        return f"PayPal {local[:1]}…@{domain}"
    return "none"


def _missing(verification: Verification) -> str:
    if not verification.legal_name:
        return "no legal name is recorded."
    if not verification.method:
        return "no payout method is recorded."
    if verification.holder_matches is False:
        return (
            f'the account holder "{verification.holder}" is not the legal name "{verification.legal_name}"; '
            "record the payee's own account."
        )
    return ""


def method_confirm(*, verification: Verification, actor: str) -> None:
    """Re-confirm a replaced payout method (after calling the payee back): the hold ends."""
    verification.method_confirmed_at = timezone.now()
    verification.save(update_fields=["method_confirmed_at", "updated_at"])
    subject = verification_subject(verification)
    audit(
        actor=actor,
        action="payout_method.confirmed",
        subject=subject,
        detail={"method": masked_method(verification.method, verification.iban, verification.paypal_email)},
    )


def sanctions_clear(*, verification: Verification, actor: str, reason: str) -> None:
    """A reviewer decides a possible match is someone else: screening cleared, and verified."""
    verification.screening = Verification.Screening.CLEARED
    verification.status, verification.reason = Verification.Status.VERIFIED, reason[:500]
    verification.decided_by, verification.decided_at = actor[:200], timezone.now()
    verification.save()
    subject = verification_subject(verification)
    audit(
        actor=actor,
        action="sanctions.cleared",
        subject=subject,
        detail={"match": verification.screening_match, "list": verification.screening_list, "reason": reason},
    )


def verification_subject(verification: Verification) -> str:
    """Whose verification it is, as the audit log names it: "payee:art-1", "distributor:3"."""
    return holder_subject_of(payee_id=verification.payee_id, distributor_id=verification.distributor_id)


def holder_subject_of(*, payee_id: str | None, distributor_id: int | None) -> str:
    return f"payee:{payee_id}" if payee_id else f"distributor:{distributor_id}"


def holder_id_of(*, payee_id: str | None, distributor_id: int | None) -> str:
    """A holder as batches and the queue list it: the payee's id, or "distributor:<id>"."""
    return payee_id if payee_id else f"distributor:{distributor_id}"


def _day(moment: datetime) -> str:
    return f"{moment:%-d %b %Y}"


def payment_hold(verification: Verification | None, *, now: datetime | None = None) -> str | None:
    """Why the holder is not paid now, in words the payee reads; None: it is paid."""
    now = now or timezone.now()
    if verification is None or not verification.method:
        return "Add a payout account to get paid."
    status = verification.status
    if verification.screening == Verification.Screening.HIT:
        return "Held for review: the name is close to one on a sanctions list."
    if status == Verification.Status.PENDING:
        since = verification.requested_at or verification.updated_at
        return f"Verification pending since {_day(since)}." if since else "Verification pending."
    if status == Verification.Status.REJECTED:
        return f"Verification rejected: {verification.reason or 'ask support why'}."
    if status != Verification.Status.VERIFIED:
        return "Not verified yet: we need the legal name and payout account checked."
    if verification.holder_matches is False:
        return "The account holder's name does not match the legal name."
    lapse = (
        verification.decided_at + timedelta(days=settings.PAYEE_VERIFICATION_VALID_DAYS)
        if verification.decided_at
        else None
    )
    if lapse is not None and now >= lapse:
        return f"Verification lapsed on {_day(lapse)}: it must be renewed."
    hold = timedelta(hours=settings.PAYOUT_METHOD_HOLD_HOURS)
    if (
        verification.method_replaced
        and verification.method_confirmed_at is None
        and verification.method_recorded_at is not None
        and now < verification.method_recorded_at + hold
    ):
        until = verification.method_recorded_at + hold
        changed = _day(verification.method_recorded_at)
        return f"Payout account changed on {changed}: held until {_day(until)} unless re-confirmed."
    return None


def verification_as_dict(holder: Holder, verification: Verification) -> dict[str, Any]:
    return {
        "payee": holder.pk if isinstance(holder, Payee) else None,
        "distributor": holder.name if isinstance(holder, Distributor) else None,
        "status": verification.status,
        "legal_name": verification.legal_name,
        "payout_method": masked_method(verification.method, verification.iban, verification.paypal_email),
        "holder_matches": verification.holder_matches,
        "screening": verification.screening,
        "screening_list": verification.screening_list or None,
        "screened_at": verification.screened_at,
        "held": payment_hold(verification),
        "reason": verification.reason,
    }
