"""A finalized run's settlement: which ledger accounts it debits and credits.

The month's pool is credited (negative) with the run's pools (both sides), and every
payee's payable is debited with the run's results, its recording amount on its payable
account and its publishing amount on its publishing account; every ISRC's suspense on the
recording side and its mechanical suspense on the publishing side; and the retained amount
of both sides. The postings sum to zero (docs/rules.md §2, and §2 Publishing: the two
sides are never one line). The postings are one SELECT over the run's result
tables, written by the ledger with one INSERT ... SELECT, never row by row.

Its deductions follow as two more transactions, one per stage (docs/rules.md §2
Deductions): the fees, from each payee's payable account to the distributors' fee accounts,
and the withholding, from each payee's accounts (recording and publishing, in the parts the
run computed) to its tax-withheld account. What is left on a payee's two accounts is its
payable, added to its balance.
"""

from ledger import accounts
from ledger.accounts import AccountKind
from ledger.models import LedgerTransaction
from ledger.services import PostingsQuery, transaction_write
from payouts.models import PayeeResult, PayoutRun

SETTLEMENT_SQL = (
    "SELECT %s AS account, %s AS amount_minor "
    "UNION ALL SELECT %s || payee, recording_minor FROM payouts_payeeresult "
    "WHERE run_id = %s AND recording_minor <> 0 "
    "UNION ALL SELECT %s || payee, publishing_minor FROM payouts_payeeresult "
    "WHERE run_id = %s AND publishing_minor <> 0 "
    "UNION ALL SELECT CASE side WHEN 'publishing' THEN %s ELSE %s END || isrc, amount_minor "
    "FROM payouts_suspenseresult WHERE run_id = %s "
    "UNION ALL SELECT %s, %s"
)


FEES_SQL = (
    "SELECT %s || payee AS account, -fee_minor AS amount_minor FROM payouts_payeeresult "
    "WHERE run_id = %s AND fee_minor <> 0 "
    "UNION ALL SELECT %s || distributor_id, sum(fee_minor) FROM payouts_payeefee WHERE run_id = %s "
    "GROUP BY distributor_id"
)
WITHHOLDING_SQL = (
    "SELECT %s || payee AS account, withheld_publishing_minor - withheld_minor AS amount_minor "
    "FROM payouts_payeeresult WHERE run_id = %s AND withheld_minor <> 0 "
    "UNION ALL SELECT %s || payee, -withheld_publishing_minor FROM payouts_payeeresult "
    "WHERE run_id = %s AND withheld_publishing_minor <> 0 "
    "UNION ALL SELECT %s || payee, withheld_minor FROM payouts_payeeresult "
    "WHERE run_id = %s AND withheld_minor <> 0"
)


def settlement_key(run_id: int) -> str:
    return f"run:{run_id}:settlement"


def run_settlement_write(*, run: PayoutRun) -> LedgerTransaction:
    """Write the run's settlement transaction once; a second call returns the first.

    Caller holds the run's row lock inside the finalizing transaction.
    """
    query = PostingsQuery(
        sql=SETTLEMENT_SQL,
        params=[
            accounts.pool(run.month).code, -(run.pools_minor or 0),
            accounts.prefix(AccountKind.PAYABLE), run.pk,
            accounts.prefix(AccountKind.PUBLISHING), run.pk,
            accounts.prefix(AccountKind.MECHANICAL), accounts.prefix(AccountKind.SUSPENSE), run.pk,
            accounts.RETAINED.code, run.retained_minor or 0,
        ],
    )  # fmt: skip
    return transaction_write(
        key=settlement_key(run.pk),
        run_id=run.pk,
        description=f"Payout run {run.pk} for {run.month:%Y-%m}",
        currency=run.policy["currency"],
        postings=query,
    )


def run_deductions_write(*, run: PayoutRun) -> list[LedgerTransaction]:
    """Write the run's fee and withholding transactions once each (none when nothing is
    deducted). Caller holds the run's row lock inside the finalizing transaction."""
    results = PayeeResult.objects.filter(run=run)
    written = []
    month = f"{run.month:%Y-%m}"
    if results.exclude(fee_minor=0).exists():
        payable, fees = accounts.prefix(AccountKind.PAYABLE), accounts.prefix(AccountKind.FEES)
        written.append(
            transaction_write(
                key=f"run:{run.pk}:fees",
                run_id=run.pk,
                description=f"Distribution fees of {month} (payout run {run.pk})",
                currency=run.policy["currency"],
                postings=PostingsQuery(sql=FEES_SQL, params=[payable, run.pk, fees, run.pk]),
            )
        )
    if results.exclude(withheld_minor=0).exists():
        publishing, withheld = (
            accounts.prefix(AccountKind.PUBLISHING),
            accounts.prefix(AccountKind.WITHHOLDING),
        )
        written.append(
            transaction_write(
                key=f"run:{run.pk}:withholding",
                run_id=run.pk,
                description=f"Tax withheld from {month} (payout run {run.pk})",
                currency=run.policy["currency"],
                postings=PostingsQuery(
                    sql=WITHHOLDING_SQL,
                    params=[
                        accounts.prefix(AccountKind.PAYABLE),
                        run.pk,
                        publishing,
                        run.pk,
                        withheld,
                        run.pk,
                    ],
                ),
            )
        )
    return written
