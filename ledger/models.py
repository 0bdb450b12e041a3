"""The ledger: append-only, double-entry, in integer minor units of the settlement currency.

The tables keep the names they were created with (`payouts_ledger*`): the database's
append-only and balance triggers are attached to them (payouts migration 0002), and the
rows already written stay where they are. A transaction names the payout run it belongs to
by id only (the ledger sits below payouts and knows nothing of runs); payments' transactions
belong to no run.
"""

from django.db import models
from django.db.models.functions import Now

from ledger.accounts import ACCOUNT_CHECK, MAX_LENGTH


class LedgerTransaction(models.Model):
    """A balanced set of postings. Append-only: the database refuses updates and deletes."""

    key = models.CharField(max_length=100, unique=True, help_text="Idempotency key, e.g. run:12:settlement.")
    run_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="The payout run that wrote it; none: a payment's."
    )
    description = models.CharField(max_length=300)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "payouts_ledgertransaction"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.key


class LedgerPosting(models.Model):
    """One signed amount on one account; a transaction's postings sum to zero.

    The account is a code of `ledger.accounts` (`pool:YYYY-MM`, `payable:payee:<id>`,
    `suspense:isrc:<isrc>`, `retained`...); the database refuses any other.
    """

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="postings")
    account = models.CharField(max_length=MAX_LENGTH)
    amount_minor = models.BigIntegerField()

    class Meta:
        db_table = "payouts_ledgerposting"
        ordering = ["transaction", "id"]
        indexes = [models.Index(fields=["account"], name="ledger_posting_account")]
        constraints = [models.CheckConstraint(condition=ACCOUNT_CHECK, name="ledger_posting_account_known")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount_minor}"


class Adjustment(models.Model):
    """A correction of a final month, posted with a later, open month's run once a second
    person has approved it (ledger/adjustments.py). `account` is the payee's or distributor's
    account it corrects; the amount is signed."""

    account = models.CharField(max_length=MAX_LENGTH)
    month = models.DateField(help_text="The open month whose run posts it (first day).")
    amount_minor = models.BigIntegerField(help_text="Positive: owed more; negative: owed less.")
    reason = models.CharField(max_length=500)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_default=Now())
    approved_by = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    run_id = models.BigIntegerField(null=True, blank=True, help_text="The run that posted it.")

    class Meta:
        ordering = ["-month", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_minor=0), name="adjustment_not_zero"),
            models.CheckConstraint(condition=ACCOUNT_CHECK, name="adjustment_account_known"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor:+d} with {self.month:%Y-%m}"
