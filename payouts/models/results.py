"""What a run computed: settlement lines of both sides, results per payee, ISRC, track and
artist, and suspense released when claimed."""

from decimal import Decimal

from django.db import models

from payouts.fields import ExactAmountField
from payouts.models.runs import PayoutRun


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


class PublishingLine(models.Model):
    """One line of the publishing side's settlement path: a recording's publishing amount in
    one listener territory and plan tier, through one linked work.

    `share` is the link's share and `amount` the recording's publishing amount in the
    territory and tier × `share`. A payee's part of the line is `amount` × its share of the
    work (`RunWorkShare`), exact: one row per work, not per payee, so that a work with many
    writers costs no more lines. An empty work is the part not linked to any work:
    mechanical suspense for the ISRC.
    """

    run_id = models.BigIntegerField()
    isrc = models.CharField(max_length=12)
    work = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2)
    tier = models.CharField(max_length=32)
    streams = models.BigIntegerField()
    share = models.DecimalField(max_digits=7, decimal_places=6)
    amount = ExactAmountField()

    class Meta:
        indexes = [models.Index(fields=["run_id", "work"], name="publishing_line_run_work")]

    def __str__(self) -> str:
        return (
            f"Run {self.run_id} {self.isrc} {self.country}/{self.tier} → {self.work or 'mechanical suspense'}"
        )


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
    # Deductions (docs/rules.md §2 Deductions), computed with the run from the agreements and
    # the tax profile in force then; what is added to the payee's balance is `payable_minor`.
    fee_minor = models.BigIntegerField(db_default=0, help_text="Distribution fees (recording side only).")
    withholding_rate = models.DecimalField(max_digits=7, decimal_places=6, db_default=Decimal(0))
    tax_form = models.CharField(max_length=8, db_default="none", help_text="The form on file when computed.")
    withheld_minor = models.BigIntegerField(db_default=0)
    withheld_publishing_minor = models.BigIntegerField(
        db_default=0, help_text="The part of the withheld amount taken from the publishing side."
    )
    payable_minor = models.GeneratedField(
        expression=models.F("amount_minor") - models.F("fee_minor") - models.F("withheld_minor"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["run", "payee"]
        constraints = [models.UniqueConstraint(fields=["run", "payee"], name="payee_result_unique")]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.payee}: {self.amount_minor}"


class PayeeFee(models.Model):
    """The part of a payee's distribution fee that goes to one distributor's account."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="fees", db_index=False)
    payee = models.CharField(max_length=64)
    distributor_id = models.BigIntegerField()
    rate = models.DecimalField(max_digits=7, decimal_places=6)
    fee_minor = models.BigIntegerField()

    class Meta:
        ordering = ["run", "payee", "distributor_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "payee", "distributor_id"], name="payee_fee_unique")
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} {self.payee} → distributor {self.distributor_id}: {self.fee_minor}"


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
