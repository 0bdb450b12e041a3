"""Messages between artists and fans, by consent (docs/rules.md §2 Messages, "Messages").

A conversation is one artist and one listener; the artist always writes first. What a
listener chose (display name, opt-ins, erasure) lives on `streams.Listener`; what it did
here (blocks, reports) and what was written live in this app. Artists reach a listener only
through a `fan_id` (streams/fans.py), never by its id.
"""

from django.db import models
from django.utils import timezone

from artists.models import Artist
from streams.models import Listener


class ArtistMessaging(models.Model):
    """An artist's messaging suspension (written by its third duplicate_text refusal in 24
    hours). Sends are decided one at a time per artist under a lock of its catalog row."""

    artist = models.OneToOneField(Artist, on_delete=models.PROTECT, primary_key=True, related_name="+")
    suspended_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "artist's messaging"
        verbose_name_plural = "artists' messaging"

    def __str__(self) -> str:
        return f"{self.artist_id}"


class Conversation(models.Model):
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="conversations")
    listener = models.ForeignKey(Listener, on_delete=models.PROTECT, related_name="conversations")
    started_at = models.DateTimeField(default=timezone.now)  # counts for the daily limit
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["artist", "listener"], name="conversation_artist_listener")
        ]
        indexes = [
            models.Index(fields=["artist", "started_at"], name="conversation_artist_started"),
            models.Index(fields=["listener"], name="conversation_listener"),
        ]

    def __str__(self) -> str:
        return f"{self.artist_id} ↔ fan #{self.pk}"


class Message(models.Model):
    class Sender(models.TextChoices):
        ARTIST = "artist"
        LISTENER = "listener"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=8, choices=Sender.choices)
    body = models.TextField()
    # An artist's message: SHA-256 of its normalised text (messaging/rules.py), what the
    # duplicate-text rule counts. Empty for a listener's reply.
    fingerprint = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When its recipient read it.")

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "sent_at"], name="message_conversation_sent"),
            models.Index(fields=["fingerprint", "sent_at"], name="message_fingerprint_sent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} from {self.sender}"


class Block(models.Model):
    """A listener's block: that artist sends it nothing more."""

    listener = models.ForeignKey(Listener, on_delete=models.PROTECT, related_name="blocks")
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["listener", "artist"], name="block_listener_artist")]

    def __str__(self) -> str:
        return f"{self.artist_id} blocked"


class Report(models.Model):
    """A reported message: the moderation queue (open reports, oldest first).

    `evidence` is the artist's message as it was reported, so moderation can judge the
    artist even after the listener erased its data; the listener and its reason are then
    removed (docs/privacy.md).
    """

    class Status(models.TextChoices):
        OPEN = "open"
        DISMISSED = "dismissed"
        UPHELD = "upheld"

    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="+")
    listener = models.ForeignKey(
        Listener, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    reason = models.TextField(blank=True)
    evidence = models.TextField()
    message_sent_at = models.DateTimeField()
    reported_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    moderator_note = models.TextField(blank=True)

    class Meta:
        ordering = ["reported_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message"], condition=models.Q(message__isnull=False), name="report_once_per_message"
            )
        ]
        indexes = [models.Index(fields=["status", "reported_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"report #{self.pk} of {self.artist_id} ({self.status})"


class DuplicateRefusal(models.Model):
    """A `duplicate_text` refusal, the one thing a refused send stores: three of them in 24
    hours suspend the artist. Older ones are deleted when the artist next writes."""

    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(max_length=64)
    refused_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-refused_at"]
        indexes = [models.Index(fields=["artist", "refused_at"], name="duplicate_refusal_artist")]

    def __str__(self) -> str:
        return f"{self.artist_id} at {self.refused_at:%Y-%m-%d %H:%M}"
