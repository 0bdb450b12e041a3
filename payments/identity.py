"""Know Your Artist (docs/rules.md §2 Payees and payments): the owner of a claimed artist
submits who is paid (a person or a company), where they live or are registered, an identity
document and a payout method.

It is the payee's verification seen from the artist's side: the same row, the same states and
the same review queue in the console. A submission records the legal name and the payout method
through `verification_record` as `pending` (screened against the sanctions list in force, as any
other), stores the document through Django's storage API (never served but to staff) and writes
an audit entry that keeps neither the document nor the full account number. A submission after
a rejection, or by a verified holder (a change), goes back to pending and replaces the document.

The checks are pure: `identity_parse` refuses with a message per field, and nothing is stored
or changed when it does.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pycountry
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from kalipxo.validation import COUNTRY_MESSAGE, Errors, check_text, normalize_country
from payments.audit import audit
from payments.models import Method, Verification
from payments.verification import (
    Holder,
    MethodIn,
    VerificationIn,
    holder_subject,
    masked_method,
    method_parse,
    names_match,
    verification_of,
    verification_record,
    verification_subject,
)

MIN_AGE = 16
EARLIEST_BIRTH = date(1900, 1, 1)
ADDRESS_MAX, ADDRESS_LINES = 500, 8
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
COMPANY_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]*")
IBAN_EXAMPLE = "DE89 3704 0044 0532 0130 00"


@dataclass(frozen=True)
class DocumentKind:
    signature: bytes
    content_type: str
    suffix: str
    label: str


# Decided from the first bytes, never from the file's name or the browser's content type.
DOCUMENT_KINDS = (
    DocumentKind(b"%PDF-", "application/pdf", ".pdf", "PDF"),
    DocumentKind(b"\xff\xd8\xff", "image/jpeg", ".jpg", "JPEG"),
    DocumentKind(b"\x89PNG\r\n\x1a\n", "image/png", ".png", "PNG"),
)
TYPE_LABELS = {kind.content_type: kind.label for kind in DOCUMENT_KINDS}

# Where the payout method's problems (payments.verification.method_parse) are shown.
METHOD_ERROR_FIELDS = {
    "payout_method": "method",
    "payout_method.iban": "iban",
    "payout_method.bic": "iban",
    "payout_method.holder": "account_holder",
    "payout_method.email": "paypal_email",
}


class IdentityRefused(Exception):
    """The submission's problems, per field of the form (`document`, `iban`, ...)."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class DocumentIn:
    file: File
    name: str
    content_type: str
    suffix: str
    size: int


@dataclass(frozen=True)
class IdentityIn:
    entity: str
    legal_name: str
    date_of_birth: date | None
    company_number: str
    country: str
    address: str
    method: MethodIn
    document: DocumentIn


def document_kind(head: bytes) -> DocumentKind | None:
    """The document's kind from its first bytes; None: not one we take."""
    return next((kind for kind in DOCUMENT_KINDS if head.startswith(kind.signature)), None)


