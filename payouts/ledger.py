"""The settlement's former entry point, kept until its caller uses `payouts.settlement`."""

from ledger.models import LedgerTransaction
from payouts.models import PayoutRun
from payouts.settlement import run_settlement_write


def settlement_write(*, run: PayoutRun) -> LedgerTransaction:
    return run_settlement_write(run=run)
