"""A world for the payments tests: October 2026 paid (finalized) with a 15% fee agreement,
tax forms, and a sanctions list loaded; helpers to record and pay more months."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from payouts.models import PayeeResult
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from streams.ingest import stream_events_ingest
from streams.revenue import revenue_records_ingest
from tests.payouts.months import catalog_body

IBAN_ART_1 = "DE89 3704 0044 0532 0130 00"
IBAN_DISTRO = "GB29NWBK60161331926819"
SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    '9999,"IVANOV, Boris",individual,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1970."\n'
    "\x1a\n"
)


def month_data(month: str, plays: list[tuple[str, str, int]], paid: dict[str, str]) -> None:
    revenue_records_ingest(
        items=[
            {"id": f"inv-{month}-{listener}", "listener": listener, "month": month, "source": "subscription",
             "plan": "premium", "country": "US", "gross": amount, "tax": "0.00", "fees": "0.00"}
            for listener, amount in paid.items()
        ]
    )  # fmt: skip
    events = [
        {"event_id": f"{month}-{listener}-{isrc}-{i}", "listener": listener, "isrc": isrc,
         "started_at": f"{month}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z", "duration_ms": 180_000,
         "country": "US", "tier": "premium"}
        for listener, isrc, count in plays for i in range(count)
    ]  # fmt: skip
    assert not stream_events_ingest(items=events).rejected


def pay_month(month: date) -> int:
    run, _ = payout_run_start(month=month, dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed", run.failure_reason
    payout_run_finalize(run_id=run.pk, finalized_by="test")
    return run.pk


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def payable(run_id: int, payee: str) -> int:
    return PayeeResult.objects.get(run_id=run_id, payee=payee).payable_minor


@pytest.fixture
def world(settings: Any, admin_api: APIClient, distributor_api: APIClient, tmp_path: Path) -> dict[str, Any]:
    settings.WITHHOLDING_RATE_WITHOUT_FORM = Decimal("0.24")
    assert distributor_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    agreements = "/api/v1/distributors/Distro One/agreements"
    assert (
        admin_api.post(agreements, {"fee_rate": "0.15", "from_month": "2026-10"}, format="json").status_code
        == 201
    )
    tax = {"art-1": {"form": "w8ben", "country": "DE", "treaty_rate": "0.15"}, "lbl-1": {"form": "w9"}}
    for payee, body in tax.items():
        assert admin_api.put(f"/api/v1/payees/{payee}/tax-profile", body, format="json").status_code == 200
    month_data(
        "2026-10",
        [
            ("L1", "QZKPX2600001", 7),
            ("L1", "QZKPX2600002", 3),
            ("L2", "QZKPX2600003", 5),
            ("L2", "QZKPX2600001", 2),
        ],
        {"L1": "9.99", "L2": "14.99"},
    )
    october = pay_month(date(2026, 10, 1))
    sdn = tmp_path / "sdn.csv"
    sdn.write_text(SDN, encoding="latin-1")
    call_command("load_sanctions_list", str(sdn), "--list-version", "SDN 2026-12-01")
    return {"october": october, "month": date(2026, 10, 1)}


def verify(admin: APIClient, payee: str, body: dict[str, Any]) -> Any:
    return admin.put(f"/api/v1/payees/{payee}/verification", body, format="json")
