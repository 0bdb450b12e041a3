"""Know Your Artist through the pages: the artist's identity page (owners submit, every login of
the artist sees where it stands, other logins get 404, anonymous visitors log in first), the
console's queue showing the evidence, and the staff-only document download."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from artists.models import Artist, PortalAccount
from payments.models import AuditEntry, Verification
from tests.factories import ArtistFactory, DistributorFactory
from tests.payments.test_identity import JPEG, PDF, fields, stored, temporary_storage, upload

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/art-kai/identity/"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    return temporary_storage(settings, tmp_path)


@pytest.fixture
def artist(db: None) -> Artist:
    ArtistFactory(id="art-kai", name="Kai Ember", distributor=DistributorFactory(name="Indigo"))
    return Artist.objects.get(pk="art-kai")


def login(name: str, *, artist: Artist | None = None, role: str = "owner", staff: bool = False) -> Client:
    user = get_user_model().objects.create_user(username=name, is_staff=staff)
    if artist is not None:
        PortalAccount.objects.create(user=user, artist=artist, role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(artist: Artist) -> Client:
    return login("kai-owner", artist=artist)


@pytest.fixture
def staff(db: None) -> Client:
    return login("olga", staff=True)


def send(client: Client, document: Any = None, **changes: str) -> Any:
    return client.post(PAGE, {**fields(**changes), "document": document or upload()})


def html(response: Any) -> str:
    return response.content.decode()


def test_the_owner_sees_a_labelled_multipart_form_without_inline_code(owner: Client) -> None:
    response = owner.get(PAGE)
    assert response.status_code == 200
    page = html(response)
    assert 'enctype="multipart/form-data"' in page and "Not submitted" in page
    for name in ("entity", "legal_name", "date_of_birth", "company_number", "country", "address",
                 "document", "method", "iban", "account_holder", "paypal_email"):  # fmt: skip
        assert f'<label for="id_{name}">' in page, name
        assert f'id="id_{name}"' in page, name
    assert 'type="file"' in page and 'accept="application/pdf,image/jpeg,image/png' in page
    assert '<option value="DE">Germany</option>' in page
    assert "frontend/identity.css" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page and "<style" not in page


def test_an_owner_submission_lands_in_the_queue_and_the_operator_approves_it(
    media: Path, owner: Client, staff: Client
) -> None:
    response = send(owner, upload(PDF, "kai-passport.pdf"))
    assert response.status_code == 302 and response["Location"] == PAGE
    verification = Verification.objects.get(payee_id="art-kai")
    assert verification.status == "pending" and verification.document_name == "kai-passport.pdf"
    assert len(stored(media)) == 1
    page = html(owner.get(PAGE))
    assert "Waiting for review" in page and "Sent: Kalipxo staff check it" in page
    assert 'id="identity-submitted"' in page and "IBAN …3000" in page
    assert "kai-passport.pdf" in page and "DE89370400440532013000" not in page
    assert 'value="Kai Ember"' in page  # a resubmission starts from what was sent

    console = html(staff.get("/console/payments/"))
    item = console.split(f'id="queue-{verification.pk}"')[1].split("</li>")[0]
    assert "A person" in item and "31 May 1990" in item and "DE" in item
    assert "Hauptstraße 1<br>10115 Berlin" in item
    assert f'href="/console/payments/verifications/{verification.pk}/document"' in item
    assert "kai-passport.pdf" in item and "PDF" in item and "kai-owner" in item

    staff.post(f"/console/payments/verifications/{verification.pk}", {"decision": "verify"})
    verification.refresh_from_db()
    assert verification.status == "verified"
    assert "Verified" in html(owner.get(PAGE))


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"legal_name": ""}, "legal_name", "The legal name as on the identity document"),
        ({"date_of_birth": "2099-01-01"}, "date_of_birth", "must be in the past"),
        ({"date_of_birth": "2020-01-01"}, "date_of_birth", "at least 16"),
        ({"entity": "company"}, "company_number", "registration number"),
        ({"country": "ZZ"}, "country", "ISO 3166-1"),
        ({"address": ""}, "address", "The postal address"),
        ({"iban": "DE00 1234"}, "iban", "Not a valid IBAN"),
        ({"account_holder": "Somebody Else"}, "account_holder", "must be in the legal name"),
        ({"method": "paypal", "paypal_email": "nope"}, "paypal_email", "e-mail address"),
    ],
)
def test_each_refusal_is_shown_on_its_field(
    media: Path, owner: Client, changes: dict[str, str], field: str, problem: str
) -> None:
    response = send(owner, **changes)
    assert response.status_code == 400
    page = html(response)
    assert problem in page
    tag = re.search(rf"<(?:input|select|textarea)[^>]*\bid=\"id_{field}\"[^>]*>", page)
    assert tag is not None
    assert 'aria-invalid="true"' in tag.group(0)
    assert f'aria-describedby="id_{field}_error' in tag.group(0)
    assert f'id="id_{field}_error"' in page
    assert not Verification.objects.exists() and stored(media) == []


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (upload(PDF + b"0" * 2000, "big.pdf"), "it may be at most"),
        (upload(b"#!/bin/sh\nrm -rf /\n", "passport.pdf"), "Only a PDF, JPEG or PNG"),
        (upload(b"<svg onload=alert(1)>", "photo.png", "image/png"), "Only a PDF, JPEG or PNG"),
    ],
)
def test_oversized_and_wrong_type_documents_are_refused_with_nothing_stored(
    media: Path, owner: Client, settings: Any, document: Any, problem: str
) -> None:
    settings.IDENTITY_DOCUMENT_MAX_BYTES = 2000
    response = send(owner, document)
    assert response.status_code == 400 and problem in html(response)
    assert 'aria-describedby="id_document_error id_document_helptext"' in html(response)
    assert not Verification.objects.exists() and not AuditEntry.objects.exists()
    assert stored(media) == []


def test_no_document_is_refused(media: Path, owner: Client) -> None:
    response = owner.post(PAGE, fields())
    assert response.status_code == 400 and "Upload an identity document" in html(response)
    assert not Verification.objects.exists()


def test_a_viewer_sees_where_it_stands_but_cannot_submit(media: Path, artist: Artist, owner: Client) -> None:
    viewer = login("kai-viewer", artist=artist, role="viewer")
    page = html(viewer.get(PAGE))
    assert "Where it stands" in page and '<form method="post" enctype' not in page
    assert "An owner of Kai Ember submits" in page
    response = send(viewer)
    assert response.status_code == 403 and not Verification.objects.exists() and stored(media) == []
    send(owner)
    assert "Waiting for review" in html(viewer.get(PAGE))


def test_another_artists_login_gets_404_and_anonymous_visitors_log_in(
    media: Path, artist: Artist, client: Client
) -> None:
    ArtistFactory(id="art-other", name="Other")
    other = login("someone", artist=Artist.objects.get(pk="art-other"))
    assert other.get(PAGE).status_code == 404
    assert send(other).status_code == 404
    assert login("nobody").get(PAGE).status_code == 404
    assert login("ghost").get("/dashboard/art-none/identity/").status_code == 404
    for response in (client.get(PAGE), send(client)):
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not Verification.objects.exists() and stored(media) == []


def test_staff_see_the_page_without_the_form(media: Path, artist: Artist, staff: Client) -> None:
    page = html(staff.get(PAGE))
    assert "Where it stands" in page and 'name="legal_name"' not in page
    assert send(staff).status_code == 403


def test_the_document_is_for_staff_only_as_an_attachment(
    media: Path, artist: Artist, owner: Client, staff: Client, client: Client
) -> None:
    send(owner, upload(JPEG, 'kai "photo".jpg', "image/jpeg"))
    verification = Verification.objects.get()
    url = f"/console/payments/verifications/{verification.pk}/document"
    assert client.get(url).status_code == 302  # to the login page
    assert owner.get(url).status_code == 403
    assert login("kai-viewer", artist=artist, role="viewer").get(url).status_code == 403
    response = staff.get(url)
    assert response.status_code == 200
    assert response.getvalue() == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="identity.document_read", actor="olga").count() == 1
    assert staff.get("/console/payments/verifications/999999/document").status_code == 404
    verification.document.storage.delete(verification.document.name or "")
    assert staff.get(url).status_code == 404  # the row names a file that is gone


def test_a_verification_without_a_document_has_none_to_download(world: dict[str, Any], staff: Client) -> None:
    account = {"holder": "art-1", "legal_name": "Artist One", "method": "iban",
               "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Artist One"}  # fmt: skip
    staff.post("/console/payments/accounts", account)
    verification = Verification.objects.get(payee_id="art-1")
    assert staff.get(f"/console/payments/verifications/{verification.pk}/document").status_code == 404
    assert "none submitted (recorded through the console or the API)" in html(staff.get("/console/payments/"))


def test_a_rejection_reason_shows_and_a_resubmission_replaces_the_file(
    media: Path,
    owner: Client,
    staff: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    send(owner, upload(JPEG, "blurry.jpg", "image/jpeg"))
    verification = Verification.objects.get()
    old = verification.document.name
    staff.post(
        f"/console/payments/verifications/{verification.pk}",
        {"decision": "reject", "reason": "The photo of the passport is blurred."},
    )
    page = html(owner.get(PAGE))
    assert "Refused" in page and "The photo of the passport is blurred." in page
    assert 'id="identity-reason"' in page and "Submit it again" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert send(owner, upload(PDF, "sharp.pdf")).status_code == 302
    verification.refresh_from_db()
    assert verification.status == "pending" and verification.reason == ""
    assert verification.document.name != old and verification.document_name == "sharp.pdf"
    assert [p.relative_to(media).as_posix() for p in stored(media)] == [verification.document.name]
    assert "blurred" not in html(owner.get(PAGE))


def test_a_verified_artist_is_told_a_resubmission_is_a_change(
    media: Path, owner: Client, staff: Client
) -> None:
    send(owner)
    verification = Verification.objects.get()
    staff.post(f"/console/payments/verifications/{verification.pk}", {"decision": "verify"})
    page = html(owner.get(PAGE))
    assert 'id="identity-change-note"' in page and "Submitting again is a change" in page
    response = send(owner, method="paypal", paypal_email="kai@example.com")
    assert response.status_code == 302
    page = html(owner.get(PAGE))
    assert "Sent as a change" in page and "Waiting for review" in page and "PayPal k…@example.com" in page
    verification.refresh_from_db()
    assert verification.status == "pending"


def test_the_admin_shows_the_evidence_without_the_storage_path(media: Path, owner: Client) -> None:
    send(owner)
    verification = Verification.objects.get()
    boss = Client()
    boss.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-not-secret-1"))
    page = html(boss.get(f"/admin/payments/verification/{verification.pk}/change/"))
    assert f"/console/payments/verifications/{verification.pk}/document" in page
    assert (verification.document.name or "-") not in page and "Hauptstraße" in page
