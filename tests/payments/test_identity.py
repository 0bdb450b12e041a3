"""Know Your Artist through its functions (payments/identity.py): every check and its refusal,
a submission landing in the review queue as pending with its document, nothing stored when a
check refuses, and a resubmission replacing the document. Files go to a temporary MEDIA_ROOT."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from artists.models import Payee
from artists.payees import payee_row
from frontend.payments_selectors import verification_queue
from payments import identity
from payments.models import AuditEntry, Verification
from payments.verification import VerificationIn, verification_record
from tests.factories import ArtistFactory, DistributorFactory
from tests.payments.world import IBAN_ART_1, SDN

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 4)
PDF = b"%PDF-1.7\n" + b"0" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"1" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"2" * 200


def temporary_storage(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to a temporary directory through the default storage."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root}},
    }
    return root


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    return temporary_storage(settings, tmp_path)


@pytest.fixture
def kai(db: None) -> Payee:
    """A claimed artist's own payee (made as the page makes it)."""
    ArtistFactory(id="art-kai", name="Kai Ember", distributor=DistributorFactory(name="Indigo"))
    payee = payee_row("art-kai")
    assert payee is not None
    return payee


def stored(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(content: bytes = PDF, name: str = "passport.pdf", content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def fields(**changes: str) -> dict[str, str]:
    data = {
        "entity": "person",
        "legal_name": "Kai Ember",
        "date_of_birth": "1990-05-31",
        "company_number": "",
        "country": "DE",
        "address": "Hauptstraße 1\n10115 Berlin",
        "method": "iban",
        "iban": IBAN_ART_1,
        "account_holder": "",
        "paypal_email": "",
    }
    return {**data, **changes}


def submit(holder: Payee, data: dict[str, str] | None = None, document: Any = None) -> Verification:
    return identity.identity_submit(
        holder=holder,
        data=data or fields(),
        document=document if document is not None else upload(),
        actor="kai-login",
        today=TODAY,
    )


def refusal(data: dict[str, str], document: Any = None) -> dict[str, list[str]]:
    with pytest.raises(identity.IdentityRefused) as refused:
        identity.identity_parse(data, document if document is not None else upload(), today=TODAY)
    return refused.value.errors


# ---------------------------------------------------------------------------- the checks


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (PDF, "scan.pdf", "application/pdf"),
        (JPEG, "photo.jpg", "image/jpeg"),
        (PNG, "photo.png", "image/png"),
        (PDF, "looks-like-a.png", "application/pdf"),  # the bytes decide, not the name
        (b"MZ\x90\x00" + b"x" * 50, "passport.pdf", None),
        (b"<html><script>", "passport.png", None),
        (b"GIF89a" + b"x" * 50, "passport.gif", None),
        (b"%PD", "short.pdf", None),
    ],
)
def test_the_document_type_is_decided_from_its_first_bytes(
    content: bytes, name: str, kind: str | None
) -> None:
    found = identity.document_kind(content)
    assert (found.content_type if found else None) == kind
    errors: dict[str, list[str]] = {}
    checked = identity.check_document(upload(content, name, "application/pdf"), errors)
    assert (checked.content_type if checked else None) == kind
    assert bool(errors) == (kind is None)
    if kind is None:
        assert "Only a PDF, JPEG or PNG file" in errors["document"][0]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "date of birth"),
        ("31/05/1990", "Not a real date"),
        ("1990-02-30", "Not a real date"),
        ("19900531", "Not a real date"),
        ("2026-12-04", "in the past"),
        ("2030-01-01", "in the past"),
        ("1899-12-31", "after 1 January 1900"),
        ("2010-12-05", "at least 16"),  # sixteen tomorrow
    ],
)
def test_a_date_of_birth_must_be_real_past_and_sixteen_years_ago(value: str, problem: str) -> None:
    found = identity.check_date_of_birth(value, today=TODAY)
    assert isinstance(found, str) and problem in found


