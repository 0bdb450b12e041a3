"""Two months' batches made at the same moment, on PostgreSQL: every amount is in one batch
only, and the ledger never pays a balance twice."""

import threading
from datetime import date
from typing import Any

import pytest
from django.db import connection

from ledger.selectors import account_balances
from payments.batches import batch_create
from payments.models import Payment
from tests.payments.world import IBAN_ART_1, month_data, pay_month, verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_batches_at_once_never_pay_a_balance_twice(world: dict[str, Any], admin_api: Any) -> None:
    method = {"type": "iban", "iban": IBAN_ART_1, "holder": "Artist One"}
    verify(admin_api, "art-1", {"status": "verified", "legal_name": "Artist One", "payout_method": method})
    month_data("2026-11", [("L1", "QZKPX2600001", 3)], {"L1": "9.99"})
    pay_month(date(2026, 11, 1))
    owed = account_balances()["payable:payee:art-1"]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def make(month: date) -> None:
        try:
            start.wait(timeout=30)
            batch_create(month=month, actor=f"ops-{month:%m}")
        except BaseException as exc:  # handed to the test's thread below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=make, args=(m,)) for m in (date(2026, 10, 1), date(2026, 11, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    paid = list(Payment.objects.filter(payee_id="art-1").values_list("amount_minor", flat=True))
    assert paid == [owed]  # one batch took it all, the other found nothing left
    assert account_balances()["payable:payee:art-1"] == 0
