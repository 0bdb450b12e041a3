"""Getting payables to the bank (docs/rules.md §2 Payees and payments): who may be paid
(verification, sanctions screening), the monthly payment batches and their payments, and the
append-only audit log of payout-method changes and batch actions.

A payee or a distributor (whose fee account is a balance too) is paid; every row that names
one names exactly one of the two.
"""

import secrets
from pathlib import PurePosixPath

from django.db import models
from django.db.models.functions import Now

from artists.models import Distributor, Payee


class Method(models.TextChoices):
    IBAN = "iban", "Bank account (IBAN)"
    PAYPAL = "paypal", "PayPal"


def _one_holder(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(payee__isnull=False, distributor__isnull=True)
        | models.Q(payee__isnull=True, distributor__isnull=False),
        name=name,
    )


DOCUMENT_SUFFIXES = (".pdf", ".jpg", ".png")


def identity_document_path(instance: "Verification", filename: str) -> str:
    """Where an identity document is stored: a random name (the original name is kept on the
    row, not in the path), with the suffix of its type when it has one of ours."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"identity/{secrets.token_hex(16)}{suffix if suffix in DOCUMENT_SUFFIXES else ''}"


class Verification(models.Model):
    """Who a payee (or distributor) is and where its money goes, as last recorded; and, when the
    artist's owner submitted it (Know Your Artist, payments/identity.py), its identity evidence."""

    class Status(models.TextChoices):
        UNVERIFIED = "unverified"
        PENDING = "pending"
        VERIFIED = "verified"
        REJECTED = "rejected"

    class Screening(models.TextChoices):
        NOT_SCREENED = "not_screened", "Not screened"
        CLEAN = "clean", "Clean"
        NO_LIST = "no_list", "No list loaded (counts as clean)"
        HIT = "hit", "Possible sanctions match"
        CLEARED = "cleared", "Match cleared by a reviewer"

    class Entity(models.TextChoices):
        PERSON = "person", "A person"
        COMPANY = "company", "A company"

    payee = models.OneToOneField(
        Payee, on_delete=models.PROTECT, null=True, blank=True, related_name="verification"
    )
    distributor = models.OneToOneField(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="verification"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNVERIFIED)
    legal_name = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    iban = models.CharField(max_length=34, blank=True, help_text="Electronic form, no spaces.")
    bic = models.CharField(max_length=11, blank=True)
    holder = models.CharField(max_length=300, blank=True, help_text="The account holder's name.")
    paypal_email = models.EmailField(max_length=254, blank=True)
    holder_matches = models.BooleanField(null=True, help_text="Does the holder's name match the legal name?")
    screening = models.CharField(max_length=12, choices=Screening.choices, default=Screening.NOT_SCREENED)
    screening_list = models.CharField(
        max_length=100, blank=True, help_text="The list version screened against."
    )
    screening_match = models.CharField(max_length=300, blank=True, help_text="The listed name that matched.")
    screened_at = models.DateTimeField(null=True, blank=True)
    # A method replacing an earlier one holds the payee out of batches until re-confirmed or
    # until the hold is over (docs/rules.md §2 Payees and payments).
    method_recorded_at = models.DateTimeField(null=True, blank=True)
    method_replaced = models.BooleanField(default=False)
    method_confirmed_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True, help_text="When it went to pending.")
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # The identity evidence the artist's owner submitted (never served but to staff).
    entity = models.CharField(
        max_length=7,
        choices=Entity.choices,
        blank=True,
        help_text="Whether the holder is a person or a company.",
    )
    date_of_birth = models.DateField(null=True, blank=True, help_text="A person's.")
    company_number = models.CharField(max_length=50, blank=True, help_text="A company's registration number.")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    address = models.TextField(max_length=500, blank=True, help_text="The postal address.")
    document = models.FileField(
        upload_to=identity_document_path, max_length=100, blank=True, help_text="The identity document."
    )
    document_name = models.CharField(max_length=255, blank=True, help_text="The file's name as uploaded.")
    document_type = models.CharField(
        max_length=40, blank=True, help_text="Decided from the file's first bytes."
    )
    document_size = models.BigIntegerField(null=True, blank=True, help_text="In bytes.")
    submitted_by = models.CharField(max_length=200, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [_one_holder("verification_one_holder")]
        indexes = [models.Index(fields=["status", "screening"], name="verification_queue")]

    def __str__(self) -> str:
        return f"{self.payee_id or f'distributor {self.distributor_id}'}: {self.status}"


class SanctionsList(models.Model):
    """A sanctions list as the operator loaded it (OFAC SDN CSV); the latest is in force."""

    version = models.CharField(max_length=100)
    source = models.CharField(max_length=300, blank=True)
    entries = models.IntegerField(default=0)
    loaded_by = models.CharField(max_length=200, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version} ({self.entries} names)"


class SanctionsName(models.Model):
    """One listed name (a primary name or an alias) and its matching key."""

    sanctions_list = models.ForeignKey(SanctionsList, on_delete=models.CASCADE, related_name="names")
    uid = models.CharField(max_length=20, help_text="The list's own entry number.")
    name = models.CharField(max_length=350)
    key = models.CharField(max_length=350, help_text="The name's words, folded and sorted.")

    class Meta:
        indexes = [models.Index(fields=["sanctions_list", "key"], name="sanctions_name_key")]

    def __str__(self) -> str:
        return self.name


class PaymentBatch(models.Model):
    """One month's payments: created once after the month is final, approved by someone else."""

    class Status(models.TextChoices):
        CREATED = "created", "Created, waiting for approval"
        APPROVED = "approved", "Approved: files may be downloaded"

    month = models.DateField(unique=True, help_text="First day of the finalized month it follows.")
    run_id = models.BigIntegerField(help_text="The payout run that finalized the month.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField(default=0)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_default=Now())
    approved_by = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"Payments of {self.month:%Y-%m}"


class Payment(models.Model):
    """One payee's (or distributor's) payment in a batch: the whole balance it had then.

    `recording_minor` and `publishing_minor` are what it took from each of the payee's two
    ledger accounts, so that a failed or returned payment puts back exactly that."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        FAILED = "failed"
        RETURNED = "returned"

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(max_length=35, unique=True, help_text="The end-to-end reference.")
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    distributor = models.ForeignKey(
        Distributor, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount_minor = models.BigIntegerField()
    recording_minor = models.BigIntegerField(default=0)
    publishing_minor = models.BigIntegerField(default=0)
    method = models.CharField(max_length=8, choices=Method.choices)
    name = models.CharField(max_length=300, help_text="The account holder paid.")
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    paypal_email = models.EmailField(max_length=254, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    status_at = models.DateTimeField(null=True, blank=True, help_text="When the last result came back.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "reference"]
        constraints = [
            _one_holder("payment_one_holder"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount_minor} ({self.status})"


class AuditEntry(models.Model):
    """One action on payout methods, verification or batches. Append-only: the database
    refuses updates and deletes (migration 0001)."""

    at = models.DateTimeField(db_default=Now())
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=100, help_text='e.g. "payee:art-1", "batch:3".')
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["subject", "id"], name="audit_subject")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject}"
