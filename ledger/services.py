"""Writes to the ledger: one general, idempotent, balanced transaction write.

Postings come either as Python `(account, amount_minor)` pairs, for a handful of lines,
or as a SQL SELECT producing `(account, amount_minor)` rows, so that a month with tens of
thousands of payees is posted with one INSERT ... SELECT and never row by row. Either way
the transaction is checked to sum to zero before it is kept; on PostgreSQL the database
checks it again at commit, and it refuses updates and deletes (payouts migration 0002).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from ledger.accounts import Account, account_parse
from ledger.models import LedgerPosting, LedgerTransaction


class LedgerUnbalanced(Exception):
    pass


@dataclass(frozen=True)
class PostingsQuery:
    """A SELECT whose rows are postings: columns `account` (a `ledger.accounts` code) and
    `amount_minor` (an integer), with its `%s` parameters."""

    sql: str
    params: Sequence[Any] = ()


Postings = Iterable[tuple[Account | str, int]] | PostingsQuery


def _account_code(account: Account | str) -> str:
    return account.code if isinstance(account, Account) else account_parse(account).code


def _postings_from_pairs(tx: LedgerTransaction, pairs: Iterable[tuple[Account | str, int]]) -> None:
    rows: list[LedgerPosting] = []
    for account, amount in pairs:
        # bool is an int too; neither it nor a float or Decimal is an amount in minor units.
        if type(amount) is not int:
            raise TypeError(f"Posting amounts are integers of minor units, not {amount!r}.")
        if amount:
            rows.append(LedgerPosting(transaction=tx, account=_account_code(account), amount_minor=amount))
    LedgerPosting.objects.bulk_create(rows)  # balanced or not: `transaction_write` checks both forms


def _postings_from_query(tx: LedgerTransaction, query: PostingsQuery) -> None:
    table = connection.ops.quote_name(LedgerPosting._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (transaction_id, account, amount_minor) "  # noqa: S608 - our own table name
            f"SELECT %s, q.account, q.amount_minor FROM ({query.sql}) AS q WHERE q.amount_minor <> 0",
            [tx.pk, *query.params],
        )


def transaction_write(
    *, key: str, run_id: int | None, description: str, currency: str, postings: Postings
) -> LedgerTransaction:
    """Write one transaction and its postings once; a second call with the key returns the first.

    Zero amounts are not posted (they move nothing). Raises `LedgerUnbalanced`, writing
    nothing, when the postings do not sum to zero, and `UnknownAccount` for an account that
    is none of `ledger.accounts`' kinds (a query's unknown account is refused by the
    database's check). Concurrent writers of one key must be serialized by the caller (a
    payout run's row lock); the unique key refuses the second otherwise.
    """
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        tx = LedgerTransaction.objects.create(
            key=key, run_id=run_id, description=description, currency=currency
        )
        if isinstance(postings, PostingsQuery):
            _postings_from_query(tx, postings)
        else:
            _postings_from_pairs(tx, postings)
        balance = (
            LedgerPosting.objects.filter(transaction=tx).aggregate(total=Sum("amount_minor"))["total"] or 0
        )
        if balance != 0:
            raise LedgerUnbalanced(f"Ledger transaction {key} does not balance: postings sum to {balance}.")
    return tx
