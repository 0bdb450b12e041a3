"""Claiming an artist and managing its logins (docs/rules.md "Accounts").

A code is issued by the artist's distributor, an admin, or one of the artist's owners (an
invitation); it is single use and expires. Redeeming it links the login to the artist with
the code's role. A login belongs to one artist, distributor or payee at a time.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ClaimCode, ClaimRequest
from artists.models import Artist, PortalAccount

# No 0/O, 1/I/L: a code is read aloud and typed from a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 4


class ClaimRefused(Exception):
    """A claim, invitation or removal that cannot be done, with what to do instead."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedCode:
    code: str
    role: str
    expires_at: datetime


def normalize_code(raw: str) -> str:
    """Case, spaces and dashes do not matter: "kx-abcd efgh" is "KXABCDEFGH"."""
    return "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum())


def code_hash(raw: str) -> str:
    return hashlib.sha256(normalize_code(raw).encode()).hexdigest()


def new_code() -> str:
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS)]
    return "KX-" + "-".join(groups)


def issue_code(*, artist: Artist, role: str, issued_by: str, sent_to: str = "") -> IssuedCode:
    if role not in PortalAccount.Role.values:
        raise ClaimRefused("role", f"role must be one of {', '.join(PortalAccount.Role.values)}.")
    code = new_code()
    expires_at = timezone.now() + timedelta(days=settings.CLAIM_CODE_VALID_DAYS)
    ClaimCode.objects.create(
        artist=artist,
        code_hash=code_hash(code),
        role=role,
        issued_by=issued_by,
        sent_to=sent_to,
        expires_at=expires_at,
    )
    return IssuedCode(code=code, role=role, expires_at=expires_at)


def _must_be_free(user: Any) -> None:
    if user.is_staff:
        raise ClaimRefused(
            "staff", "Staff logins see every artist already; claim with an artist's own login."
        )
    account = PortalAccount.objects.filter(user=user).first()
    if account is not None:
        owner = account.artist_id or account.distributor_id or account.payee_id
        raise ClaimRefused(
            "already_linked",
            f"This login already belongs to {owner}; sign up with another e-mail to claim a second artist.",
        )


USED = "This claim code has been used already; ask for a new one."


@transaction.atomic
def redeem_code(*, user: Any, raw_code: str) -> PortalAccount:
    """Link the login to the code's artist; the code is used up in the same transaction."""
    claim = ClaimCode.objects.select_for_update().filter(code_hash=code_hash(raw_code)).first()
    if claim is None:
        raise ClaimRefused(
            "unknown_code", "No such claim code. Check it, or ask whoever issued it for a new one."
        )
    if claim.used_at is not None:
        raise ClaimRefused("used_code", USED)
    if claim.expires_at <= timezone.now():
        raise ClaimRefused("expired_code", "This claim code has expired; ask for a new one.")
    _must_be_free(user)
    # Used up by a conditional update, so two redemptions at once cannot both pass even where
    # the row lock above is no lock (SQLite).
    used = ClaimCode.objects.filter(pk=claim.pk, used_at__isnull=True)
    if not used.update(used_at=timezone.now(), used_by=user):
        raise ClaimRefused("used_code", USED)
    try:
        with transaction.atomic():
            return PortalAccount.objects.create(user=user, artist_id=claim.artist_id, role=claim.role)
    except IntegrityError as error:  # the same login redeeming two codes at once
        raise ClaimRefused("already_linked", "This login already belongs to an artist.") from error


def request_claim(*, user: Any, artist: Artist, links: str, note: str) -> ClaimRequest:
    _must_be_free(user)
    if not links.strip() and not note.strip():
        raise ClaimRefused("evidence", "Give at least one link or a note that shows you are this artist.")
    try:
        with transaction.atomic():
            return ClaimRequest.objects.create(
                user=user, artist=artist, links=links.strip(), note=note.strip()
            )
    except IntegrityError as error:
        raise ClaimRefused(
            "pending", "You have asked to claim this artist already; an admin will answer."
        ) from error


