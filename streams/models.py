"""Listeners, what they paid (revenue records) and what they played (stream events)."""

from django.db import models
from django.db.models.functions import Now


class Listener(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    display_name = models.CharField(max_length=100, blank=True)
    show_to_artists = models.BooleanField(
        default=False, help_text="Opt-in: artists may see the display name among their top fans."
    )
    # db_default as well: ingestion and listeners_add insert listeners with raw SQL that names
    # only the columns above (docs/rules.md §2 Messages: both opt-ins default to off).
    accepts_messages = models.BooleanField(
        default=False, db_default=False, help_text="Opt-in: artists this listener streamed may write to it."
    )
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When its personal data was erased (docs/privacy.md); the id stays."
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id


class RevenueRecord(models.Model):
    """What one listener paid for one month, from the billing system. Idempotent by id."""

    class Source(models.TextChoices):
        SUBSCRIPTION = "subscription"
        ADS = "ads"

    id = models.CharField(primary_key=True, max_length=100)
    listener = models.ForeignKey(Listener, on_delete=models.PROTECT, related_name="revenue")
    month = models.DateField(help_text="First day of the month (UTC).")
    source = models.CharField(max_length=16, choices=Source.choices)
    plan = models.CharField(max_length=32)
    country = models.CharField(max_length=2)
    gross = models.DecimalField(max_digits=18, decimal_places=4)
    tax = models.DecimalField(max_digits=18, decimal_places=4)
    fees = models.DecimalField(max_digits=18, decimal_places=4)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-month", "listener"]
        indexes = [models.Index(fields=["month", "listener"], name="revenue_month_listener")]
        constraints = [
            models.CheckConstraint(
                name="revenue_amounts_consistent",
                condition=models.Q(tax__gte=0, fees__gte=0, gross__gte=models.F("tax") + models.F("fees")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.listener_id} {self.month:%Y-%m}"

    @property
    def net(self):  # type: ignore[no-untyped-def]
        return self.gross - self.tax - self.fees


class StreamEvent(models.Model):
    """One play, as the player reported it. Append-only: a database trigger refuses changes.

    `isrc` is deliberately not a foreign key: plays of tracks not (yet) in the catalog are
    kept and their money goes to suspense. `batch_id` ties events to the ingestion batch
    that wrote them, so workers can process a batch as one unit.
    """

    event_id = models.CharField(max_length=64)
    # No database constraint: it cost a lookup per ingested event. Ingestion writes the
    # listener with its events and a trigger refuses deleting one that has streams (0004).
    listener = models.ForeignKey(
        Listener, on_delete=models.PROTECT, related_name="streams", db_index=False, db_constraint=False
    )
    isrc = models.CharField(max_length=12)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    country = models.CharField(max_length=2)
    tier = models.CharField(max_length=32)
    device = models.CharField(max_length=128, null=True, blank=True)
    batch_id = models.UUIDField(null=True, blank=True)
    received_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["listener", "started_at"], name="stream_listener_time")]
        # A plain unique constraint: unique=True would add a second, pattern-ops index
        # that every insert pays for and no query uses.
        constraints = [models.UniqueConstraint(fields=["event_id"], name="stream_event_id_unique")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.listener_id} {self.isrc}"


class ClosedMonth(models.Model):
    """A month whose payouts are final. Revenue for it is refused; late events are only reported."""

    month = models.DateField(primary_key=True)
    closed_at = models.DateTimeField(db_default=Now())
    closed_by_run = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class IngestBatch(models.Model):
    """One accepted ingestion request, so the live pools can apply it exactly once.

    Written in the same transaction as its events; `applied_at` is set once the live
    pools include it. Unapplied batches (a worker died, Redis was down) are swept up.
    """

    batch_id = models.UUIDField(primary_key=True)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    events = models.PositiveIntegerField()
    created_at = models.DateTimeField(db_default=Now())
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="ingest_batch_pending",
                condition=models.Q(applied_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.events} events)"
