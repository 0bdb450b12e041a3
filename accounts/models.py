"""Claiming an artist: one-time codes and claims an admin approves (docs/rules.md "Accounts")."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from artists.models import Artist, PortalAccount


class ClaimCode(models.Model):
    """A one-time code that makes the login redeeming it a member of the artist.

    Only a hash of the code is kept: the code itself is shown once, to whoever issued it.
    """

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="claim_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(
        max_length=6, choices=PortalAccount.Role.choices, default=PortalAccount.Role.OWNER
    )
    issued_by = models.CharField(max_length=200, help_text="The API client or login that issued it.")
    sent_to = models.EmailField(blank=True, help_text="An invitation's address, if it was e-mailed.")
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"claim code for {self.artist_id} ({self.role})"


class ClaimRequest(models.Model):
    """A login asking to be an artist's owner without a code, with evidence for an admin."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim_requests"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="claim_requests")
    links = models.TextField(blank=True, help_text="Links that show the login is the artist, one a line.")
    note = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(db_default=Now())
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "artist"],
                condition=models.Q(status="pending"),
                name="claim_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.artist_id} ({self.status})"