@transaction.atomic
def decide_claim(*, claim_id: int, approve: bool, decided_by: str, reason: str) -> ClaimRequest:
    claim = ClaimRequest.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise ClaimRefused("unknown_claim", f"No claim {claim_id}.")
    if claim.status != ClaimRequest.Status.PENDING:
        raise ClaimRefused("decided", f"This claim was {claim.status} already.")
    if not approve and not reason.strip():
        raise ClaimRefused("reason", "Say why the claim is refused; the artist reads it.")
    if approve:
        _must_be_free(claim.user)
        try:
            with transaction.atomic():
                PortalAccount.objects.create(
                    user=claim.user, artist_id=claim.artist_id, role=PortalAccount.Role.OWNER
                )
        except IntegrityError as error:  # the login redeemed a code meanwhile
            raise ClaimRefused("already_linked", "This login belongs to an artist now.") from error
    claim.status = ClaimRequest.Status.APPROVED if approve else ClaimRequest.Status.REJECTED
    claim.decided_by = decided_by
    claim.decided_at = timezone.now()
    claim.reason = reason.strip()
    claim.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return claim


def is_owner(user: Any, artist_id: str) -> bool:
    return PortalAccount.objects.filter(
        user=user, artist_id=artist_id, role=PortalAccount.Role.OWNER
    ).exists()


def members(*, artist_id: str) -> list[PortalAccount]:
    """The artist's logins, owners first; the only owner, if there is one, is marked
    `last_owner` (it cannot be removed)."""
    found = list(
        PortalAccount.objects.filter(artist_id=artist_id)
        .select_related("user")
        .order_by("role", "user__username")
    )
    owners = [a for a in found if a.role == PortalAccount.Role.OWNER]
    for account in found:
        account.last_owner = len(owners) == 1 and account in owners  # type: ignore[attr-defined]
    return found


@transaction.atomic
def remove_member(*, owner: Any, artist_id: str, account_id: int) -> None:
    """Remove a login from the artist, deciding on the locked rows (two owners removing each
    other at once cannot both succeed); the codes it issued that nobody used go with it."""
    accounts = list(
        PortalAccount.objects.select_for_update().filter(artist_id=artist_id).select_related("user")
    )
    if not any(a.user_id == owner.pk and a.role == PortalAccount.Role.OWNER for a in accounts):
        raise ClaimRefused("not_owner", "Only an owner of this artist removes its logins.")
    target = next((a for a in accounts if a.pk == account_id), None)
    if target is None:
        raise ClaimRefused("unknown_member", "No such login on this artist.")
    owners = [a for a in accounts if a.role == PortalAccount.Role.OWNER]
    if target.role == PortalAccount.Role.OWNER and len(owners) == 1:
        raise ClaimRefused(
            "last_owner", "An artist keeps at least one owner; make another login owner first."
        )
    ClaimCode.objects.filter(
        artist_id=artist_id, used_at__isnull=True, issued_by=f"owner:{target.user.get_username()}"
    ).delete()
    target.delete()


def open_codes(*, artist_id: str) -> list[ClaimCode]:
    """The artist's codes nobody has used and that have not expired, newest first."""
    return list(
        ClaimCode.objects.filter(artist_id=artist_id, used_at__isnull=True, expires_at__gt=timezone.now())
    )


def revoke_code(*, owner: Any, artist_id: str, code_id: int) -> None:
    """An owner withdraws an unused code of its artist (a distributor's or an admin's too)."""
    if not is_owner(owner, artist_id):
        raise ClaimRefused("not_owner", "Only an owner of this artist revokes its codes.")
    if not ClaimCode.objects.filter(pk=code_id, artist_id=artist_id, used_at__isnull=True).delete()[0]:
        raise ClaimRefused("unknown_code", "No such unused code of this artist.")
