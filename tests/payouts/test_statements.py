"""payouts.csv and per-payee statements: contents, who may read them, no formula injection.

Runs are driven in-process (`payout_run_drive`), so these run on SQLite and PostgreSQL
alike, with or without a broker.
"""

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from artists.models import ApiClient, Artist, Distributor, Payee
from payouts.models import PayeeResult, PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from payouts.statements import csv_lines, safe_cell
from streams.ingest import stream_events_ingest
from streams.revenue import revenue_records_ingest
from tests.payouts.months import MONTH, Month, cents, expected_payouts

pytestmark = pytest.mark.django_db

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ('=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rReturn")


@pytest.fixture
def month_run(distributor_api: APIClient) -> PayoutRun:
    """A computed run over a catalog owned by 'Distro One', with names spreadsheets would run."""
    name = HOSTILE[0]
    body = [
        {"isrc": "QZKPX2600001", "title": "=1+1", "duration_ms": 200000,
         "artist": {"id": "art-1", "name": name},
         "splits": [{"payee": {"id": "art-1", "kind": "artist", "name": name}, "share": "0.8"},
                    {"payee": {"id": "lbl-1", "kind": "label", "name": "@SUM(A1)"}, "share": "0.2"}]},
        {"isrc": "QZKPX2600002", "title": "Two", "duration_ms": 200000,
         "artist": {"id": "art-2", "name": "+Two"}},
    ]  # fmt: skip
    assert distributor_api.post("/api/v1/catalog/tracks", body, format="json").status_code == 200
    month = Month(
        plays=[("L1", "QZKPX2600001", 50), ("L1", "QZKPX2600002", 950)],  # seed 000's listener
        paid={"L1": "14.99"},
    )
    revenue_records_ingest(
        items=[{"id": "r1", "listener": "L1", "month": MONTH, "source": "subscription", "plan": "premium",
                "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00"}]
    )  # fmt: skip
    stream_events_ingest(items=month.build_events())
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    return payout_run_drive(run_id=run.pk)


def content(answer: Any) -> bytes:
    """The body of a streamed response."""
    return b"".join(answer.streaming_content)


def rows_of(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(content(answer).decode())))


def test_safe_cell_neutralises_formulas() -> None:
    for text in HOSTILE:
        assert safe_cell(text) == "'" + text
    assert safe_cell("Artist") == "Artist" and safe_cell("0.64") == "0.64" and safe_cell(None) == ""


def test_csv_lines_defuse_every_cell_in_every_column() -> None:
    rows = [
        [text if column == position else "ok" for column in range(4)]
        for position in range(4)
        for text in HOSTILE
    ]
    read = list(csv.reader(io.StringIO("".join(csv_lines(rows)))))
    assert len(read) == len(rows)
    for row, sent in zip(read, rows, strict=True):
        assert row == [("'" + cell if cell in HOSTILE else cell) for cell in sent]


