"""The publishing side through the API, against amounts worked out by hand from the rules
(docs/rules.md §2 Publishing): a writer who is also an artist, a recording half linked to a
work, an ISRC nobody claimed, both allocation methods; payouts.csv, usage.csv, the run's
totals, earnings, the statement and the ledger.

The month: recording share 0.85 - 0.153 = 0.697, publishing rate 0.153. L1 (net 10.00)
plays T1 three times and T2 once; L2 (net 20.00) plays T2 and the unclaimed U once each.
Recording pools 6.97 + 13.94; publishing pools 1.53 + 3.06.

Recording, user-centric: T1 = 6.97 × 3/4 = 5.2275 (art-1); T2 = 6.97/4 + 13.94/2 = 8.7125,
split art-2 / lbl-1 half each = 4.35625; U = 6.97 to suspense. 2,091 cents: floors
522 + 435 + 435 + 697 = 2,089; the 2 left go to art-1 (.75) and art-2 (.625, before lbl-1).

Publishing, user-centric: T1 = 1.53 × 3/4 = 1.1475, T2 = 1.53/4 + 3.06/2 = 1.9125, U = 1.53.
wrk-1 (wri-1 and art-1 half each) takes all of T1 and half of T2: 2.10375, 1.051875 each;
mechanical suspense T2 0.95625, U 1.53. 459 cents: floors 105 + 105 + 95 + 153 = 458, the
cent left to T2 (.625). Pro-rata (statutory): 4.59 / 6 streams = 0.765 a stream: wrk-1
gets T1's 2.295 and half of T2's 1.53, 3.06: 153 cents each; suspense T2 76.5, U 76.5
cents: the one cent left goes to the first ISRC in byte order, T2 (77, 76).
"""

import csv
import io
import subprocess
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from ledger.selectors import account_balances
from payouts.artist_selectors import artist_settlement_chain
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from tests.payouts.months import MONTH, Month

pytestmark = pytest.mark.django_db

T1, T2, U = "QZKPX2600101", "QZKPX2600102", "ZZXXX2600009"


@pytest.fixture
def publishing_on(settings: Any) -> None:
    settings.PUBLISHING_RATES = {2026: Decimal("0.153")}


def _month(distributor: APIClient, billing: APIClient, ingest: APIClient) -> None:
    tracks = [
        {"isrc": T1, "title": "One", "duration_ms": 200000, "artist": {"id": "art-1", "name": "Artist One"}},
        {"isrc": T2, "title": "Two", "duration_ms": 200000, "artist": {"id": "art-2", "name": "Artist Two"},
         "splits": [{"payee": {"id": "art-2", "kind": "artist", "name": "Artist Two"}, "share": "0.5"},
                    {"payee": {"id": "lbl-1", "kind": "label", "name": "Label"}, "share": "0.5"}]},
    ]  # fmt: skip
    assert distributor.post("/api/v1/catalog/tracks", tracks, format="json").status_code == 200
    work = {
        "id": "wrk-1", "iswc": "T-034.524.680-1", "title": "Song One",
        "writers": [{"payee": {"id": "wri-1", "kind": "writer", "name": "Writer One"}, "share": "0.5",
                     "ipi": "00000000000"},
                    {"payee": {"id": "art-1", "kind": "artist", "name": "Artist One"}, "share": "0.5"}],
        "recordings": [{"isrc": T1, "share": "1"}, {"isrc": T2, "share": "0.5"}],
    }  # fmt: skip
    answer = distributor.post("/api/v1/catalog/works", work, format="json")
    assert answer.status_code == 200, answer.content
    revenue = [
        {"id": f"r-{listener}", "listener": listener, "month": MONTH, "source": "subscription",
         "plan": "premium", "country": "US", "gross": gross, "tax": "0.00", "fees": "0.00"}
        for listener, gross in (("L1", "10.00"), ("L2", "20.00"))
    ]  # fmt: skip
    assert billing.post("/api/v1/revenue", revenue, format="json").status_code in (200, 201)
    plays = Month(plays=[("L1", T1, 3), ("L1", T2, 1), ("L2", T2, 1), ("L2", U, 1)], paid={})
    answer = ingest.post("/api/v1/streams", plays.build_events(), format="json")
    assert answer.status_code == 202 and answer.json()["accepted"] == 6, answer.content


def _csv(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.content
    return list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))


