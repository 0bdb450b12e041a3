"""Reads of the ledger: balances, a run's transactions, unbalanced ones, a payee's lines."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max, Min, Q, Sum

from ledger.accounts import Account, AccountKind, account_parse, payable, prefix
from ledger.models import LedgerPosting, LedgerTransaction


def account_balances(*, run_id: int | None = None) -> dict[str, int]:
    """Balance per account, of one run's transactions or (no run) of the whole ledger."""
    postings = LedgerPosting.objects.all()
    if run_id is not None:
        postings = postings.filter(transaction__run_id=run_id)
    rows = postings.order_by().values_list("account").annotate(total=Sum("amount_minor"))
    return {account: int(total) for account, total in rows}


def run_transaction_keys(*, run_id: int) -> list[str]:
    """Keys of the run's transactions, oldest first."""
    return list(LedgerTransaction.objects.filter(run_id=run_id).values_list("key", flat=True))


def run_postings_total(*, run_id: int) -> int:
    """Sum of every posting of the run's transactions (0 when the ledger balances)."""
    total = LedgerPosting.objects.filter(transaction__run_id=run_id).aggregate(total=Sum("amount_minor"))
    return int(total["total"] or 0)


def unbalanced_transactions(*, run_id: int | None = None) -> list[tuple[str, int]]:
    """Ledger transactions whose postings do not sum to zero (there should be none)."""
    txs = LedgerTransaction.objects.all()
    if run_id is not None:
        txs = txs.filter(run_id=run_id)
    rows = txs.annotate(total=Sum("postings__amount_minor")).values_list("key", "total")
    return [(key, int(total)) for key, total in rows if (total or 0) != 0]


@dataclass(frozen=True)
class StatementLine:
    transaction_key: str
    run_id: int | None
    description: str
    currency: str
    created_at: datetime
    amount_minor: int
    balance_minor: int  # the payable account's balance after this line


def payee_statement_lines(*, payee: str) -> list[StatementLine]:
    """Every posting on the payee's payable account, oldest first, with the running balance."""
    rows = (
        LedgerPosting.objects.filter(account=payable(payee).code)
        .order_by("transaction_id", "id")
        .values_list(
            "transaction__key",
            "transaction__run_id",
            "transaction__description",
            "transaction__currency",
            "transaction__created_at",
            "amount_minor",
        )
    )
    lines: list[StatementLine] = []
    balance = 0
    for key, run_id, description, currency, created_at, amount in rows:
        balance += amount
        lines.append(StatementLine(key, run_id, description, currency, created_at, amount, balance))
    return lines


def kind_balances(*kinds: AccountKind) -> dict[Account, int]:
    """Balance of every account of the keyed `kinds` (payees' payables, distributors' fees...)."""
    match = Q()
    for kind in kinds:
        match |= Q(account__startswith=prefix(kind))
    rows = (
        LedgerPosting.objects.filter(match)
        .order_by()
        .values_list("account")
        .annotate(total=Sum("amount_minor"))
    )
    return {account_parse(account): int(total) for account, total in rows}


def account_codes_balance(codes: list[str]) -> int:
    total = LedgerPosting.objects.filter(account__in=codes).aggregate(total=Sum("amount_minor"))["total"]
    return int(total or 0)


@dataclass(frozen=True)
class MonthBalance:
    """A holder's balance around one run: before its postings, what they added, what payments
    took from it before the next run, and what is left."""

    opening_minor: int
    month_minor: int
    paid_minor: int
    closing_minor: int


def month_balance(*, codes: list[str], run_id: int) -> MonthBalance | None:
    """The balance of `codes` (a holder's accounts) around run `run_id`'s transactions; None
    when the run wrote none (it is not finalized). Payments are the transactions of no run
    written after the run's and before the next run's."""
    own = LedgerTransaction.objects.filter(run_id=run_id).aggregate(lo=Min("id"), hi=Max("id"))
    if own["lo"] is None:
        return None
    later = (
        LedgerTransaction.objects.filter(id__gt=own["hi"], run_id__isnull=False)
        .exclude(run_id=run_id)
        .aggregate(lo=Min("id"))["lo"]
    )
    postings = LedgerPosting.objects.filter(account__in=codes)

    def total(query: Any) -> int:
        return int(query.aggregate(t=Sum("amount_minor"))["t"] or 0)

    opening = total(postings.filter(transaction_id__lt=own["lo"]))
    month = total(postings.filter(transaction__run_id=run_id))
    payments = postings.filter(transaction_id__gt=own["hi"], transaction__run_id__isnull=True)
    if later is not None:
        payments = payments.filter(transaction_id__lt=later)
    paid = -total(payments)
    return MonthBalance(opening, month, paid, opening + month - paid)
