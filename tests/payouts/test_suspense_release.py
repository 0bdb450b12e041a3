"""Suspense released when claimed (docs/rules.md §2 Publishing): a month holds recording
suspense for an ISRC nobody had claimed and mechanical suspense for recordings not (fully)
linked to works; the ISRC is then claimed and the links completed, and the next finalized
month pays the held money to the payees of then, as ledger lines of its own, once.

September (publishing rate 0.153, recording share 0.697): L1 (net 10.00) plays T1, U and T2
twice. Recording: T1 1.7425, U 1.7425 (suspense), T2 3.485; 697 cents: art-1 174, art-2 349
(the largest remainder), U 174. Publishing: T1, U and half of T2 (wrk-1 links it for 0.5)
0.3825 each in mechanical suspense, wri-1 0.3825; 153 cents: floors 38 each, the cent left
to the first line in order, wri-1 (payee before suspense): mechanical T1 38, T2 38, U 38.

Then U becomes a track (art-3 0.6, lbl-1 0.4), wrk-1 links T2 for all of it and wrk-2 (wri-2)
links U. October's finalize releases U's 174 (art-3 104.4, lbl-1 69.6: 104 and 70) and the
mechanical 38 of T2 (to wri-1) and of U (to wri-2); T1's stays held.
"""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from ledger.selectors import account_balances
from payouts.models import SuspenseRelease
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from payouts.selectors import suspense_held
from payouts.verify import run_verify

pytestmark = pytest.mark.django_db

T1, T2, U = "QZKPX2600201", "QZKPX2600202", "ZZXXX2600201"


def _plays(ingest: APIClient, billing: APIClient, month: str, isrcs: list[str]) -> None:
    revenue = {"id": f"r-{month}", "listener": "L1", "month": month, "source": "subscription",
               "plan": "premium", "country": "US", "gross": "10.00", "tax": "0.00",
               "fees": "0.00"}  # fmt: skip
    assert billing.post("/api/v1/revenue", revenue, format="json").status_code in (200, 201)
    events = [
        {"event_id": f"{month}-{n}", "listener": "L1", "isrc": isrc,
         "started_at": f"{month}-{n + 2:02d}T10:00:00Z", "duration_ms": 180000, "country": "US",
         "tier": "premium"}
        for n, isrc in enumerate(isrcs)
    ]  # fmt: skip
    assert ingest.post("/api/v1/streams", events, format="json").json()["accepted"] == len(isrcs)


def _finalized(month: date) -> Any:
    run, _ = payout_run_start(month=month, dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed", run.failure_reason
    return payout_run_finalize(run_id=run.pk, finalized_by="t")


def _rows(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.content
    return list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode().lstrip("\ufeff"))))


def test_held_money_is_paid_once_when_claimed(
    settings: Any,
    distributor_api: APIClient,
    billing_api: APIClient,
    ingest_api: APIClient,
    admin_api: APIClient,
) -> None:
    settings.PUBLISHING_RATES = {2026: Decimal("0.153")}
    tracks = [
        {"isrc": T1, "title": "One", "duration_ms": 200000, "artist": {"id": "art-1", "name": "One"}},
        {"isrc": T2, "title": "Two", "duration_ms": 200000, "artist": {"id": "art-2", "name": "Two"}},
    ]
    assert distributor_api.post("/api/v1/catalog/tracks", tracks, format="json").status_code == 200
    wrk1 = {"id": "wrk-1", "title": "Song Two", "recordings": [{"isrc": T2, "share": "0.5"}],
            "writers": [{"payee": {"id": "wri-1", "kind": "writer", "name": "Writer One"},
                         "share": "1"}]}  # fmt: skip
    assert distributor_api.post("/api/v1/catalog/works", wrk1, format="json").status_code == 200
    _plays(ingest_api, billing_api, "2026-09", [T1, U, T2, T2])
    september = _finalized(date(2026, 9, 1))
    held = {(r["isrc"], r["side"]): r["amount"] for r in suspense_held()["rows"]}
    assert held == {(U, "recording"): "1.74", (T1, "publishing"): "0.38", (T2, "publishing"): "0.38",
                    (U, "publishing"): "0.38"}  # fmt: skip

    claimed = {"isrc": U, "title": "Found", "duration_ms": 200000,
               "artist": {"id": "art-3", "name": "Three"},
               "splits": [{"payee": {"id": "art-3", "kind": "artist", "name": "Three"}, "share": "0.6"},
                          {"payee": {"id": "lbl-1", "kind": "label", "name": "Label"},
                           "share": "0.4"}]}  # fmt: skip
    assert distributor_api.post("/api/v1/catalog/tracks", [claimed], format="json").status_code == 200
    works = [{**wrk1, "recordings": [{"isrc": T2, "share": "1"}]},
             {"id": "wrk-2", "title": "Song Found", "recordings": [{"isrc": U, "share": "1"}],
              "writers": [{"payee": {"id": "wri-2", "kind": "writer", "name": "Writer Two"},
                           "share": "1"}]}]  # fmt: skip
    assert distributor_api.post("/api/v1/catalog/works", works, format="json").status_code == 200
    _plays(ingest_api, billing_api, "2026-10", [T1])
    october = _finalized(date(2026, 10, 1))
    assert payout_run_finalize(run_id=october.pk).pk == october.pk  # again: nothing released twice

    released = {
        (r.side, r.isrc, r.payee): (r.amount_minor, f"{r.source_month:%Y-%m}")
        for r in SuspenseRelease.objects.filter(run=october)
    }
    assert released == {
        ("recording", U, "art-3"): (104, "2026-09"), ("recording", U, "lbl-1"): (70, "2026-09"),
        ("publishing", T2, "wri-1"): (38, "2026-09"), ("publishing", U, "wri-2"): (38, "2026-09"),
    }  # fmt: skip
    balances = account_balances()
    assert balances.get(f"suspense:isrc:{U}", 0) == 0 and balances.get(f"mechanical:isrc:{U}", 0) == 0
    assert balances.get(f"mechanical:isrc:{T2}", 0) == 0
    assert balances["payable:payee:art-3"] == 104 and balances["publishing:payee:wri-2"] == 38
    assert balances[f"mechanical:isrc:{T1}"] > 38  # September's and October's both still held
    still_held = {(r["isrc"], r["side"]) for r in suspense_held()["rows"]}
    assert still_held == {(T1, "publishing")}

    # art-3 had no plays in October: its statement is the money released to it.
    document = _rows(admin_api.get(f"/api/v1/payout-runs/{october.pk}/statements/art-3.csv"))
    assert ["released from suspense (2026-09)", U, "recording", "1.04"] in document
    payouts = {r["payee"]: r for r in csv.DictReader(io.StringIO(
        b"".join(admin_api.get(f"/api/v1/payout-runs/{october.pk}/payouts.csv").streaming_content).decode()))}  # type: ignore[attr-defined]  # fmt: skip
    assert (payouts["art-3"]["amount"], payouts["art-3"]["released"]) == ("0.00", "1.04")
    assert payouts["wri-1"]["released"] == "0.38"

    for run in (september, october):
        for method in ("sql", "python") if connection.vendor == "postgresql" else ("python",):
            report = run_verify(run_id=run.pk, method=method)
            assert report.ok, report.problems
