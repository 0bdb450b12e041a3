"""The statement as a document (docs/rules.md §4 Statements), read over HTTP as a person
reads it in a spreadsheet: a header block, lines in cents, a totals line, the rounding and
the policy; and held to the run's payouts CSV, payee by payee, to the cent.

The month is made so that rounding each line on its own would not add up: six listeners
in six territories each give a split track 0.01275 per payee (0.01 each when rounded
alone, 0.08 together), and a listener with no streams gives every line an unallocated part.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import ApiClient
from payouts.models import PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.start import payout_run_start
from streams.ingest import stream_events_ingest
from streams.revenue import revenue_records_ingest
from tests.payouts.months import MONTH, UNMATCHED, catalog_body, cents

pytestmark = pytest.mark.django_db

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
SMALL = [("L2", "DE"), ("L3", "FR"), ("L4", "GB"), ("L5", "BR"), ("L6", "JP"), ("L7", "SE")]


def _revenue(listener: str, gross: str, *, plan: str = "premium", country: str = "US") -> dict[str, Any]:
    return {
        "id": f"r-{listener}", "listener": listener, "month": MONTH, "source": "subscription", "plan": plan,
        "country": country, "gross": gross, "tax": "0.00", "fees": "0.00",
    }  # fmt: skip


@pytest.fixture
def unallocated_policy() -> str:
    return "pro_rata"


@pytest.fixture
def run(admin_api: APIClient, settings: Any, unallocated_policy: str) -> PayoutRun:
    """A computed run: three tracks with splits, an unmatched ISRC, seven territories, two
    tiers, an unallocated pool and a play too short to count."""
    settings.UNALLOCATED_POLICY = unallocated_policy
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    plays: list[tuple[str, str, int, str, str, int]] = [
        ("L1", "QZKPX2600001", 50, "US", "premium", 180_000),
        ("L1", "QZKPX2600002", 950, "US", "premium", 180_000),
        ("L1", "QZKPX2600003", 7, "US", "premium", 180_000),
        ("L1", UNMATCHED, 3, "US", "premium", 180_000),
        ("L8", "QZKPX2600001", 3, "BR", "free", 180_000),
        ("L8", "QZKPX2600003", 2, "BR", "free", 180_000),
        ("L8", "QZKPX2600003", 1, "BR", "free", 29_999),  # too short: counts toward nothing
        *[(listener, "QZKPX2600003", 1, country, "premium", 200_000) for listener, country in SMALL],
    ]
    events, n = [], 0
    for listener, isrc, count, country, tier, duration in plays:
        for _ in range(count):
            events.append(
                {"event_id": f"doc-{n}", "listener": listener, "isrc": isrc,
                 "started_at": f"{MONTH}-{1 + n % 28:02d}T{(n // 60) % 24:02d}:{n % 60:02d}:00Z",
                 "duration_ms": duration, "country": country, "tier": tier, "device": f"d-{listener}"}
            )  # fmt: skip
            n += 1
    revenue = [_revenue("L1", "14.99"), _revenue("L8", "4.99", plan="free", country="BR"),
               _revenue("LU", "9.99")]  # fmt: skip
    revenue += [_revenue(listener, "0.03", country=country) for listener, country in SMALL]
    revenue_records_ingest(items=revenue)
    for start in range(0, len(events), 1000):  # the batch limit
        stream_events_ingest(items=events[start : start + 1000])
    started, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    computed = payout_run_drive(run_id=started.pk)
    assert computed.status == PayoutRun.Status.COMPUTED, computed.failure_reason
    return computed


def content(answer: Any) -> bytes:
    """The body of a streamed response."""
    return b"".join(answer.streaming_content)


def csv_rows(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(content(answer).decode("utf-8-sig"))))


@dataclass
class Statement:
    """The document as its reader sees it: blocks separated by empty rows."""

    title: list[str]
    header: dict[str, str]
    columns: list[str]
    lines: list[dict[str, str]]
    total: dict[str, str]
    rounding: str
    policy: dict[str, list[str]]
    raw: bytes


def read_statement(client: APIClient, run_id: int, payee: str) -> Statement:
    answer = client.get(f"/api/v1/payout-runs/{run_id}/statements/{payee}.csv")
    raw = content(answer) if answer.status_code == 200 else b""
    assert answer.status_code == 200, answer.content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    head, lines_block, rounding_block, policy_block = blocks
    assert lines_block[0] == ["Lines"] and lines_block[-1][0] == "Total"
    columns = lines_block[1]
    assert policy_block[0][0] == "Policy"
    return Statement(
        title=head[0],
        header={row[0]: row[1] for row in head[1:]},
        columns=columns,
        lines=[dict(zip(columns, row, strict=True)) for row in lines_block[2:-1]],
        total=dict(zip(columns, lines_block[-1], strict=True)),
        rounding=rounding_block[0][1],
        policy={row[0]: row[1:] for row in policy_block[1:]},
        raw=raw,
    )


def payouts_csv(client: APIClient, run_id: int) -> dict[str, dict[str, str]]:
    rows = csv_rows(client.get(f"/api/v1/payout-runs/{run_id}/payouts.csv"))
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def detail_lines(client: APIClient, run_id: int, payee: str) -> list[dict[str, str]]:
    rows = csv_rows(client.get(f"/api/v1/payout-runs/{run_id}/statements/{payee}.csv?detail=1"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[4] == "line"]


@pytest.mark.parametrize("unallocated_policy", ["pro_rata", "retain"])
def test_every_statement_adds_up_to_the_payouts_csv(
    run: PayoutRun, admin_api: APIClient, unallocated_policy: str
) -> None:
    payout_run_finalize(run_id=run.pk)
    payouts = payouts_csv(admin_api, run.pk)
    assert set(payouts) == {"art-1", "art-2", "art-3", "lbl-1"}
    rounded_alone_would_differ = []
    for payee, row in payouts.items():
        statement = read_statement(admin_api, run.pk, payee)
        total = cents(statement.header["Total (USD)"])
        assert total == cents(row["amount"]), payee  # the run's single rounding per payee
        amounts = [cents(line["Amount (USD)"]) for line in statement.lines]
        listeners = [cents(line["From listeners' own pools (USD)"]) for line in statement.lines]
        unallocated = [cents(line["From unallocated pools (USD)"]) for line in statement.lines]
        assert sum(amounts) == total == cents(statement.total["Amount (USD)"]), payee
        assert [a + b for a, b in zip(listeners, unallocated, strict=True)] == amounts, payee
        assert sum(listeners) == cents(statement.total["From listeners' own pools (USD)"])
        assert sum(unallocated) == cents(statement.total["From unallocated pools (USD)"])
        assert (sum(unallocated) > 0) == (unallocated_policy == "pro_rata"), payee  # retain: none
        assert statement.policy["Unallocated pools"][0].startswith(unallocated_policy + ":")
        streams = sum(int(line["Streams"]) for line in statement.lines)
        assert (
            streams
            == int(statement.total["Streams"])
            == int(statement.header["Streams"])
            == int(row["streams"])
        )
        # Each line is its exact amount (the detail) rounded down or up, never further off.
        exact = [Decimal(line["amount"]) * 100 for line in detail_lines(admin_api, run.pk, payee)]
        assert len(exact) == len(amounts) > 0
        assert all(abs(cent - value) < 1 for cent, value in zip(amounts, exact, strict=True)), payee
        alone = sum(int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)) for value in exact)
        if alone != total:
            rounded_alone_would_differ.append(payee)
        # The statement says how, with this payee's own figures.
        assert (
            f"to {row['amount']} USD" in statement.rounding and "add up to it exactly" in statement.rounding
        )
        if row["kind"] == "artist":  # and what the earnings API says the artist receives
            earnings = admin_api.get(f"/api/v1/artists/{payee}/earnings", {"month": MONTH}).json()
            assert (earnings["status"], cents(earnings["amount"])) == ("final", total), payee
    assert rounded_alone_would_differ, (
        "the month must make per-line rounding fail, or this test proves little"
    )


def test_the_document_reads_as_a_statement(run: PayoutRun, admin_api: APIClient) -> None:
    payout_run_finalize(run_id=run.pk)
    statement = read_statement(admin_api, run.pk, "art-3")
    assert statement.title == ["Kalipxo royalty statement"]
    run.refresh_from_db()
    assert statement.header == {
        "Status": f"Final: issued when run {run.pk} was finalized on {run.finalized_at:%Y-%m-%d}",
        "Payee": '\'=HYPERLINK("x")',  # the catalog's name, defused for spreadsheets
        "Payee id": "art-3",
        "Kind": "artist",
        "Month": "2026-10",
        "Run": str(run.pk),
        "Currency": "USD",
        "Streams": statement.total["Streams"],
        "Total (USD)": statement.total["Amount (USD)"],
        # No agreement and no withholding: every stage down to the payable says so.
        "Less distribution fees (USD)": "0.00",
        "Less tax withheld (USD)": "0.00",
        "Payable (USD)": statement.total["Amount (USD)"],
        # Its balance: nothing owed before, this month added, nothing paid yet.
        "Opening balance (USD)": "0.00",
        "This month (USD)": statement.total["Amount (USD)"],
        "Paid (USD)": "0.00",
        "Closing balance (USD)": statement.total["Amount (USD)"],
    }
    assert statement.columns[:7] == [
        "Track",
        "ISRC",
        "Track artist",
        "Territory",
        "Tier",
        "Streams",
        "Your share",
    ]
    # Song 3 in each territory and tier it was played in, at art-3's half of the split.
    assert {(line["ISRC"], line["Track"], line["Your share"]) for line in statement.lines} == {
        ("QZKPX2600003", "Song 3", "50%")
    }
    assert sorted((line["Territory"], line["Tier"]) for line in statement.lines) == [
        ("BR", "free"), ("BR", "premium"), ("DE", "premium"), ("FR", "premium"), ("GB", "premium"),
        ("JP", "premium"), ("SE", "premium"), ("US", "premium"),
    ]  # fmt: skip
    # No six-decimal amounts anywhere in the document: cents only.
    for line in [*statement.lines, statement.total]:
        for column in statement.columns[7:]:
            assert len(line[column].partition(".")[2]) == 2, line
    assert cents(statement.total["From unallocated pools (USD)"]) > 0  # LU's pool, spread
    assert statement.policy["Rights share"][0] == "0.85"
    assert statement.policy["Minimum play (ms)"][0] == "30000"
    assert statement.policy["Unallocated pools"][0].startswith("pro_rata")
    assert "largest remainder" in statement.policy["Rounding"][0]
    assert b"DRAFT" not in statement.raw


def test_the_lines_name_the_track_artist_for_a_split_on_another_artists_track(
    run: PayoutRun, admin_api: APIClient
) -> None:
    statement = read_statement(admin_api, run.pk, "art-1")
    on_song_3 = [line for line in statement.lines if line["ISRC"] == "QZKPX2600003"]
    assert on_song_3 and {line["Track artist"] for line in on_song_3} == {'\'=HYPERLINK("x")'}
    assert {line["Your share"] for line in statement.lines} == {"80%", "50%"}


def test_a_run_not_finalized_gives_admins_a_draft_and_artists_nothing(
    run: PayoutRun, admin_api: APIClient, api_as: Callable[..., APIClient]
) -> None:
    url = f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv"
    answer = admin_api.get(url)
    assert answer["Content-Disposition"].endswith('-DRAFT.csv"')
    statement = read_statement(admin_api, run.pk, "art-1")
    assert statement.title == ["Kalipxo royalty statement", "DRAFT"]
    assert statement.header["Status"].startswith(
        f"DRAFT: run {run.pk} for 2026-10 is computed, not finalized."
    )
    assert "issued to payees when the run is finalized" in statement.header["Status"]
    assert admin_api.get(url + "?detail=1")["Content-Disposition"].endswith('-detail-DRAFT.csv"')

    artist = api_as(ApiClient.Role.ARTIST, artist="art-1")
    assert artist.get(url).status_code == 404
    assert artist.get(url + "?detail=1").status_code == 404
    payout_run_finalize(run_id=run.pk)
    final = artist.get(url)
    assert final["Content-Disposition"] == 'attachment; filename="kalipxo-statement-2026-10-art-1.csv"'
    assert read_statement(artist, run.pk, "art-1").title == ["Kalipxo royalty statement"]


def test_the_document_opens_in_a_spreadsheet_with_its_accents(run: PayoutRun, admin_api: APIClient) -> None:
    """A byte-order mark: without one, spreadsheets read UTF-8 as the local code page."""
    answer = admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv")
    assert content(answer).startswith("\ufeffKalipxo royalty statement".encode())
    detail = admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv?detail=1")
    assert content(detail).startswith(b"run,month,currency,payee,stage,")


@pytest.mark.parametrize("value", ["yes", "2", "", "١", "true", "1 "])
def test_a_bad_detail_value_is_a_400_that_says_what_to_send(
    run: PayoutRun, admin_api: APIClient, value: str
) -> None:
    answer = admin_api.get(f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv", {"detail": value})
    assert answer.status_code == 400
    assert "detail=1" in answer.json()["detail"][0]


def test_detail_0_is_the_document(run: PayoutRun, admin_api: APIClient) -> None:
    url = f"/api/v1/payout-runs/{run.pk}/statements/lbl-1.csv"
    plain, zero = admin_api.get(url), admin_api.get(url + "?detail=0")
    assert content(plain) == content(zero)
