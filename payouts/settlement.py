"""A finalized run's settlement: which ledger accounts it debits and credits.

The month's pool is credited (negative) with the run's pools (both sides), and every
payee's payable is debited with the run's results, its recording amount on its payable
account and its publishing amount on its publishing account; every ISRC's suspense on the
recording side and its mechanical suspense on the publishing side; and the retained amount
of both sides. The postings sum to zero (docs/rules.md §2, and §2 Publishing: the two
sides are never one line). The postings are one SELECT over the run's result
tables, written by the ledger with one INSERT ... SELECT, never row by row.
"""

from ledger import accounts
from ledger.accounts import AccountKind
from ledger.models import LedgerTransaction
from ledger.services import PostingsQuery, transaction_write
from payouts.models import PayoutRun

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
