"""A month with distribution fees and tax withholding, run to the end on whichever database
the suite runs (the pure maths on SQLite, the SQL path on PostgreSQL): every payee's fee,
withholding and payable against docs/rules.md §2 Deductions computed here by hand, through
the payouts CSV, the earnings API, the statement and the ledger."""

import csv
import io
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import Distributor
from kalipxo.money import format_minor
from ledger.selectors import account_balances, unbalanced_transactions
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from tests.payouts.months import MONTH, Month, catalog_body, expected_payouts, store

pytestmark = pytest.mark.django_db

DATA = Month(
    plays=[
        ("L1", "QZKPX2600001", 7), ("L1", "QZKPX2600002", 3), ("L1", "ZZXXX2600009", 2),
        ("L2", "QZKPX2600003", 5), ("L2", "QZKPX2600001", 1), ("L3", "QZKPX2600002", 11),
    ],
    paid={"L1": "9.99", "L2": "14.99", "L3": "4.99", "L5": "7.00"},
)  # fmt: skip
FEE = Fraction(15, 100)  # Distro One's rate for October (a later one starts in November)
# The tax form on file for each payee, and the rate it decides (WITHHOLDING_RATE_WITHOUT_FORM 0.24).
TAX = {
    "art-1": ({"form": "w8ben", "country": "DE", "treaty_rate": "0.15"}, Fraction(15, 100)),
    "lbl-1": ({"form": "w9", "country": "US"}, Fraction(0)),
    "art-3": ({"form": "w8bene", "country": "BR"}, Fraction(30, 100)),
    "art-2": (None, Fraction(24, 100)),
}


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def test_fees_and_withholding_end_to_end(
    settings: Any, admin_api: APIClient, distributor_api: APIClient
) -> None:
    settings.WITHHOLDING_RATE_WITHOUT_FORM = Decimal("0.24")
    assert distributor_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    agreements = "/api/v1/distributors/Distro One/agreements"
    for rate, month in (("0.15", "2026-10"), ("0.2", "2026-11"), ("0.1", "2026-09")):
        assert (
            admin_api.post(agreements, {"fee_rate": rate, "from_month": month}, format="json").status_code
            == 201
        )
    for payee, (body, _) in TAX.items():
        if body:
            assert (
                admin_api.put(f"/api/v1/payees/{payee}/tax-profile", body, format="json").status_code == 200
            )
    store(DATA)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed", run.failure_reason

    want = expected_payouts(DATA.plays, DATA.paid)
    expected = {}
    for payee, recording in want.payees.items():
        fee = min(round(FEE * want.payee_exact[payee] * 100), recording)
        withheld = round(TAX[payee][1] * (recording - fee))
        expected[payee] = (recording, fee, withheld, recording - fee - withheld)
    assert any(fee for _, fee, _, _ in expected.values()) and any(w for _, _, w, _ in expected.values())

    rows = csv_rows(admin_api.get(f"/api/v1/payout-runs/{run.pk}/payouts.csv"))
    got = {
        row["payee"]: (
            cents(row["recording"]),
            cents(row["fee"]),
            cents(row["withheld"]),
            cents(row["payable"]),
        )
        for row in rows
    }
    assert got == expected
    totals = admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()["totals"]
    assert {k: cents(v) for k, v in totals["deductions"].items()} == {
        "fee": sum(e[1] for e in expected.values()),
        "withheld": sum(e[2] for e in expected.values()),
        "payable": sum(e[3] for e in expected.values()),
    }

    # A computed run's deductions are posted only when it is finalized.
    assert not account_balances(run_id=run.pk)
    payout_run_finalize(run_id=run.pk, finalized_by="test")
    balances = account_balances(run_id=run.pk)
    distro = Distributor.objects.get(name="Distro One")
    assert balances[f"fees:distributor:{distro.pk}"] == sum(fee for _, fee, _, _ in expected.values())
    for payee, (_, _, withheld, payable) in expected.items():
        assert balances.get(f"payable:payee:{payee}", 0) == payable
        assert balances.get(f"withholding:payee:{payee}", 0) == withheld
    assert unbalanced_transactions() == []
    assert sum(balances.values()) == 0

    earnings = admin_api.get(f"/api/v1/artists/art-1/earnings?month={MONTH}").json()
    recording, fee, withheld, payable = expected["art-1"]
    assert (cents(earnings["fee"]), cents(earnings["withheld"]), cents(earnings["payable"])) == (
        fee,
        withheld,
        payable,
    )
    assert cents(earnings["amount"]) == recording

    detail = csv_rows(admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv?detail=1"))
    stages = {
        row["stage"]: cents(row["amount"]) for row in detail if row["stage"] in ("fee", "withheld", "payable")
    }
    assert stages == {"fee": fee, "withheld": withheld, "payable": payable}
    response: Any = admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv")
    text = b"".join(response.streaming_content).decode()
    assert "Less distribution fee to Distro One" in text and "15%" in text
    assert "W-8BEN" in text and f"Payable (USD),{format_minor(payable, 2)}" in text


def test_a_month_without_agreements_or_forms_deducts_nothing(settings: Any, admin_api: APIClient) -> None:
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(DATA)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    rows = csv_rows(admin_api.get(f"/api/v1/payout-runs/{run.pk}/payouts.csv"))
    assert all(row["fee"] == row["withheld"] == "0.00" and row["payable"] == row["amount"] for row in rows)
    payout_run_finalize(run_id=run.pk, finalized_by="test")
    assert not any(code.startswith(("fees:", "withholding:")) for code in account_balances(run_id=run.pk))
