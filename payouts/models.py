"""Payout runs: screening holds, the computation's chunks, results and review requests.

The ledger the runs post to is the `ledger` app's.

Amounts that are paid are integers of the settlement currency's minor unit (`*_minor`);
exact shares before rounding are `ExactAmountField`s. Result rows name payees, artists and
ISRCs by id (not foreign keys) and snapshot names: a finalized month must read the same
after the catalog changes. Financial rows are protected from deletion (`PROTECT`).
"""

from decimal import Decimal

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


class RunTrack(models.Model):
    """The catalog as the run computed it: each ISRC's artist and title."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="catalog", db_index=False)
    isrc = models.CharField(max_length=12)
    artist = models.CharField(max_length=64)
    title = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "isrc"], name="run_track_unique")]
        indexes = [models.Index(fields=["run", "artist"], name="run_track_artist")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} ({self.artist})"


class RunSplit(models.Model):
    """The splits as the run computed them, for the tracks that have some.

    A track of the run's catalog (RunTrack) without rows here paid 100% to its artist; an
    ISRC not in that catalog went to suspense.
    """

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="splits", db_index=False)
    isrc = models.CharField(max_length=12)
    artist = models.CharField(max_length=64)
    payee = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        indexes = [
            models.Index(fields=["run", "isrc"], name="run_split_isrc"),
            models.Index(fields=["run", "payee"], name="run_split_payee"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} → {self.payee}: {self.share}"


class RunWorkLink(models.Model):
    """The recording-to-work links as the run computed them: a recording's publishing
    amount goes to these works by `share`; the rest of it waits in mechanical suspense."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="work_links", db_index=False)
    isrc = models.CharField(max_length=12)
    work = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "isrc", "work"], name="run_work_link_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} → {self.work}: {self.share}"