def _cells_are_safe(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    for row in rows:
        assert not any(cell.startswith(DANGEROUS_FIRST) for cell in row), row
    return rows


def test_no_cell_of_any_csv_starts_a_formula(
    month_run: PayoutRun, admin_api: APIClient, django_user_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """payouts.csv, every payee's statement and its detail, and the dashboard's payout history."""
    payout_run_finalize(run_id=month_run.pk)
    base = f"/api/v1/payout-runs/{month_run.pk}"
    texts = {"payouts": content(admin_api.get(f"{base}/payouts.csv")).decode()}
    for payee in ("art-1", "art-2", "lbl-1"):
        for query in ("", "?detail=1"):
            answer = admin_api.get(f"{base}/statements/{payee}.csv{query}")
            texts[payee + query] = content(answer).decode()
    cells = {name: [cell for row in _cells_are_safe(text) for cell in row] for name, text in texts.items()}
    # The hostile names and title are there, defused, in the files a person opens.
    assert '\'=HYPERLINK("http://x")' in cells["art-1"] and "'=1+1" in cells["art-1"]
    assert "'@SUM(A1)" in cells["lbl-1"] and "'+Two" in cells["art-2"] and "'+Two" in cells["payouts"]

    # The dashboard's CSV writes selector values: a hostile one must come out defused too.
    staff = django_user_model.objects.create_user("staff-csv", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    hostile = dict.fromkeys(("month", "run_id", "gross", "amount", "streams", "listeners"), "-2+3")
    monkeypatch.setattr(
        "frontend.dashboard_selectors.final_months", lambda artist_id: [hostile | {"amount": "=1+1"}]
    )
    history = client.get("/dashboard/art-1/payouts.csv")
    assert history.status_code == 200
    rows = _cells_are_safe(history.content.decode())
    assert rows[1][:7] == ["art-1", "'-2+3", "'-2+3", "'-2+3", "'=1+1", "'-2+3", "'-2+3"]


def test_payouts_csv_one_row_per_payee(month_run: PayoutRun, admin_api: APIClient) -> None:
    rows = rows_of(admin_api.get(f"/api/v1/payout-runs/{month_run.pk}/payouts.csv"))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["payee", "kind", "name", "streams", "amount"]
    by_payee = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_payee) == {"art-1", "art-2", "lbl-1"}
    # 50 of the listener's 1,000 streams on track 1: 0.637075 before its 0.8/0.2 split.
    assert by_payee["art-1"]["name"] == '\'=HYPERLINK("http://x")'
    assert by_payee["lbl-1"]["name"] == "'@SUM(A1)"
    assert by_payee["art-2"]["name"] == "'+Two"
    want = expected_payouts([("L1", "QZKPX2600001", 50), ("L1", "QZKPX2600002", 950)], {"L1": "14.99"})
    assert {p: cents(r["amount"]) for p, r in by_payee.items()} == {"art-1": 51, "art-2": 1210, "lbl-1": 13}
    assert sum(want.payees.values()) == 1274
    for row in body:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_a_statement_chains_allocation_split_and_payee(month_run: PayoutRun, admin_api: APIClient) -> None:
    """The machine-readable detail (?detail=1), as it has always been written; the
    publishing side's columns come after the first ones, never between them."""
    rows = rows_of(admin_api.get(f"/api/v1/payout-runs/{month_run.pk}/statements/art-1.csv?detail=1"))
    assert rows[0] == [
        "run", "month", "currency", "payee", "stage", "isrc", "title", "track_artist", "country", "tier",
        "streams", "from_listener_pools", "from_unallocated_pools", "track_amount", "share", "amount",
        "work", "work_title",
    ]  # fmt: skip
    header = rows[0]
    lines = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    detail = [line for line in lines if line["stage"] == "line"]
    assert len(detail) == 1 and detail[0]["isrc"] == "QZKPX2600001" and detail[0]["title"] == "'=1+1"
    assert detail[0]["track_amount"] == "0.637075" and detail[0]["share"] == "0.8"
    assert detail[0]["amount"] == "0.509660"  # 0.637075 × 0.8
    exact = next(line for line in lines if line["stage"] == "payee_exact")
    payable = next(line for line in lines if line["stage"] == "payable")
    assert exact["amount"] == "0.5096600000" and payable["amount"] == "0.51"
    assert sum(Decimal(line["amount"]) for line in detail) == Decimal("0.509660")
    policy = next(line for line in lines if line["stage"] == "policy")
    assert "rights_share=0.85" in policy["title"] and "unallocated_policy=pro_rata" in policy["title"]
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_who_may_read_a_statement(
    month_run: PayoutRun, admin_api: APIClient, api_as: Callable[..., APIClient]
) -> None:
    url = f"/api/v1/payout-runs/{month_run.pk}/statements"
    artist_1 = api_as(ApiClient.Role.ARTIST, artist="art-1")
    own_distributor = api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro One")
    other_distributor = api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro Two")
    # Before finalizing, only admins see statements.
    assert artist_1.get(f"{url}/art-1.csv").status_code == 404
    rows_of(admin_api.get(f"{url}/art-1.csv"))
    payout_run_finalize(run_id=month_run.pk)

    rows_of(artist_1.get(f"{url}/art-1.csv"))
    assert artist_1.get(f"{url}/art-2.csv").status_code == 404  # another artist's
    assert artist_1.get(f"{url}/lbl-1.csv").status_code == 404
    rows_of(own_distributor.get(f"{url}/lbl-1.csv"))
    rows_of(own_distributor.get(f"{url}/art-2.csv"))
    assert other_distributor.get(f"{url}/lbl-1.csv").status_code == 404
    assert api_as(ApiClient.Role.INGEST).get(f"{url}/art-1.csv").status_code == 403
    assert admin_api.get(f"{url}/nobody.csv").status_code == 404
    assert artist_1.get(f"/api/v1/payout-runs/{month_run.pk}/payouts.csv").status_code == 403
    assert Payee.objects.get(id="lbl-1").distributor == Distributor.objects.get(name="Distro One")
    assert PayeeResult.objects.get(run=month_run, payee="lbl-1").distributor_id is not None
    assert Artist.objects.filter(id="art-1").exists()


def test_payouts_csv_waits_for_the_computation(admin_api: APIClient) -> None:
    run = PayoutRun.objects.create(month=date(2026, 9, 1), policy={"minor_exponent": 2, "currency": "USD"})
    answer = admin_api.get(f"/api/v1/payout-runs/{run.pk}/payouts.csv")
    assert answer.status_code == 409 and "detail" in answer.json()


def test_a_missing_run_and_an_unreadable_statement_get_the_same_404(
    month_run: PayoutRun, api_as: Callable[..., APIClient]
) -> None:
    """An artist cannot tell which run ids exist from the answers it gets."""
    artist_1 = api_as(ApiClient.Role.ARTIST, artist="art-1")
    missing_run = PayoutRun.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    url = f"/api/v1/payout-runs/{month_run.pk}/statements"
    answers = [
        artist_1.get(f"/api/v1/payout-runs/{missing_run}/statements/art-1.csv"),  # no such run
        artist_1.get(f"{url}/art-1.csv"),  # computed, not final yet
    ]
    payout_run_finalize(run_id=month_run.pk)
    answers += [artist_1.get(f"{url}/art-2.csv"), artist_1.get(f"{url}/nobody.csv")]  # another's; no payee

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert len({answer.content for answer in answers}) == 1, [answer.content for answer in answers]


def test_ids_with_a_slash_reach_their_statement_earnings_and_dashboard(
    distributor_api: APIClient, admin_api: APIClient
) -> None:
    """The catalog takes ids with "/" (kalipxo.validation.ID_RE); every route that names an
    artist or a payee reaches them, the segments after the id included."""
    artist = {"id": "art/9", "kind": "artist", "name": "Slash Artist"}
    label = {"id": "lbl/9.csv", "kind": "label", "name": "Dotted"}  # ".csv" in the id itself
    body = [{"isrc": "QZKPX2600009", "title": "Slash", "duration_ms": 200000,
             "artist": {"id": "art/9", "name": "Slash Artist"},
             "splits": [{"payee": artist, "share": "0.5"}, {"payee": label, "share": "0.5"}]}]  # fmt: skip
    assert distributor_api.post("/api/v1/catalog/tracks", body, format="json").status_code == 200
    stream_events_ingest(items=Month(plays=[("L1", "QZKPX2600009", 10)], paid={}).build_events())
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    payout_run_drive(run_id=run.pk)

    for payee in ("art/9", "lbl/9.csv"):
        rows = rows_of(admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/{payee}.csv"))
        assert payee in {cell for row in rows for cell in row}, rows
    earnings = admin_api.get("/api/v1/artists/art/9/earnings?month=2026-10")
    assert earnings.status_code == 200 and earnings.json()["artist"] == "art/9", earnings.content[:300]
    assert admin_api.get("/api/v1/artists/art/9/fans?month=2026-10").status_code == 200
    assert admin_api.get("/api/v1/artists/nobody/9/earnings?month=2026-10").status_code == 404