def test_sixteen_today_is_old_enough_and_a_leap_day_birthday_counts_from_1_march() -> None:
    assert identity.check_date_of_birth("2010-12-04", today=TODAY) == date(2010, 12, 4)
    assert identity.check_date_of_birth(date(1990, 5, 31), today=TODAY) == date(1990, 5, 31)
    assert isinstance(identity.check_date_of_birth("2008-02-29", today=date(2024, 2, 28)), str)
    assert identity.check_date_of_birth("2008-02-29", today=date(2024, 2, 29)) == date(2008, 2, 29)
    assert isinstance(identity.check_date_of_birth("2007-02-28", today=date(2023, 2, 27)), str)


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"entity": ""}, "entity", "A person"),
        ({"entity": "robot"}, "entity", "A person"),
        ({"legal_name": "  "}, "legal_name", "legal name"),
        ({"legal_name": "x" * 301}, "legal_name", "At most 300"),
        ({"date_of_birth": ""}, "date_of_birth", "date of birth"),
        ({"date_of_birth": "2015-01-01"}, "date_of_birth", "at least 16"),
        ({"entity": "company", "legal_name": "Ember Music GmbH"}, "company_number", "registration number"),
        ({"entity": "company", "company_number": "HRB <12>"}, "company_number", "Letters, digits"),
        ({"country": ""}, "country", "ISO 3166-1"),
        ({"country": "Germany"}, "country", "ISO 3166-1"),
        ({"country": "XX"}, "country", "ISO 3166-1"),
        ({"address": " \n "}, "address", "postal address"),
        ({"address": "a" * 501}, "address", "At most 500"),
        ({"address": "Road 1\x00"}, "address", "Control characters"),
        ({"method": ""}, "method", "Bank account (IBAN)"),
        ({"iban": ""}, "iban", "The IBAN of your bank account"),
        ({"iban": "DE00 1234"}, "iban", "Not a valid IBAN"),
        ({"account_holder": "Someone Else"}, "account_holder", 'legal name "Kai Ember"'),
        ({"method": "paypal", "paypal_email": "not-an-address"}, "paypal_email", "e-mail address"),
        ({"method": "paypal"}, "paypal_email", "e-mail address"),
    ],
)
def test_each_field_is_refused_with_its_own_message(
    changes: dict[str, str], field: str, problem: str
) -> None:
    errors = refusal(fields(**changes))
    assert list(errors) == [field], errors
    assert problem in " ".join(errors[field])


def test_every_problem_is_said_at_once() -> None:
    errors = refusal(fields(entity="", legal_name="", country="", address="", method=""), upload(b"nope"))
    assert set(errors) == {"entity", "legal_name", "country", "address", "method", "document"}


def test_documents_missing_empty_or_too_big_are_refused(settings: Any) -> None:
    settings.IDENTITY_DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(identity.IdentityRefused) as missing:
        identity.identity_parse(fields(), None, today=TODAY)
    assert "Upload an identity document" in missing.value.errors["document"][0]
    assert "empty" in refusal(fields(), upload(b""))["document"][0]
    too_big = refusal(fields(), upload(PDF[:10] + b"0" * 991))["document"][0]
    assert "at most 1000" in too_big.replace("\xa0", " ")
    assert identity.identity_parse(fields(), upload(PDF[:10] + b"0" * 990), today=TODAY).document.size == 1000


def test_a_company_and_paypal_are_taken_and_a_person_fields_of_the_other_kind_dropped() -> None:
    company_fields = fields(
        entity="company", legal_name="Ember  Music GmbH", company_number=" HRB  12345 ",
        method="paypal", paypal_email="Pay@Ember.example",
    )  # fmt: skip
    company = identity.identity_parse(
        company_fields,
        upload(PNG, "extract.png", "image/png"),
        today=TODAY,
    )
    assert (company.legal_name, company.company_number, company.date_of_birth) == (
        "Ember Music GmbH", "HRB 12345", None,
    )  # fmt: skip
    assert (company.method.method, company.method.email) == ("paypal", "pay@ember.example")
    person = identity.identity_parse(fields(company_number="HRB 1", country="de"), upload(), today=TODAY)
    assert (person.company_number, person.country, person.method.holder) == ("", "DE", "Kai Ember")


# ---------------------------------------------------------------------------- the submission


def test_a_submission_is_pending_in_the_queue_with_its_document(media: Path, kai: Payee) -> None:
    verification = submit(kai, document=upload(PDF, "Kai passport scan.pdf", "text/plain"))
    verification.refresh_from_db()
    assert verification.status == "pending" and verification.requested_at is not None
    assert (verification.legal_name, verification.method, verification.iban) == (
        "Kai Ember", "iban", "DE89370400440532013000",
    )  # fmt: skip
    assert verification.holder == "Kai Ember" and verification.holder_matches is True
    assert verification.screening == "no_list"  # screened as any other verification
    assert (verification.entity, verification.date_of_birth, verification.country) == (
        "person", date(1990, 5, 31), "DE",
    )  # fmt: skip
    assert verification.address == "Hauptstraße 1\n10115 Berlin"
    assert verification.document_name == "Kai passport scan.pdf"
    assert verification.document_type == "application/pdf"  # the bytes, not the browser's type
    assert verification.document_size == len(PDF)
    assert verification.submitted_by == "kai-login" and verification.submitted_at is not None
    name = verification.document.name or ""
    assert name.startswith("identity/") and "passport" not in name and "Kai" not in name
    assert [p.relative_to(media).as_posix() for p in stored(media)] == [name]
    assert (media / name).read_bytes() == PDF

    queued = next(item for item in verification_queue() if item["id"] == verification.pk)
    assert queued["status"] == "pending" and queued["entity"] == "person"
    assert queued["document"] == {"name": "Kai passport scan.pdf", "type": "PDF", "size": len(PDF)}
    assert queued["country"] == "Germany (DE)" and queued["can_verify"]

    entry = AuditEntry.objects.get(action="identity.submitted")
    assert entry.subject == "payee:art-kai" and entry.actor == "kai-login"
    text = str(entry.detail)
    assert "IBAN …3000" in text and "DE89370400440532013000" not in text and "%PDF" not in text
    assert "1990" not in text
    assert AuditEntry.objects.filter(action="payout_method.added", subject="payee:art-kai").exists()
    assert identity.identity_missing(verification) == []


