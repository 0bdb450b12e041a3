"""What is taken from a payee's amounts before they are payable (docs/rules.md §2
Deductions): the distribution fee agreements of distributors, with their history."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from artists.models import Distributor


class FeeAgreement(models.Model):
    """A distributor's commission on the recording money of the tracks it supplied, from a
    month on, until a later agreement of the same distributor takes over. Never edited:
    a new rate is a new agreement, so every month keeps the rate it was computed with."""

    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="fee_agreements")
    fee_rate = models.DecimalField(
        max_digits=7,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="A fraction of the recording amount, e.g. 0.15 for 15%; 0 for a flat-fee distributor.",
    )
    from_month = models.DateField(help_text="First day of the first month it applies to (UTC).")
    recorded_by = models.CharField(
        max_length=200, help_text="The admin client or staff user who recorded it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["distributor__name", "from_month"]
        constraints = [
            models.UniqueConstraint(fields=["distributor", "from_month"], name="fee_agreement_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(fee_rate__gte=0) & models.Q(fee_rate__lte=1), name="fee_rate_fraction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.distributor.name}: {self.fee_rate} from {self.from_month:%Y-%m}"


class TaxProfile(models.Model):
    """The tax form on file for a payee, as recorded at one moment. Never edited: recording
    a new form adds a row, and the latest one is the payee's profile, so a month computed
    earlier keeps the rate it was computed with (kept on its results) and the history stays."""

    class Form(models.TextChoices):
        NONE = "none", "No form on file"
        W9 = "w9", "W-9 (US person)"
        W8BEN = "w8ben", "W-8BEN (foreign individual)"
        W8BENE = "w8bene", "W-8BEN-E (foreign entity)"

    payee = models.ForeignKey("artists.Payee", on_delete=models.PROTECT, related_name="tax_profiles")
    form = models.CharField(max_length=8, choices=Form.choices)
    country = models.CharField(max_length=2, blank=True, help_text="Tax residence, ISO 3166 alpha-2.")
    treaty_rate = models.DecimalField(
        max_digits=7,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="The treaty withholding rate claimed on a W-8BEN(-E); none recorded: 0.30.",
    )
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payee", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["payee", "-recorded_at", "-id"], name="tax_profile_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(treaty_rate__isnull=True)
                | (models.Q(treaty_rate__gte=0) & models.Q(treaty_rate__lte=1)),
                name="tax_profile_treaty_rate_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payee_id}: {self.form} ({self.country or '-'})"
