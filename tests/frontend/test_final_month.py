"""Pages once a month is paid: the artist's final month, statements and holds; the console."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from kalipxo.money import format_minor
from payouts.models import PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.holds import hold_decide
from payouts.run.start import payout_run_start
from streams.models import Listener, StreamEvent
from streams.revenue import revenue_records_ingest
from tests.factories import TrackFactory
from tests.frontend.test_pages import assert_strict_page

pytestmark = pytest.mark.django_db(transaction=True)


def last_month_start() -> datetime:
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first - timedelta(days=1)).replace(day=1)


@pytest.fixture
def paid_month(catalog: dict[str, Any]) -> PayoutRun:
    """Last month played by the catalog's listeners and a bot, run in-process and finalized
    (the bot's hold rejected)."""
    start = last_month_start()
    bot = Listener.objects.create(id="LBOT")
    plays = []
    for i, (listener, isrc, count) in enumerate(
        [("LT0", "QZKPX2600101", 6), ("LT1", "QZKPX2600102", 3), ("LT2", "QZKPX2600103", 4),
         ("LT3", "QZKPX2600104", 2), ("LBOT", "QZKPX2600101", 1_001)]
    ):  # fmt: skip
        for n in range(count):
            plays.append(
                StreamEvent(
                    event_id=f"fm-{uuid.uuid4()}", listener_id=listener, isrc=isrc,
                    started_at=start + timedelta(days=2 + i, seconds=n), duration_ms=200_000,
                    country="US", tier="premium",
                )
            )  # fmt: skip
    StreamEvent.objects.bulk_create(plays)
    run, _ = payout_run_start(month=start.date(), requested_by="test", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.REVIEW
    for hold in run.holds.all():
        hold_decide(run_id=run.pk, hold_id=hold.pk, decision="reject", decided_by="test", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    assert bot.pk
    return payout_run_finalize(run_id=run.pk, finalized_by="test")


def test_the_paid_month_is_final_on_the_dashboard(artist_client: Client, paid_month: PayoutRun) -> None:
    month = f"{paid_month.month:%Y-%m}"
    page = artist_client.get("/dashboard/art-a/")
    assert_strict_page(page)
    data = page.context["data"]
    assert data["final_months"][0]["month"] == month
    assert data["last"]["status"] == "final"
    history = {h["month"]: h for h in data["history"]}
    assert history[month]["status"] == "final"
    assert history[month]["amount"] == data["final_months"][0]["amount"]
    chain = page.context["final"]["chain"]
    assert chain and chain[-1]["amount"] == data["final_months"][0]["payable"]
    html = page.content.decode()
    assert f"/api/v1/payout-runs/{paid_month.pk}/statements/art-a.csv" in html


def test_final_month_tracks_are_shown_on_request(artist_client: Client, paid_month: PayoutRun) -> None:
    month = f"{paid_month.month:%Y-%m}"
    page = artist_client.get(f"/dashboard/art-a/?month={month}")
    assert page.context["detail_month"] == month
    isrcs = {track["isrc"] for track in page.context["final"]["tracks"]}
    assert {"QZKPX2600101", "QZKPX2600102"} <= isrcs
    assert "(final)" in page.content.decode()


def test_an_unknown_month_falls_back_to_this_months_estimate(
    artist_client: Client, paid_month: PayoutRun
) -> None:
    page = artist_client.get("/dashboard/art-a/?month=1999-01")
    assert page.context["detail_month"] is None
    assert page.context["open_tracks"]


def test_held_streams_are_shown_to_the_artist_without_listener_ids(
    artist_client: Client, paid_month: PayoutRun
) -> None:
    page = artist_client.get("/dashboard/art-a/")
    holds = page.context["holds"]
    assert len(holds) == 1
    assert holds[0]["decision"] == "reject"
    assert holds[0]["streams"] == 1_001
    html = page.content.decode()
    assert "LBOT" not in html
    assert 'id="review-form"' in html


def test_the_statement_downloads_for_the_artist(artist_client: Client, paid_month: PayoutRun) -> None:
    response = artist_client.get(f"/api/v1/payout-runs/{paid_month.pk}/statements/art-a.csv")
    assert response.status_code == 200


def test_payout_history_csv_lists_the_paid_month(artist_client: Client, paid_month: PayoutRun) -> None:
    lines = artist_client.get("/dashboard/art-a/payouts.csv").content.decode().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"art-a,{paid_month.month:%Y-%m},{paid_month.pk},")


def test_console_lists_the_run_and_opens_it(staff_client: Client, paid_month: PayoutRun) -> None:
    overview = staff_client.get("/console/")
    assert f"/console/runs/{paid_month.pk}/" in overview.content.decode()
    page = staff_client.get(f"/console/runs/{paid_month.pk}/")
    assert_strict_page(page)
    assert page.context["run"]["status"] == "finalized"
    assert page.context["holds"][0]["listener"] == "LBOT"
    assert 'id="holds-data"' in page.content.decode()


def test_the_console_shows_what_suspense_holds_per_isrc_and_since_when(
    staff_client: Client, catalog: dict[str, Any]
) -> None:
    """An ISRC nobody had in the catalog when the month was finalized: its money is held for
    it, shown with its month and age; once its track is in the catalog the table says so."""
    start = last_month_start()
    unknown = "ZZXXX2600009"
    heard = [("LT0", "QZKPX2600101"), ("LT0", unknown), ("LT1", unknown), ("LT1", "QZKPX2600103")]
    plays = [
        StreamEvent(
            event_id=f"sp-{uuid.uuid4()}", listener_id=listener, isrc=isrc, duration_ms=200_000,
            started_at=start + timedelta(days=3, seconds=n), country="US", tier="premium",
        )
        for n, (listener, isrc) in enumerate(heard)
    ]  # fmt: skip
    StreamEvent.objects.bulk_create(plays)
    revenue_records_ingest(
        items=[{"id": f"sr-{who}", "listener": who, "month": f"{start:%Y-%m}", "source": "subscription",
                "plan": "premium", "country": "US", "gross": "10.00", "tax": "0.00", "fees": "0.00"}
               for who in ("LT0", "LT1")]
    )  # fmt: skip
    run, _ = payout_run_start(month=start.date(), requested_by="test", dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    empty = staff_client.get("/console/").context["suspense"]
    assert empty["rows"] == []  # computed, not finalized: nothing is held yet
    payout_run_finalize(run_id=run.pk, finalized_by="test")

    page = staff_client.get("/console/")
    assert_strict_page(page)
    held = page.context["suspense"]
    (row,) = held["rows"]
    stored = run.suspense.get(isrc="ZZXXX2600009")
    assert row["isrc"] == "ZZXXX2600009" and row["streams"] == 2 and not row["in_catalog"]
    assert row["amount"] == format_minor(stored.amount_minor, 2) == held["amount"]
    assert stored.amount_minor == 850  # half of each listener's 8.50 pool
    assert row["since"] == f"{start:%Y-%m}" and row["age_months"] == 1 and row["months"] == 1
    text = " ".join(page.content.decode().split())
    assert "ZZXXX2600009" in text and "1 month" in text

    TrackFactory(isrc="ZZXXX2600009", title="Claimed", artist=catalog["artists"][0])
    assert staff_client.get("/console/").context["suspense"]["rows"][0]["in_catalog"]
