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