def type_label(content_type: str) -> str:
    return TYPE_LABELS.get(content_type, content_type or "unknown type")


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _clean_name(name: Any) -> str:
    """The uploaded file's own name, kept for staff: no folders, no control characters."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ord(ch) >= 32 and ord(ch) != 127)[-255:] or "document"


def check_document(document: Any, errors: Errors) -> DocumentIn | None:
    """At most IDENTITY_DOCUMENT_MAX_BYTES, and a PDF, JPEG or PNG by its first bytes."""
    most = int(settings.IDENTITY_DOCUMENT_MAX_BYTES)
    if document is None or not hasattr(document, "read"):
        errors["document"] = [
            "Upload an identity document: a passport or national identity card (a person), "
            "or an extract of the company register (a company)."
        ]
        return None
    size = getattr(document, "size", None)
    if not isinstance(size, int) or size <= 0:
        errors["document"] = ["The file is empty; choose the scan or photo of the document."]
        return None
    if size > most:
        errors["document"] = [
            f"The file is {filesizeformat(size)}; it may be at most {filesizeformat(most)}. "
            "Scan it at a lower resolution, or send a photo of it."
        ]
        return None
    document.seek(0)
    head = document.read(16)
    document.seek(0)
    kind = document_kind(head if isinstance(head, bytes) else b"")
    if kind is None:
        errors["document"] = [
            "Only a PDF, JPEG or PNG file is taken, and this file is none of these (whatever its name "
            "says). Save the scan as PDF, or take a photo of the document."
        ]
        return None
    return DocumentIn(
        document, _clean_name(getattr(document, "name", "")), kind.content_type, kind.suffix, size
    )


def check_date_of_birth(value: Any, *, today: date) -> date | str:
    """A real date in the past that makes the person at least MIN_AGE today; or the problem."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return "A person's date of birth, e.g. 1990-05-31."
        try:
            if not DATE_RE.fullmatch(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError:
            return "Not a real date: write it as year-month-day, e.g. 1990-05-31."
    if value is None:
        return "A person's date of birth, e.g. 1990-05-31."
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return "Not a real date: write it as year-month-day, e.g. 1990-05-31."
    if value >= today:
        return "A date of birth must be in the past."
    if value < EARLIEST_BIRTH:
        return f"A date of birth after {EARLIEST_BIRTH:%-d %B %Y}; check the year."
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age < MIN_AGE:
        return (
            f"Only a person of at least {MIN_AGE} is paid; a parent or guardian submits for a younger artist."
        )
    return value


def check_country(value: Any) -> str | None:
    """The ISO 3166-1 alpha-2 code of an assigned country; None if it is not one."""
    code = normalize_country(value.strip() if isinstance(value, str) else value)
    return code if code and pycountry.countries.get(alpha_2=code) is not None else None


def check_address(value: Any) -> str:
    """The postal address, one line per line; raises ValueError with the problem."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else ""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        raise ValueError("The postal address: street and number, postcode and town.")
    address = "\n".join(lines)
    if len(address) > ADDRESS_MAX or len(lines) > ADDRESS_LINES:
        raise ValueError(f"At most {ADDRESS_MAX} characters on at most {ADDRESS_LINES} lines.")
    if any(ord(ch) < 32 and ch != "\n" for ch in address):
        raise ValueError("Control characters are not allowed.")
    return address


def _check_person_or_company(
    data: Mapping[str, Any], entity: str, today: date, errors: Errors
) -> tuple[date | None, str]:
    if entity == Verification.Entity.PERSON:
        born = check_date_of_birth(data.get("date_of_birth"), today=today)
        if isinstance(born, str):
            errors["date_of_birth"] = [born]
            return None, ""
        return born, ""
    if entity == Verification.Entity.COMPANY:
        number = " ".join(_text(data, "company_number").split())
        if not number:
            errors["company_number"] = ["The company's registration number, as in the company register."]
        elif len(number) > 50 or not COMPANY_NUMBER_RE.fullmatch(number):
            errors["company_number"] = ["Letters, digits, spaces and . / - only, at most 50 characters."]
        return None, number
    return None, ""


def _check_method(data: Mapping[str, Any], legal_name: str, errors: Errors) -> MethodIn | None:
    kind = _text(data, "method")
    if kind not in Method.values:
        errors["method"] = ['Choose "Bank account (IBAN)" or "PayPal".']
        return None
    if kind == Method.IBAN and not _text(data, "iban"):
        errors["iban"] = [f"The IBAN of your bank account, e.g. {IBAN_EXAMPLE}."]
        return None
    holder = _text(data, "account_holder") or legal_name
    value = (
        {"type": "iban", "iban": _text(data, "iban"), "holder": holder}
        if kind == Method.IBAN
        else {"type": "paypal", "email": _text(data, "paypal_email")}
    )
    found: Errors = {}
    method = method_parse(value, found)
    for key, problems in found.items():
        if key == "payout_method.holder" and not holder:
            continue  # no legal name either: its own message says what to write
        errors.setdefault(METHOD_ERROR_FIELDS.get(key, "method"), []).extend(problems)
    mismatch = method is not None and method.method == Method.IBAN and legal_name and not found
    if mismatch and method is not None and not names_match(legal_name, method.holder):
        errors["account_holder"] = [
            f'The account must be in the legal name "{legal_name}" (the same words); the bank '
            f'account of "{method.holder}" is someone else\'s. Leave it empty if it is yours.'
        ]
    return None if found else method


def identity_parse(data: Mapping[str, Any], document: Any, *, today: date) -> IdentityIn:
    """Every field checked; `IdentityRefused` with a message per field otherwise."""
    errors: Errors = {}
    entity = _text(data, "entity")
    if entity not in Verification.Entity.values:
        errors["entity"] = ['Choose "A person" or "A company".']
    legal_name = " ".join(_text(data, "legal_name").split())
    problem = check_text(legal_name)
    if problem:
        errors["legal_name"] = [
            f"The legal name as on the identity document (a company: as in its register). {problem}"
        ]
    born, number = _check_person_or_company(data, entity, today, errors)
    country = check_country(data.get("country"))
    if country is None:
        errors["country"] = [f"Choose the country of the address. {COUNTRY_MESSAGE}"]
    try:
        address = check_address(data.get("address"))
    except ValueError as exc:
        errors["address"] = [str(exc)]
    method = _check_method(data, legal_name if not problem else "", errors)
    found = check_document(document, errors)
    if errors or method is None or found is None or country is None:
        raise IdentityRefused(errors or {"method": ["Choose a payout method."]})
    return IdentityIn(entity, legal_name, born, number, country, address, method, found)


def identity_submit(
    *, holder: Holder, data: Mapping[str, Any], document: Any, actor: str, today: date | None = None
) -> Verification:
    """Check, then record the submission as pending (in the console's review queue)."""
    identity = identity_parse(data, document, today=today or timezone.localdate())
    with transaction.atomic():
        before = verification_of(holder)
        if before.pk:
            before = Verification.objects.select_for_update().get(pk=before.pk)
        was = before.status
        verification = verification_record(
            holder=holder,
            data=VerificationIn(Verification.Status.PENDING, identity.legal_name, identity.method, ""),
            actor=actor,
        )
        old_document = verification.document.name or ""
        storage = verification.document.storage
        verification.entity, verification.country = identity.entity, identity.country
        verification.date_of_birth, verification.company_number = (
            identity.date_of_birth,
            identity.company_number,
        )
        verification.address = identity.address
        doc = identity.document
        verification.document.save(f"document{doc.suffix}", doc.file, save=False)
        stored = verification.document.name or ""
        try:
            verification.document_name, verification.document_type = doc.name, doc.content_type
            verification.document_size = doc.size
            verification.submitted_by, verification.submitted_at = actor[:200], timezone.now()
            verification.save()
            audit(
                actor=actor,
                action="identity.submitted",
                subject=holder_subject(holder),
                detail={
                    "was": was,
                    "entity": identity.entity,
                    "country": identity.country,
                    "document": f"{type_label(doc.content_type)}, {doc.size} bytes",
                    "document_replaced": bool(old_document),
                    "payout_method": masked_method(
                        verification.method, verification.iban, verification.paypal_email
                    ),
                    "screening": verification.screening,
                },
            )
        except BaseException:
            storage.delete(stored)  # the row keeps the old document: no file is left behind
            raise
        if old_document and old_document != stored:
            transaction.on_commit(lambda: storage.delete(old_document))
    return verification


def identity_missing(verification: Verification | None) -> list[str]:
    """What the artist still has to give before staff can verify it."""
    v = verification
    if v is None:
        return ["everything: nothing is submitted yet"]
    missing = []
    if not v.entity:
        missing.append("whether a person or a company is paid")
    if not v.legal_name:
        missing.append("the legal name")
    if v.entity == Verification.Entity.PERSON and v.date_of_birth is None:
        missing.append("the date of birth")
    if v.entity == Verification.Entity.COMPANY and not v.company_number:
        missing.append("the company registration number")
    if not v.country:
        missing.append("the country")
    if not v.address:
        missing.append("the postal address")
    if not v.document:
        missing.append("an identity document")
    if not v.method:
        missing.append("a payout method")
    elif v.holder_matches is False:
        missing.append("a bank account in the legal name")
    return missing


def document_open(*, verification: Verification, actor: str) -> File | None:
    """The stored document, opened for a staff reader (audited); None when there is none."""
    if not verification.document:
        return None
    try:
        handle = verification.document.storage.open(verification.document.name or "", "rb")
    except OSError:  # FileNotFoundError included: the row names a file the storage lost
        return None
    subject = verification_subject(verification)
    audit(
        actor=actor,
        action="identity.document_read",
        subject=subject,
        detail={"document": type_label(verification.document_type)},
    )
    return handle