@pytest.mark.parametrize(
    ("document", "changes"),
    [
        (upload(PDF + b"0" * 1000), {}),  # too big (the limit is set below)
        (upload(b"MZ" + b"0" * 100, "passport.pdf"), {}),  # not a PDF, JPEG or PNG
        (upload(), {"date_of_birth": "2020-01-01"}),  # a good file, a refused field
    ],
)
def test_a_refused_submission_stores_nothing(
    media: Path, kai: Payee, settings: Any, document: Any, changes: dict[str, str]
) -> None:
    settings.IDENTITY_DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(identity.IdentityRefused):
        submit(kai, fields(**changes), document)
    assert not Verification.objects.exists() and not AuditEntry.objects.exists()
    assert stored(media) == []


def test_a_refused_resubmission_leaves_the_row_and_its_file(media: Path, kai: Payee) -> None:
    first = submit(kai)
    before = Verification.objects.values().get(pk=first.pk)
    with pytest.raises(identity.IdentityRefused):
        submit(kai, fields(legal_name="Kai Other"), upload(b"not a document"))
    assert Verification.objects.values().get(pk=first.pk) == before
    assert len(stored(media)) == 1


def test_a_failure_after_the_file_was_stored_leaves_no_file(
    media: Path, kai: Payee, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(identity, "audit", broken)
    with pytest.raises(RuntimeError):
        submit(kai)
    assert not Verification.objects.exists() and stored(media) == []


def test_a_resubmission_after_a_rejection_replaces_the_document_and_is_pending_again(
    media: Path, kai: Payee, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = submit(kai, document=upload(JPEG, "blurry.jpg", "image/jpeg"))
    old = first.document.name
    verification_record(
        holder=kai, data=VerificationIn("rejected", None, None, "The photo is blurred."), actor="staff"
    )
    assert Verification.objects.get(pk=first.pk).reason == "The photo is blurred."
    with django_capture_on_commit_callbacks(execute=True):
        again = submit(kai, document=upload(PDF, "passport.pdf"))
    again.refresh_from_db()
    assert again.pk == first.pk and again.status == "pending" and again.reason == ""
    assert again.document.name != old and again.document_name == "passport.pdf"
    assert [p.relative_to(media).as_posix() for p in stored(media)] == [again.document.name]
    entry = AuditEntry.objects.filter(action="identity.submitted").order_by("-id").first()
    assert entry is not None and entry.detail["was"] == "rejected" and entry.detail["document_replaced"]


def test_a_verified_holder_resubmitting_is_pending_again(
    media: Path, kai: Payee, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    submit(kai)
    verification_record(holder=kai, data=VerificationIn("verified", None, None, ""), actor="staff")
    with django_capture_on_commit_callbacks(execute=True):
        again = submit(kai, fields(method="paypal", paypal_email="kai@example.com"))
    assert again.status == "pending" and again.method == "paypal"
    assert again.method_replaced  # a new payout account: held until re-confirmed
    assert len(stored(media)) == 1


def test_a_possible_sanctions_match_waits_for_a_reviewer(media: Path, kai: Payee, tmp_path: Path) -> None:
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(SDN, encoding="latin-1")
    call_command("load_sanctions_list", str(sdn), "--list-version", "SDN test")
    verification = submit(kai, fields(legal_name="Boris Ivanov"))
    assert (verification.status, verification.screening) == ("pending", "hit")
    assert verification.screening_match == "IVANOV, Boris"


def test_what_is_missing_is_said(kai: Payee) -> None:
    assert identity.identity_missing(None) == ["everything: nothing is submitted yet"]
    recorded = Verification(payee=kai, legal_name="Kai Ember", method="iban", holder_matches=False)
    assert identity.identity_missing(recorded) == [
        "whether a person or a company is paid",
        "the country",
        "the postal address",
        "an identity document",
        "a bank account in the legal name",
    ]
