"""Know Your Artist: the artist's owner submits who it is and where to pay it
(payments.identity); every login of the artist, and staff, see where it stands; staff read the
document it uploaded. Thin: who may see what here, the checks and the writes in payments."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.claims import is_owner
from artists.models import Artist, Payee, PortalAccount
from artists.payees import payee_row
from frontend.identity_forms import IdentityForm, country_name
from frontend.views import staff_refusal
from payments import identity
from payments.models import Verification
from payments.verification import masked_method, payment_hold, verification_of

STATES = {
    Verification.Status.UNVERIFIED: (
        "Not submitted",
        "Nothing is verified yet: payments wait in the balance.",
    ),
    Verification.Status.PENDING: (
        "Waiting for review",
        "Kalipxo staff check what was submitted; payments wait in the balance until it is verified.",
    ),
    Verification.Status.VERIFIED: ("Verified", "Payments go to the payout account below."),
    Verification.Status.REJECTED: ("Refused", "Correct what the reason says and submit again."),
}


def _artist_for(request: HttpRequest, artist_id: str) -> Artist:
    """The artist, for staff and the artist's own logins; 404 for everybody else, so the ids
    of other artists are not confirmed."""
    user = request.user
    artist = Artist.objects.filter(pk=artist_id).first()
    if artist is None:
        raise Http404("No such artist that you may see.")
    account: PortalAccount | None = getattr(user, "portal_account", None)
    if user.is_staff or (account is not None and account.artist_id == artist.id):
        return artist
    raise Http404("No such artist that you may see.")


def _standing(verification: Verification | None) -> dict[str, Any]:
    """Where the verification stands, as the artist's page says it."""
    status = verification.status if verification else Verification.Status.UNVERIFIED
    label, meaning = STATES[Verification.Status(status)]
    if verification is None:
        return {
            "status": status,
            "label": label,
            "meaning": meaning,
            "missing": identity.identity_missing(None),
        }
    return {
        "status": status,
        "label": label,
        "meaning": meaning,
        "submitted_at": verification.submitted_at,
        "requested_at": verification.requested_at,
        "decided_at": verification.decided_at,
        "reason": verification.reason if status == Verification.Status.REJECTED else "",
        "missing": identity.identity_missing(verification) if status != Verification.Status.VERIFIED else [],
        "held": payment_hold(verification),
        "method": masked_method(verification.method, verification.iban, verification.paypal_email),
        "entity": verification.get_entity_display() if verification.entity else "",
        "country": country_name(verification.country),
        "document": (
            {
                "name": verification.document_name,
                "type": identity.type_label(verification.document_type),
                "size": verification.document_size,
            }
            if verification.document
            else None
        ),
    }


def _initial(artist: Artist) -> dict[str, Any]:
    """A resubmission starts from what was submitted (never the account number or the file)."""
    found = Verification.objects.filter(payee_id=artist.id).first()
    if found is None:
        return {}
    born = found.date_of_birth.isoformat() if found.date_of_birth else ""
    return {"entity": found.entity, "legal_name": found.legal_name, "date_of_birth": born,
            "company_number": found.company_number, "country": found.country, "address": found.address,
            "method": found.method}  # fmt: skip


def _page(
    request: HttpRequest, artist: Artist, form: IdentityForm | None, *, status: int = 200
) -> HttpResponse:
    payee = Payee.objects.filter(pk=artist.id).first()
    found = verification_of(payee) if payee is not None else None
    verification = found if found is not None and found.pk else None
    context = {
        "nav": "dashboard",
        "artist": artist,
        "standing": _standing(verification),
        "form": form,
    }
    return render(request, "frontend/identity.html", context, status=status)


@login_required
def artist_identity(request: HttpRequest, artist_id: str) -> HttpResponse:
    artist = _artist_for(request, artist_id)
    owner = is_owner(request.user, artist.id)
    if request.method != "POST":
        return _page(request, artist, IdentityForm(initial=_initial(artist)) if owner else None)
    if not owner:
        return render(
            request,
            "frontend/error.html",
            {"heading": "Owners only", "message": "Only an owner of the artist submits its identity."},
            status=403,
        )
    form = IdentityForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, artist, form, status=400)
    holder = payee_row(artist.id)
    if holder is None:
        raise Http404("No such artist that you may see.")
    before = verification_of(holder).status
    try:
        identity.identity_submit(
            holder=holder,
            data=form.cleaned_data,
            document=form.cleaned_data.get("document"),
            actor=request.user.get_username(),
        )
    except identity.IdentityRefused as refused:
        form.refuse(refused.errors)
        return _page(request, artist, form, status=400)
    if before == Verification.Status.VERIFIED:
        messages.success(
            request,
            "Sent as a change: it is checked again, and payments wait until it is verified again.",
        )
    else:
        messages.success(request, "Sent: Kalipxo staff check it. This page says when it is verified.")
    return redirect("artist-identity", artist_id=artist.id)


@login_required
def verification_document(request: HttpRequest, verification_id: int) -> HttpResponse | FileResponse:
    """The identity document, for staff only, as a download that the browser does not render."""
    if refused := staff_refusal(request):
        return refused
    found = Verification.objects.filter(pk=verification_id).first()
    handle = identity.document_open(verification=found, actor=request.user.get_username()) if found else None
    if found is None or handle is None:
        raise Http404("No identity document.")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=found.document_name or "identity-document",
        content_type=found.document_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