@pytest.mark.usefixtures("publishing_on")
def test_both_sides_to_the_cent_through_the_api(
    distributor_api: APIClient, billing_api: APIClient, ingest_api: APIClient, admin_api: APIClient
) -> None:
    _month(distributor_api, billing_api, ingest_api)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed"

    detail = admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()
    assert detail["policy"]["publishing_rate"] == "0.153"
    assert detail["totals"]["publishing"] == {
        "pools": "4.59", "allocated": "2.10", "suspense": "2.49", "retained": "0.00",
    }  # fmt: skip
    # The v1 totals cover both sides: pools 20.91 + 4.59, allocated 13.94 + 2.10, suspense 6.97 + 2.49.
    assert {k: detail["totals"][k] for k in ("pools", "allocated", "suspense", "retained")} == {
        "pools": "25.50", "allocated": "16.04", "suspense": "9.46", "retained": "0.00",
    }  # fmt: skip

    payouts = {row["payee"]: row for row in _csv(admin_api.get(f"/api/v1/payout-runs/{run.pk}/payouts.csv"))}
    assert {p: (r["recording"], r["publishing"], r["amount"], r["payable"]) for p, r in payouts.items()} == {
        "art-1": ("5.23", "1.05", "6.28", "6.28"),
        "art-2": ("4.36", "0.00", "4.36", "4.36"),
        "lbl-1": ("4.35", "0.00", "4.35", "4.35"),
        "wri-1": ("0.00", "1.05", "1.05", "1.05"),
    }
    assert payouts["wri-1"]["kind"] == "writer" and payouts["wri-1"]["streams"] == "5"
    assert {r["fee"] for r in payouts.values()} == {"0.00"}

    usage = {row["isrc"]: row for row in _csv(admin_api.get(f"/api/v1/payout-runs/{run.pk}/usage.csv"))}
    assert usage == {
        T1: {"isrc": T1, "plays": "3", "works": "wrk-1:1", "publishing": "1.15", "matched": "yes"},
        T2: {"isrc": T2, "plays": "2", "works": "wrk-1:0.5", "publishing": "1.91", "matched": "partial"},
        U: {"isrc": U, "plays": "1", "works": "", "publishing": "1.53", "matched": "no"},
    }

    finalized = payout_run_finalize(run_id=run.pk, finalized_by="t")
    earnings = admin_api.get("/api/v1/artists/art-1/earnings?month=2026-10").json()
    assert (earnings["status"], earnings["amount"], earnings["recording_amount"]) == ("final", "6.28", "5.23")
    assert (earnings["publishing_amount"], earnings["payable"], earnings["per_stream"]) == (
        "1.05", "6.28", "1.7433",
    )  # fmt: skip

    chain = {s["label"]: s["amount"] for s in artist_settlement_chain("art-1", date(2026, 10, 1))}
    assert chain["From the songs you write (musical works)"] == "1.051875"
    assert chain["Your exact share"] == "6.279375"  # 5.2275 from the recording + 1.051875

    balances = account_balances(run_id=finalized.pk)
    assert balances["payable:payee:art-1"] == 523 and balances["publishing:payee:art-1"] == 105
    assert balances["publishing:payee:wri-1"] == 105 and "payable:payee:wri-1" not in balances
    assert balances[f"mechanical:isrc:{T2}"] == 96 and balances[f"mechanical:isrc:{U}"] == 153
    assert balances[f"suspense:isrc:{U}"] == 697 and balances["pool:2026-10"] == -2550

    statement: Any = admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv?detail=1")
    rows = list(csv.reader(io.StringIO(b"".join(statement.streaming_content).decode())))
    stages = [(row[4], row[5], row[-2]) for row in rows[1:]]
    assert ("line", T1, "") in stages and ("publishing_line", T1, "wrk-1") in stages
    assert ("publishing_line", T2, "wrk-1") in stages
    assert [row[15] for row in rows[1:] if row[4] in ("recording", "publishing", "payable")] == [
        "5.23", "1.05", "6.28",
    ]  # fmt: skip


