"""A login's own pages: its account, claiming an artist, an artist's team, and the console's
queue of claims waiting for an admin (docs/rules.md "Accounts"). Thin: forms in, accounts.claims
decides."""

from smtplib import SMTPException
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import BadHeaderError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import claims
from accounts.mail import send_invitation
from accounts.models import ClaimRequest
from artists.models import Artist, PortalAccount
from frontend.forms import ClaimCodeForm, ClaimRequestForm, InviteForm, ReasonForm
from frontend.views import staff_refusal


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    account = PortalAccount.objects.filter(user=user).select_related("artist").first()
    context = {
        "nav": "account",
        "account": account,
        "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "two_factor": is_mfa_enabled(user),
        "two_factor_required": request.user.is_staff and settings.STAFF_TWO_FACTOR,
        "claims": ClaimRequest.objects.filter(user=user).select_related("artist")[:10],
    }
    return render(request, "frontend/account.html", context)


def _claim_page(
    request: HttpRequest, code_form: ClaimCodeForm, request_form: ClaimRequestForm, status: int = 200
) -> HttpResponse:
    context = {"nav": "account", "code_form": code_form, "request_form": request_form}
    return render(request, "frontend/claim.html", context, status=status)


@login_required
def claim_artist(request: HttpRequest) -> HttpResponse:
    """Claim an artist with a code, or ask an admin with evidence."""
    code_form, request_form = ClaimCodeForm(prefix="c"), ClaimRequestForm(prefix="r")
    if request.method != "POST":
        return _claim_page(request, code_form, request_form)
    if request.POST.get("action") == "code":
        code_form = ClaimCodeForm(request.POST, prefix="c")
        if code_form.is_valid():
            try:
                account = claims.redeem_code(user=request.user, raw_code=code_form.cleaned_data["code"])
            except claims.ClaimRefused as refused:
                code_form.add_error("code", refused.message)
            else:
                messages.success(request, f"You are now {account.role} of {account.artist}.")
                return redirect("artist-dashboard", artist_id=account.artist_id)
    else:
        request_form = ClaimRequestForm(request.POST, prefix="r")
        if request_form.is_valid():
            data = request_form.cleaned_data
            artist = Artist.objects.filter(pk=data["artist"].strip()).first()
            if artist is None:
                request_form.add_error(
                    "artist", "No artist with this id in the catalog; check it with your distributor."
                )
            else:
                try:
                    claims.request_claim(
                        user=request.user, artist=artist, links=data["links"], note=data["note"]
                    )
                except claims.ClaimRefused as refused:
                    request_form.add_error(None, refused.message)
                else:
                    messages.success(
                        request,
                        f"Your claim of {artist.name} waits for an admin; you will see the answer here.",
                    )
                    return redirect("account-settings")
    return _claim_page(request, code_form, request_form, status=400)


def own_membership(request: HttpRequest, artist_id: str) -> tuple[PortalAccount, Artist]:
    """This login's membership of the artist, and the artist; 404 for anyone else's."""
    user: Any = request.user
    account = PortalAccount.objects.filter(user=user, artist_id=artist_id).select_related("artist").first()
    if account is None or account.artist is None:
        raise Http404("No such artist of yours.")
    return account, account.artist


def _team_page(
    request: HttpRequest,
    account: PortalAccount,
    artist: Artist,
    form: InviteForm,
    *,
    code: claims.IssuedCode | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "nav": "dashboard",
        "artist": artist,
        "me": account,
        "members": claims.members(artist_id=artist.id),
        "open_codes": claims.open_codes(artist_id=artist.id)
        if account.role == PortalAccount.Role.OWNER
        else [],
        "form": form,
        "issued": code,
    }
    return render(request, "frontend/team.html", context, status=status)


@login_required
def artist_team(request: HttpRequest, artist_id: str) -> HttpResponse:
    """An artist's logins; its owners invite (a one-time code, e-mailed if they give an address)."""
    account, artist = own_membership(request, artist_id)
    if request.method != "POST":
        return _team_page(request, account, artist, InviteForm())
    if account.role != PortalAccount.Role.OWNER:
        raise Http404("Only an owner invites.")
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _team_page(request, account, artist, form, status=400)
    email = form.cleaned_data["email"]
    issued = claims.issue_code(
        artist=artist,
        role=form.cleaned_data["role"],
        issued_by=f"owner:{request.user.get_username()}",
        sent_to=email,
    )
    if email:
        try:
            send_invitation(
                to=email,
                artist_name=artist.name,
                code=issued.code,
                expires_at=issued.expires_at,
                invited_by=request.user.get_username(),
                url=request.build_absolute_uri(reverse("account-claim")),
            )
        except (OSError, SMTPException, BadHeaderError):
            messages.warning(
                request, f"The mail to {email} could not be sent: give them the code below yourself."
            )
    return _team_page(request, account, artist, InviteForm(), code=issued)


@login_required
@require_POST
def artist_team_remove(request: HttpRequest, artist_id: str, account_id: int) -> HttpResponse:
    own_membership(request, artist_id)
    try:
        claims.remove_member(owner=request.user, artist_id=artist_id, account_id=account_id)
    except claims.ClaimRefused as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, "Removed.")
    user: Any = request.user
    if not PortalAccount.objects.filter(user=user, artist_id=artist_id).exists():
        return redirect("account-settings")
    return redirect("artist-team", artist_id=artist_id)


@login_required
@require_POST
def artist_code_revoke(request: HttpRequest, artist_id: str, code_id: int) -> HttpResponse:
    own_membership(request, artist_id)
    try:
        claims.revoke_code(owner=request.user, artist_id=artist_id, code_id=code_id)
    except claims.ClaimRefused as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, "Revoked: that code no longer works.")
    return redirect("artist-team", artist_id=artist_id)


@login_required
def console_claims(request: HttpRequest) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    pending = ClaimRequest.objects.filter(status=ClaimRequest.Status.PENDING).select_related("user", "artist")
    decided = ClaimRequest.objects.exclude(status=ClaimRequest.Status.PENDING).select_related(
        "user", "artist"
    )[:20]
    return render(request, "frontend/claims.html", {"nav": "claims", "pending": pending, "decided": decided})


@login_required
@require_POST
def console_claim_decide(request: HttpRequest, claim_id: int) -> HttpResponse:
    if refused := staff_refusal(request):
        return refused
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        claim = claims.decide_claim(
            claim_id=claim_id,
            approve=request.POST.get("decision") == "approve",
            decided_by=request.user.get_username(),
            reason=reason,
        )
    except claims.ClaimRefused as problem:
        messages.error(request, problem.message)
    else:
        messages.success(
            request, f"Claim of {claim.artist.name} by {claim.user.get_username()}: {claim.status}."
        )
    return redirect("console-claims")
