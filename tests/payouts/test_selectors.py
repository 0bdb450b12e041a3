"""What the console and the artist dashboard read (payouts.selectors, payouts.artist_selectors),
final earnings and fans through the API, and artists' review requests."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from rest_framework.test import APIClient

from artists.models import ApiClient
from kalipxo.money import format_amount
from payouts import artist_selectors, selectors
from payouts.earnings import AMOUNT_PLACES, RATE_PLACES
from payouts.models import Hold, PayoutRun, ReviewRequest
from payouts.run.driver import payout_run_drive
from payouts.run.finalize import payout_run_finalize
from payouts.run.holds import hold_decide
from payouts.run.start import payout_run_start
from streams.fans import fan_id, fan_names
from streams.models import Listener
from tests.payouts.months import MONTH, Month, catalog_body, store

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
DATA = Month(
    plays=[
        ("L1", "QZKPX2600001", 50), ("L1", "QZKPX2600002", 950),
        ("L2", "QZKPX2600003", 6), ("L2", "ZZXXX2600009", 2),
        ("BOT", "QZKPX2600001", 45, 12),
    ],
    paid={"L1": "14.99", "L2": "9.99", "L3": "5.00", "BOT": "14.99"},
)  # fmt: skip


@pytest.fixture
def run(admin_api: APIClient, settings: Any) -> PayoutRun:
    """A run over DATA, held in review (the bot crosses a lowered daily limit)."""
    settings.FRAUD_MAX_STREAMS_PER_DAY = 40  # L1 plays 36 a day at most
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(DATA)
    Listener.objects.filter(id="L1").update(display_name="Ann", show_to_artists=True)
    started, _ = payout_run_start(month=OCTOBER, requested_by="admin", dispatch=False)
    return payout_run_drive(run_id=started.pk)


def finalize(run: PayoutRun) -> PayoutRun:
    hold = Hold.objects.get(run=run)
    hold_decide(run_id=run.pk, hold_id=hold.pk, decision="reject", decided_by="admin", dispatch=False)
    payout_run_drive(run_id=run.pk)
    return payout_run_finalize(run_id=run.pk, finalized_by="admin")


def test_console_reads_a_run_in_review(run: PayoutRun) -> None:
    assert run.status == "review"
    overview = selectors.runs_overview()
    assert overview[0]["id"] == run.pk and overview[0]["month"] == MONTH
    assert overview[0]["totals"]["holds_pending"] == 1 and overview[0]["totals"]["pools"] == "38.22"
    detail = selectors.run_detail(run.pk)
    assert detail is not None and detail["status"] == "review" and detail["comparison"] is None
    assert detail["holds"] == {"total": 1, "pending": 1, "released": 0, "rejected": 0}
    assert detail["policy"]["rights_share"] == "0.85" and detail["cutoff"]["event_id"]
    holds = selectors.run_holds(run.pk)
    assert holds[0]["listener"] == "BOT" and holds[0]["decision"] is None
    assert holds[0]["evidence"]["streams_per_day"] == [{"day": "2026-10-12", "streams": 45}]
    assert holds[0]["evidence"]["top_tracks"][0] == {
        "isrc": "QZKPX2600001",
        "streams": 45,
        "most_in_one_day": 45,
        "title": "Song 1",
    }
    assert selectors.run_detail(run.pk + 99) is None

    held = artist_selectors.artist_holds("art-1", OCTOBER)
    assert held == [
        {"hold_id": holds[0]["id"], "fan": held[0]["fan"], "reason": "Unusually many streams in one day",
         "streams": 45, "decision": None}
    ]  # fmt: skip
    assert held[0]["fan"].startswith("Fan ") and "BOT" not in held[0]["fan"]  # never a listener id
    assert artist_selectors.artist_holds("art-2", OCTOBER) == []


def test_dashboard_reads_a_finalized_month(run: PayoutRun) -> None:
    run = finalize(run)
    months = artist_selectors.artist_final_months("art-2")
    assert months[0]["month"] == MONTH and months[0]["run_id"] == run.pk
    # L1: 12.7415 × 950/1000 = 12.104425, plus L3 (paid 5.00, played nothing): 4.25 × 950/1008.
    assert months[0]["streams"] == 950 and months[0]["listeners"] == 1
    assert months[0]["gross"] == "16.11"
    assert months[0]["amount"] == "16.11" and months[0]["pro_rata_amount"] and months[0]["progressive_amount"]

    tracks = artist_selectors.artist_final_tracks("art-1", OCTOBER)
    by_isrc = {t["isrc"]: t for t in tracks}
    assert set(by_isrc) == {"QZKPX2600001", "QZKPX2600003"}  # own track, and a split on art-3's
    assert by_isrc["QZKPX2600001"]["streams"] == 50 and by_isrc["QZKPX2600001"]["listeners"] == 1

    chain = artist_selectors.artist_settlement_chain("art-1", OCTOBER)
    assert [step["stage"] for step in chain] == ["allocation"] * 3 + ["split"] * 2 + ["payee"] * 2 + [
        "fee",
        "tax",
        "payable",
    ]
    gross, paid_away, received, exact = (Decimal(chain[i]["amount"]) for i in (2, 3, 4, 5))
    assert abs(gross - paid_away + received - exact) < Decimal("0.00001")
    assert chain[-1]["amount"] == artist_selectors.artist_final_months("art-1")[0]["amount"]

    statements = artist_selectors.artist_statements("art-1")
    assert statements == [
        {"run_id": run.pk, "month": MONTH, "amount": statements[0]["amount"], "status": "finalized",
         "statement_url": f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv",
         "url": f"/api/v1/payout-runs/{run.pk}/statements/art-1.csv"}
    ]  # fmt: skip
    assert (
        artist_selectors.artist_final_months("nobody") == []
        and artist_selectors.artist_statements("nobody") == []
    )
    comparison = (selectors.run_detail(run.pk) or {})["comparison"]
    assert comparison["total_user_centric"] == selectors.run_summary(run)["totals"]["allocated"]
    differences = [abs(Decimal(row["difference"])) for row in comparison["payees"]]
    assert differences == sorted(differences, reverse=True) and len(differences) == 3
    assert comparison["progressive_base_value"] is not None
    assert artist_selectors.artist_final_tracks("art-1", date(2026, 9, 1)) == []


def test_final_earnings_and_fans_through_the_api(run: PayoutRun, api_as: Callable[..., APIClient]) -> None:
    finalize(run)
    artist = api_as(ApiClient.Role.ARTIST, artist="art-2")
    earnings = artist.get("/api/v1/artists/art-2/earnings", {"month": MONTH}).json()
    assert earnings["status"] == "final" and earnings["amount"] == "16.11"
    assert earnings["streams"] == 950 and earnings["listeners"] == 1
    fans = artist.get("/api/v1/artists/art-2/fans", {"month": MONTH}).json()
    assert fans == [{"fan": "Ann", "fan_id": fan_id(artist_id="art-2", listener_id="L1"), "streams": 950,
                     "amount": "12.10", "share": "1.0000"}]  # fmt: skip
    art1 = (
        api_as(ApiClient.Role.ARTIST, artist="art-1")
        .get("/api/v1/artists/art-1/fans", {"month": MONTH})
        .json()
    )
    assert [fan["fan"] for fan in art1] == ["Ann"]  # the rejected bot counts nowhere


def test_artists_ask_for_a_review(
    run: PayoutRun, api_as: Callable[..., APIClient], admin_api: APIClient
) -> None:
    artist = api_as(ApiClient.Role.ARTIST, artist="art-1")
    url = "/api/v1/artists/art-1/review-requests"
    answer = artist.post(
        url, {"month": MONTH, "message": "A radio feature on the 12th.\nPlease look."}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["month"] == MONTH
    assert ReviewRequest.objects.get().artist_id == "art-1"
    bad = artist.post(url, {"month": "10-2026", "message": "", "extra": 1}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"month", "message", "extra"}
    other = api_as(ApiClient.Role.ARTIST, artist="art-2")
    assert other.post(url, {"month": MONTH, "message": "x"}, format="json").status_code == 404
    assert (
        api_as(ApiClient.Role.INGEST).post(url, {"month": MONTH, "message": "x"}, format="json").status_code
        == 403
    )
    assert admin_api.post(url, {"month": MONTH, "message": "on behalf"}, format="json").status_code == 201


def test_final_top_fans_rank_every_fan_exactly(
    admin_api: APIClient, api_as: Callable[..., APIClient]
) -> None:
    """130 fans, some tied: the API's top 100 equal a brute-force ranking, amounts and shares."""
    plays: list[tuple[Any, ...]] = []
    paid: dict[str, str] = {}
    for n in range(130):
        listener = f"F{n:03d}"
        plays.append((listener, "QZKPX2600001", 1 + n % 7))  # art-1's track
        if n % 3:
            plays.append((listener, "QZKPX2600002", 1 + n % 5))  # someone else's
        paid[listener] = ("14.99", "9.99", "4.99", "9.99")[n % 4]
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(Month(plays=plays, paid=paid))
    started, _ = payout_run_start(month=OCTOBER, requested_by="admin", dispatch=False)
    assert payout_run_drive(run_id=started.pk).status == "computed"
    payout_run_finalize(run_id=started.pk, finalized_by="admin")

    mine: dict[str, int] = {}
    total: dict[str, int] = {}
    for listener, isrc, count in plays:
        total[listener] = total.get(listener, 0) + count
        if isrc == "QZKPX2600001":
            mine[listener] = count
    value = {fan: Fraction(paid[fan]) * Fraction("0.85") * mine[fan] / total[fan] for fan in mine}
    everything = sum(value.values(), Fraction(0))
    ranking = sorted(value, key=lambda fan: (-value[fan], fan))[:100]
    names = fan_names(ranking)
    want = [
        {"fan": names[fan], "fan_id": fan_id(artist_id="art-1", listener_id=fan), "streams": mine[fan],
         "amount": format_amount(value[fan], AMOUNT_PLACES),
         "share": format_amount(value[fan] / everything, RATE_PLACES)}
        for fan in ranking
    ]  # fmt: skip
    artist = api_as(ApiClient.Role.ARTIST, artist="art-1")
    assert artist.get("/api/v1/artists/art-1/fans", {"month": MONTH, "limit": "100"}).json() == want
    # Served from the cached ranking now.
    assert artist.get("/api/v1/artists/art-1/fans", {"month": MONTH, "limit": "3"}).json() == want[:3]
