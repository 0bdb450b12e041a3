"""`transaction_write` and the ledger's selectors, without a payout run around them."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from ledger import accounts
from ledger.accounts import UnknownAccount
from ledger.models import LedgerPosting, LedgerTransaction
from ledger.selectors import (
    account_balances,
    payee_statement_lines,
    run_postings_total,
    run_transaction_keys,
    unbalanced_transactions,
)
from ledger.services import LedgerUnbalanced, Postings, PostingsQuery, transaction_write

pytestmark = pytest.mark.django_db

POOL = accounts.pool(date(2026, 10, 1))


def write(key: str = "t:1", run_id: int = 7, postings: Postings | None = None) -> LedgerTransaction:
    if postings is None:
        postings = [(POOL, -500), (accounts.payable("art-1"), 300), ("retained", 200)]
    return transaction_write(key=key, run_id=run_id, description="test", currency="USD", postings=postings)


def postings(tx: LedgerTransaction) -> list[tuple[str, int]]:
    return list(LedgerPosting.objects.filter(transaction=tx).values_list("account", "amount_minor"))


def test_a_balanced_transaction_is_written_from_pairs() -> None:
    tx = write()
    assert (tx.key, tx.run_id, tx.currency) == ("t:1", 7, "USD")
    assert postings(tx) == [("pool:2026-10", -500), ("payable:payee:art-1", 300), ("retained", 200)]
    assert unbalanced_transactions() == []


def test_a_balanced_transaction_is_written_from_a_select() -> None:
    query = PostingsQuery(
        sql="SELECT %s AS account, %s AS amount_minor UNION ALL SELECT %s || 'art-1', %s "
        "UNION ALL SELECT 'retained', 0",
        params=[POOL.code, -300, accounts.prefix(accounts.AccountKind.PAYABLE), 300],
    )
    tx = write(postings=query)
    assert sorted(postings(tx)) == [("payable:payee:art-1", 300), ("pool:2026-10", -300)]  # no zero line


def test_zero_amounts_are_not_posted() -> None:
    tx = write(postings=[(POOL, -5), (accounts.RETAINED, 5), (accounts.CASH, 0)])
    assert postings(tx) == [("pool:2026-10", -5), ("retained", 5)]


@pytest.mark.parametrize(
    "unbalanced",
    [
        [(POOL, -500), (accounts.RETAINED, 499)],
        PostingsQuery(sql="SELECT %s AS account, %s AS amount_minor", params=["retained", 1]),
    ],
)
def test_an_unbalanced_transaction_is_refused_and_nothing_is_written(
    unbalanced: Postings,
) -> None:
    with pytest.raises(LedgerUnbalanced):
        write(postings=unbalanced)
    assert not LedgerTransaction.objects.exists() and not LedgerPosting.objects.exists()


def test_replaying_a_key_returns_the_first_transaction_and_writes_nothing() -> None:
    first = write()
    again = write(postings=[(POOL, -1), (accounts.RETAINED, 1)])
    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 1 and LedgerPosting.objects.count() == 3


def test_amounts_are_integers_of_minor_units() -> None:
    for amount in (1.0, True):
        with pytest.raises(TypeError):
            # Wrongly typed on purpose: callers without type checks must be refused too.
            write(postings=[(POOL, -1), (accounts.RETAINED, amount)])  # type: ignore[list-item]
    assert not LedgerTransaction.objects.exists()


def test_an_unknown_account_is_refused_by_the_writer_and_by_the_database() -> None:
    with pytest.raises(UnknownAccount):
        write(postings=[(POOL, -1), ("payee:art-1", 1)])
    query = PostingsQuery(
        sql="SELECT 'payee:art-1' AS account, 1 AS amount_minor UNION ALL SELECT %s, -1", params=[POOL.code]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        write(postings=query)
    tx = write()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database's check, whoever writes
        LedgerPosting.objects.create(transaction=tx, account="pool:", amount_minor=0)
    assert LedgerTransaction.objects.count() == 1


def test_written_rows_cannot_be_changed() -> None:
    tx = write()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerPosting.objects.filter(transaction=tx).update(amount_minor=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=tx.pk).update(run_id=8)
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerPosting.objects.filter(transaction=tx).delete()
    assert postings(tx) == [("pool:2026-10", -500), ("payable:payee:art-1", 300), ("retained", 200)]


def test_selectors_read_balances_runs_and_a_payees_lines() -> None:
    write("t:1", 7)
    write("t:2", 8, postings=[(accounts.pool(date(2026, 11, 1)), -100), (accounts.payable("art-1"), 100)])
    write("t:3", 8, postings=[(accounts.payable("art-1"), -350), (accounts.CASH, 350)])
    assert account_balances(run_id=7) == {"pool:2026-10": -500, "payable:payee:art-1": 300, "retained": 200}
    assert account_balances()["payable:payee:art-1"] == 50
    assert sum(account_balances().values()) == 0
    assert run_transaction_keys(run_id=8) == ["t:2", "t:3"] and run_transaction_keys(run_id=9) == []
    assert run_postings_total(run_id=8) == 0
    lines = payee_statement_lines(payee="art-1")
    assert [(line.transaction_key, line.run_id, line.amount_minor, line.balance_minor) for line in lines] == [
        ("t:1", 7, 300, 300),
        ("t:2", 8, 100, 400),
        ("t:3", 8, -350, 50),
    ]
    assert payee_statement_lines(payee="nobody") == []
