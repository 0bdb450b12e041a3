"""What each payee and distributor is owed now, read from the ledger (docs/rules.md §2 Payees
and payments).

A payee's balance is the sum of its two accounts (recordings: `payable:payee:`; musical works:
`publishing:payee:`), kept apart so a statement can say which side it came from; a
distributor's balance is its fee account. Finalized months add to them, payments take from
them (into one transit account per payment), failed and returned payments put back.
"""

from dataclasses import dataclass

from ledger import accounts
from ledger.accounts import AccountKind
from ledger.selectors import account_codes_balance, kind_balances


@dataclass(frozen=True)
class Balance:
    recording_minor: int = 0  # the recording account, or a distributor's fee account
    publishing_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.recording_minor + self.publishing_minor


def all_balances() -> tuple[dict[str, Balance], dict[int, Balance]]:
    """(payee id → balance, distributor id → balance) for every account with postings."""
    payees: dict[str, Balance] = {}
    distributors: dict[int, Balance] = {}
    for account, total in kind_balances(
        AccountKind.PAYABLE, AccountKind.PUBLISHING, AccountKind.FEES
    ).items():
        if account.kind is AccountKind.FEES:
            if account.key.isdigit():
                distributors[int(account.key)] = Balance(recording_minor=total)
            continue
        seen = payees.get(account.key, Balance())
        if account.kind is AccountKind.PAYABLE:
            payees[account.key] = Balance(total, seen.publishing_minor)
        else:
            payees[account.key] = Balance(seen.recording_minor, total)
    return payees, distributors


def payee_balance(payee_id: str) -> Balance:
    return Balance(
        account_codes_balance([accounts.payable(payee_id).code]),
        account_codes_balance([accounts.publishing(payee_id).code]),
    )


def distributor_balance(distributor_id: int) -> Balance:
    return Balance(account_codes_balance([accounts.fees(str(distributor_id)).code]))
