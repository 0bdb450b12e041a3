"""The payout ledger: append-only, double-entry, in integer minor units.

Finalizing a run writes one transaction: the month's pool is credited (negative) and
every payee's payable, every ISRC's suspense and the retained amount are debited, so the
postings sum to zero. The database refuses updates and deletes of ledger rows and (on
PostgreSQL) checks each transaction's balance at commit; `settlement_write` checks it too.
"""

from django.db import connection
from django.db.models import Count, Sum

from payouts.models import LedgerPosting, LedgerTransaction, PayoutRun


class LedgerUnbalanced(Exception):
    pass


def settlement_key(run_id: int) -> str:
    return f"run:{run_id}:settlement"


def settlement_write(*, run: PayoutRun) -> LedgerTransaction:
    """Write the run's settlement transaction once; a second call returns the first.

    Caller holds the run's row lock inside the finalizing transaction. Postings are
    written with one INSERT ... SELECT from the run's results, never row by row.
    """
    existing = LedgerTransaction.objects.filter(key=settlement_key(run.pk)).first()
    if existing is not None:
        return existing
    tx = LedgerTransaction.objects.create(
        key=settlement_key(run.pk),
        run=run,
        description=f"Payout run {run.pk} for {run.month:%Y-%m}",
        currency=run.policy["currency"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payouts_ledgerposting (transaction_id, account, amount_minor) "
            "SELECT %s, %s, %s WHERE %s <> 0 "
            "UNION ALL SELECT %s, 'payable:payee:' || payee, amount_minor FROM payouts_payeeresult "
            "WHERE run_id = %s AND amount_minor <> 0 "
            "UNION ALL SELECT %s, 'suspense:isrc:' || isrc, amount_minor FROM payouts_suspenseresult "
            "WHERE run_id = %s AND amount_minor <> 0 "
            "UNION ALL SELECT %s, 'retained', %s WHERE %s <> 0",
            [
                tx.pk, f"pool:{run.month:%Y-%m}", -(run.pools_minor or 0), run.pools_minor or 0,
                tx.pk, run.pk,
                tx.pk, run.pk,
                tx.pk, run.retained_minor or 0, run.retained_minor or 0,
            ],
        )  # fmt: skip
    balance = LedgerPosting.objects.filter(transaction=tx).aggregate(total=Sum("amount_minor"))["total"] or 0
    if balance != 0:
        raise LedgerUnbalanced(f"Settlement of run {run.pk} does not balance: {balance}.")
    return tx


def unbalanced_transactions(*, run_id: int | None = None) -> list[tuple[str, int]]:
    """Ledger transactions whose postings do not sum to zero (there should be none)."""
    txs = LedgerTransaction.objects.all()
    if run_id is not None:
        txs = txs.filter(run_id=run_id)
    rows = txs.annotate(total=Sum("postings__amount_minor"), n=Count("postings")).values_list("key", "total")
    return [(key, total) for key, total in rows if (total or 0) != 0]


def account_balances(*, run_id: int) -> dict[str, int]:
    """Balance per account of a run's ledger transactions."""
    rows = (
        LedgerPosting.objects.filter(transaction__run_id=run_id)
        .values_list("account")
        .annotate(total=Sum("amount_minor"))
    )
    return {account: int(total) for account, total in rows}