def test_the_statutory_method_pays_per_play(
    settings: Any,
    distributor_api: APIClient,
    billing_api: APIClient,
    ingest_api: APIClient,
    admin_api: APIClient,
) -> None:
    settings.PUBLISHING_RATES = {2026: Decimal("0.153")}
    settings.PUBLISHING_ALLOCATION = "pro_rata"
    _month(distributor_api, billing_api, ingest_api)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    payouts = {row["payee"]: row for row in _csv(admin_api.get(f"/api/v1/payout-runs/{run.pk}/payouts.csv"))}
    assert {p: r["publishing"] for p, r in payouts.items()} == {
        "art-1": "1.53", "art-2": "0.00", "lbl-1": "0.00", "wri-1": "1.53",
    }  # fmt: skip
    assert payouts["art-1"]["recording"] == "5.23"  # the recording side does not change
    detail = admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()
    assert detail["totals"]["publishing"]["suspense"] == "1.53"  # 0.77 + 0.76
    usage = {
        row["isrc"]: row["publishing"]
        for row in _csv(admin_api.get(f"/api/v1/payout-runs/{run.pk}/usage.csv"))
    }
    assert usage == {T1: "2.30", T2: "1.53", U: "0.76"}  # 2.295 rounds half-even to 2.30; 0.765 to 0.76


def test_with_no_publishing_rate_everything_is_recording(
    settings: Any,
    distributor_api: APIClient,
    billing_api: APIClient,
    ingest_api: APIClient,
    admin_api: APIClient,
) -> None:
    settings.PUBLISHING_RATES = {}
    _month(distributor_api, billing_api, ingest_api)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    detail = admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()
    assert detail["policy"]["publishing_rate"] == "0" and detail["totals"]["pools"] == "25.50"
    assert detail["totals"]["publishing"]["pools"] == "0.00"
    payouts = {row["payee"]: row for row in _csv(admin_api.get(f"/api/v1/payout-runs/{run.pk}/payouts.csv"))}
    assert "wri-1" not in payouts and payouts["art-1"]["publishing"] == "0.00"
    assert payouts["art-1"]["recording"] == payouts["art-1"]["amount"] == "6.38"  # 8.5 × 3/4


def test_the_service_default_is_the_statutory_table() -> None:
    """The test settings turn the publishing side off; the service's own default is SPEC's table."""
    code = "from kalipxo import settings; print(sorted(settings.PUBLISHING_RATES.items()))"
    env = {"SECRET_KEY": "x", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == (
        "[(2023, Decimal('0.151')), (2024, Decimal('0.152')), (2025, Decimal('0.1525')), "
        "(2026, Decimal('0.153')), (2027, Decimal('0.1535'))]"
    )


@pytest.mark.usefixtures("publishing_on")
def test_an_open_month_estimates_both_sides(
    settings: Any,
    distributor_api: APIClient,
    billing_api: APIClient,
    ingest_api: APIClient,
    admin_api: APIClient,
) -> None:
    """December so far, from the database: L1 (net 10.00, whole pool 8.50) plays T1 three
    times and T2 once. art-1's recording: T1's 6.375 × 0.697 / 0.85 = 5.2275. As half the
    writer of wrk-1 (all of T1, half of T2): (6.375 × 1 + 2.125 × 0.5) × 0.5 × 0.153 / 0.85
    = 0.669375."""
    settings.LIVE_REDIS_URL = ""  # the database's estimate, whatever the test's Redis
    _month(distributor_api, billing_api, ingest_api)  # the catalog and works (and October)
    december_so_far(billing_api, ingest_api)
    earnings = admin_api.get("/api/v1/artists/art-1/earnings?month=2026-12").json()
    assert earnings["status"] == "estimate"
    assert (earnings["recording_amount"], earnings["publishing_amount"], earnings["amount"]) == (
        "5.23", "0.67", "5.90",
    )  # fmt: skip
    assert earnings["per_stream"] == "1.7425"  # 5.2275 / 3: the recording side per stream
    assert "fee" not in earnings and "payable" not in earnings  # only a final month has them


def december_so_far(billing: APIClient, ingest: APIClient) -> None:
    """December so far: L1 (net 10.00) plays T1 three times and T2 once."""
    revenue = {"id": "r-dec", "listener": "L1", "month": "2026-12", "source": "subscription",
               "plan": "premium", "country": "US", "gross": "10.00", "tax": "0.00",
               "fees": "0.00"}  # fmt: skip
    assert billing.post("/api/v1/revenue", revenue, format="json").status_code in (200, 201)
    plays = [
        {"event_id": f"dec-{n}", "listener": "L1", "isrc": isrc, "started_at": "2026-12-01T10:00:00Z",
         "duration_ms": 180000, "country": "US", "tier": "premium"}
        for n, isrc in enumerate([T1, T1, T1, T2])
    ]  # fmt: skip
    assert ingest.post("/api/v1/streams", plays, format="json").json()["accepted"] == 4
