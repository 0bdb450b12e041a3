"""A payout run, its computation's steps, screening holds and artists' review requests."""

from django.db import models
from django.db.models.functions import Now

from payouts.fields import ExactAmountField


class PayoutRun(models.Model):
    """One month's payout, from screening to the ledger (docs/rules.md §4 state machine)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SCREENING = "screening"
        REVIEW = "review"
        COMPUTING = "computing"
        COMPUTED = "computed"
        FINALIZED = "finalized"
        FAILED = "failed"

    month = models.DateField(help_text="First day of the month (UTC).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1; a display value, not money.")
    failure_reason = models.TextField(blank=True)
    policy = models.JSONField(help_text="The policy values the run uses, snapshotted when it started.")
    requested_by = models.CharField(max_length=200, blank=True)

    # The data cut: events with a larger id and revenue recorded later are late, not paid.
    cutoff_event_id = models.BigIntegerField(null=True, blank=True)
    cutoff_revenue_at = models.DateTimeField(null=True, blank=True)

    # Exact totals (currency units) and what they round to (minor units), once computed.
    pools_exact = ExactAmountField(null=True, blank=True)
    unallocated_exact = ExactAmountField(null=True, blank=True)
    rejected_exact = ExactAmountField(null=True, blank=True)
    retained_exact = ExactAmountField(null=True, blank=True)
    pools_minor = models.BigIntegerField(null=True, blank=True)
    allocated_minor = models.BigIntegerField(null=True, blank=True)
    suspense_minor = models.BigIntegerField(null=True, blank=True)
    retained_minor = models.BigIntegerField(null=True, blank=True)
    unallocated_minor = models.BigIntegerField(null=True, blank=True)
    # The publishing side's part of the totals above (docs/rules.md §2 Publishing), rounded on
    # its own: allocated + suspense (mechanical) + retained == pools, as for the whole run.
    publishing_pools_exact = ExactAmountField(null=True, blank=True)
    publishing_pools_minor = models.BigIntegerField(null=True, blank=True)
    publishing_allocated_minor = models.BigIntegerField(null=True, blank=True)
    publishing_suspense_minor = models.BigIntegerField(null=True, blank=True)
    publishing_retained_minor = models.BigIntegerField(null=True, blank=True)
    streams = models.BigIntegerField(null=True, blank=True, help_text="Qualifying streams counted.")
    listeners = models.IntegerField(null=True, blank=True, help_text="Listeners with a pool or streams.")
    # Model comparisons: pro-rata and progressive totals, the solved base value.
    comparison = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(db_default=Now())
    screened_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [
            # Idempotency in the database: asking twice for a month gets the same run.
            models.UniqueConstraint(
                fields=["month"], condition=~models.Q(status="failed"), name="payout_run_one_live_per_month"
            ),
            models.CheckConstraint(
                name="payout_run_progress_in_range", condition=models.Q(progress__gte=0, progress__lte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} {self.month:%Y-%m} ({self.status})"


class RunChunk(models.Model):
    """One idempotent task of a run's computation, retried alone.

    Stage `listeners`: a listener range of the month, aggregated and screened. Stage
    `isrcs`: one bucket of ISRCs, whose chunk parts are merged into lines and results.
    """

    class Stage(models.TextChoices):
        LISTENERS = "listeners"
        ISRCS = "isrcs"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="chunks")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.LISTENERS)
    index = models.PositiveIntegerField()
    # [lo, hi) of listener ids in the database's collation; None is unbounded.
    lo = models.CharField(max_length=64, null=True, blank=True)
    hi = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A listener chunk's net revenue: all, of listeners without a qualifying stream, of
    # rejected listeners (each side's pools are these × its share of net revenue).
    net_exact = ExactAmountField(null=True, blank=True)
    net_unallocated_exact = ExactAmountField(null=True, blank=True)
    net_rejected_exact = ExactAmountField(null=True, blank=True)
    streams = models.BigIntegerField(null=True, blank=True)
    listeners = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "stage", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "stage", "index"], name="run_chunk_stage_unique")
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.stage} chunk {self.index} ({self.status})"


class Hold(models.Model):
    """A listener flagged by screening; its streams and pool wait for an admin decision."""

    class Decision(models.TextChoices):
        RELEASE = "release"
        REJECT = "reject"

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="holds")
    listener = models.ForeignKey("streams.Listener", on_delete=models.PROTECT, related_name="holds")
    rules = models.JSONField(help_text="Codes of the rules that flagged the listener.")
    reason = models.TextField()
    evidence = models.JSONField(default=dict)
    streams = models.IntegerField(default=0, help_text="The listener's qualifying streams in the month.")
    pool_exact = ExactAmountField(null=True, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "listener"], name="hold_one_per_listener")]
        indexes = [models.Index(fields=["run", "decision"], name="hold_run_decision")]

    def __str__(self) -> str:
        return f"Hold {self.pk} {self.listener_id} ({self.decision or 'pending'})"


class HoldDecisionRecord(models.Model):
    """One decision on a hold, the first or a change: the audit trail. Append-only (the
    database refuses updates): a changed decision adds a record, the earlier ones stay.

    A decision may change until the run starts computing (docs/rules.md §2 Fraud holds: the
    decisions are what the computation counts)."""

    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=8, choices=Hold.Decision.choices)
    previous = models.CharField(
        max_length=8,
        choices=Hold.Decision.choices,
        null=True,
        blank=True,
        help_text="Empty: the first decision.",
    )
    decided_by = models.CharField(max_length=200)
    decided_at = models.DateTimeField()
    chosen_by = models.CharField(
        max_length=200,
        blank=True,
        help_text="How the hold was chosen: one hold, by reason, by device, selected rows.",
    )

    class Meta:
        ordering = ["hold", "id"]
        indexes = [models.Index(fields=["hold", "id"], name="hold_decision_record_hold")]

    def __str__(self) -> str:
        return f"Hold {self.hold_id}: {self.previous or 'pending'} → {self.decision} by {self.decided_by}"


class ReviewRequest(models.Model):
    """An artist asking for a review of held streams in a month."""

    artist = models.ForeignKey("artists.Artist", on_delete=models.PROTECT, related_name="review_requests")
    month = models.DateField()
    message = models.TextField()
    requested_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_default=Now())
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.artist_id} {self.month:%Y-%m}"
