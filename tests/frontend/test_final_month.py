"""Pages once a month is paid: the artist's final month, statements and holds; the console."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from payouts.models import PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.holds import hold_decide
from payouts.run.start import payout_run_start
from streams.models import Listener, StreamEvent
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
    assert chain and chain[-1]["amount"] == data["final_months"][0]["amount"]
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