class RunWorkShare(models.Model):
    """A work's writers and publishers as the run computed them (shares add up to 1)."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="work_shares", db_index=False)
    work = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    payee = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "work", "payee"], name="run_work_share_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.work} → {self.payee}: {self.share}"


class PublishingLine(models.Model):
    """One line of the publishing side's settlement path: a recording's publishing amount in
    one listener territory and plan tier, through one linked work, to one of its payees.

    `share` is the link's share × the payee's share of the work; `amount` the recording's
    publishing amount in the territory and tier × `share`. An empty payee and work is the
    part not linked to any work: mechanical suspense for the ISRC.
    """

    run_id = models.BigIntegerField()
    payee = models.CharField(max_length=64, blank=True)
    isrc = models.CharField(max_length=12)
    work = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2)
    tier = models.CharField(max_length=32)
    streams = models.BigIntegerField()
    share = models.DecimalField(max_digits=13, decimal_places=12)
    amount = ExactAmountField()

    class Meta:
        indexes = [models.Index(fields=["run_id", "payee"], name="publishing_line_run_payee")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} {self.work or '-'} → {self.payee or 'mechanical suspense'}"


class AllocationLine(models.Model):
    """One line of the settlement path: a track, a listener territory and plan tier, a payee.

    Its stages are its columns. Allocation: `listeners_amount` is what the listeners' own
    pools gave the track's streams in this territory and tier, `unallocated_amount` the
    spread of unallocated pools over the same streams (both before splits). Split: the
    payee's `share` of the track and its `amount` = (listeners + unallocated) × share.
    Payee: the sum of a payee's amounts, rounded once, is its PayeeResult. An empty payee
    means the ISRC was not in the catalog: the amount is in suspense.

    A run writes these by the million in one statement, so the run is a plain column
    (no per-row foreign-key check) and the only index serves statements (run, payee).
    Other result tables are reached through indexes that start with the run, so their
    foreign key to it has no index of its own.
    """

    run_id = models.BigIntegerField()
    payee = models.CharField(max_length=64, blank=True)
    isrc = models.CharField(max_length=12)
    artist = models.CharField(max_length=64, blank=True, help_text="Empty: not in the catalog (suspense).")
    country = models.CharField(max_length=2)
    tier = models.CharField(max_length=32)
    streams = models.BigIntegerField()
    listeners_amount = ExactAmountField()
    unallocated_amount = ExactAmountField()
    share = models.DecimalField(max_digits=7, decimal_places=6)
    amount = ExactAmountField()

    class Meta:
        indexes = [models.Index(fields=["run_id", "payee"], name="line_run_payee")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc} {self.country}/{self.tier} → {self.payee or 'suspense'}"


class PayeeResult(models.Model):
    """What a payee gets from a run: exact share, and the amount after the single rounding."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payees", db_index=False)
    payee = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    name = models.CharField(max_length=300)
    distributor_id = models.BigIntegerField(null=True, blank=True)
    streams = models.BigIntegerField(
        help_text="Streams of the recordings it is paid for (the recording side's; else its works')."
    )
    amount_exact = ExactAmountField(help_text="Recording and publishing, exact.")
    amount_minor = models.BigIntegerField(help_text="recording_minor + publishing_minor.")
    # The two sides, each rounded on its own (docs/rules.md §2 Publishing).
    recording_minor = models.BigIntegerField(db_default=0)
    publishing_exact = ExactAmountField(db_default=Decimal(0))
    publishing_minor = models.BigIntegerField(db_default=0)
    publishing_streams = models.BigIntegerField(
        db_default=0, help_text="Streams of the recordings of its works."
    )
    # What the publishing side's other method (the comparison) would pay it.
    publishing_other_minor = models.BigIntegerField(db_default=0)

    class Meta:
        ordering = ["run", "payee"]
        constraints = [models.UniqueConstraint(fields=["run", "payee"], name="payee_result_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.payee}: {self.amount_minor}"


class SuspenseResult(models.Model):
    """Money of an ISRC held until it is claimed: on the recording side, an ISRC not in the
    catalog; on the publishing side (mechanical suspense), the part of a recording's
    publishing amount not linked to a work."""

    class Side(models.TextChoices):
        RECORDING = "recording"
        PUBLISHING = "publishing"

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="suspense", db_index=False)
    side = models.CharField(max_length=10, choices=Side.choices, db_default=Side.RECORDING)
    isrc = models.CharField(max_length=12)
    streams = models.BigIntegerField()
    amount_exact = ExactAmountField()
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["run", "side", "isrc"]
        constraints = [
            models.UniqueConstraint(fields=["run", "side", "isrc"], name="suspense_result_side_unique")
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.side} {self.isrc}: {self.amount_minor}"


class TrackResult(models.Model):
    """A track's month: qualifying streams, distinct listeners, exact amount before splits."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="tracks", db_index=False)
    isrc = models.CharField(max_length=12)
    artist = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=300, blank=True)
    streams = models.BigIntegerField()
    listeners = models.IntegerField()
    gross_exact = ExactAmountField()
    unallocated_exact = ExactAmountField(help_text="The part of the gross from unallocated pools.")
    # The publishing side: the recording's publishing amount by the run's method and by the
    # other one (before links), and the share of it linked to works.
    publishing_exact = ExactAmountField(db_default=Decimal(0))
    publishing_other_exact = ExactAmountField(db_default=Decimal(0))
    linked_share = models.DecimalField(max_digits=7, decimal_places=6, db_default=Decimal(0))

    class Meta:
        ordering = ["run", "isrc"]
        constraints = [models.UniqueConstraint(fields=["run", "isrc"], name="track_result_unique")]
        indexes = [models.Index(fields=["run", "artist"], name="track_result_artist")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.isrc}"


class ArtistResult(models.Model):
    """An artist's month in the three models (docs/rules.md §2 comparisons), on the same data.

    `gross_exact`: what the artist's tracks earned user-centrically before splits;
    `amount_minor`: what the artist receives as a payee; `pro_rata_*`: the same pool divided
    by share of all qualifying streams; `progressive_minor`: docs/rules.md §3 with the base value
    solved so that all artists add up to the pool.
    """

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="artists", db_index=False)
    artist = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    streams = models.BigIntegerField()
    listeners = models.IntegerField()
    gross_exact = ExactAmountField()
    amount_minor = models.BigIntegerField()
    pro_rata_gross_exact = ExactAmountField()
    pro_rata_amount_exact = ExactAmountField()
    pro_rata_minor = models.BigIntegerField()
    progressive_minor = models.BigIntegerField(null=True, blank=True)
    # What the artist's payee gets on the publishing side (as a writer), beside amount_minor.
    publishing_minor = models.BigIntegerField(db_default=0)

    class Meta:
        ordering = ["run", "artist"]
        constraints = [models.UniqueConstraint(fields=["run", "artist"], name="artist_result_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.artist}"


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


class SuspenseRelease(models.Model):
    """Money held in suspense in an earlier month, paid when its ISRC was claimed: by the
    month `run` finalized, to `payee`, by the splits (recording side) or the work links and
    shares (publishing side) of that run's catalog (docs/rules.md §2 Publishing, Suspense is
    released when claimed). `share` is the part of the held amount released so far on the
    publishing side, where a recording may be linked in steps."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="releases")
    side = models.CharField(max_length=10, choices=SuspenseResult.Side.choices)
    isrc = models.CharField(max_length=12)
    source = models.ForeignKey(SuspenseResult, on_delete=models.PROTECT, related_name="releases")
    source_month = models.DateField(help_text="The month the money was held for.")
    payee = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=7, decimal_places=6, help_text="Link share released up to now.")
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["run", "payee", "source_month", "isrc"]
        indexes = [models.Index(fields=["run", "payee"], name="suspense_release_run_payee")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.side} {self.isrc} ({self.source_month:%Y-%m}) → {self.payee}"
