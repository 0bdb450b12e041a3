"""Payout runs through the HTTP API (docs/rules.md §4), on whichever database the suite runs.

On SQLite tasks run in-process, so a run started through the API has computed by the
time the POST answers; these tests then read it back. With a real worker (PostgreSQL
and Redis) the same flows are in test_run_worker.py.
"""

import csv
import io
from typing import Any

import pytest
from rest_framework.test import APIClient

from payouts.models import Hold, PayoutRun
from tests.payouts.months import MONTH, Month, cents, expected_payouts, push

pytestmark = pytest.mark.django_db(transaction=True)

SEED_000 = Month(
    plays=[("L1", "QZKPX2600002", 50), ("L1", "QZKPX2600001", 950)],
    paid={"L1": "14.99"},
)


@pytest.fixture(autouse=True)
def _in_process_only() -> None:
    """With a broker configured, tasks go to workers: those flows live in test_run_worker."""
    from django.conf import settings

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("runs in-process only without REDIS_URL; see test_run_worker.py")


def start(admin: APIClient, month: str = MONTH) -> dict[str, Any]:
    answer = admin.post("/api/v1/payout-runs", {"month": month}, format="json")
    assert answer.status_code == 202, answer.content
    return answer.json()


def payouts_csv(admin: APIClient, run_id: int) -> dict[str, dict[str, str]]:
    answer = admin.get(f"/api/v1/payout-runs/{run_id}/payouts.csv")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    text = b"".join(answer.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:5] == ["payee", "kind", "name", "streams", "amount"]
    return {row["payee"]: row for row in rows}


def test_seed_000_the_listener_gives_the_artist_64_cents(
    admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    """14.99 paid, 85% to rights holders, 50 of the listener's 1,000 streams: $0.64."""
    push(SEED_000, admin=admin_api, ingest=ingest_api, billing=billing_api)
    created = start(admin_api)
    assert created["status"] == "queued"

    run = admin_api.get(f"/api/v1/payout-runs/{created['id']}").json()
    assert run["status"] == "computed" and run["progress"] == 1
    assert run["totals"]["pools"] == "12.74"  # 14.99 × 0.85 = 12.7415
    rows = payouts_csv(admin_api, created["id"])
    assert rows["art-2"]["amount"] == "0.64"
    assert rows["art-2"]["streams"] == "50"
    want = expected_payouts(SEED_000.plays, SEED_000.paid)
    assert {payee: cents(row["amount"]) for payee, row in rows.items()} == want.payees


def test_run_pays_every_payee_to_the_cent_and_conserves(
    admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    month = Month(
        plays=[
            ("L1", "QZKPX2600001", 7), ("L1", "QZKPX2600002", 3), ("L1", "ZZXXX2600009", 2),
            ("L2", "QZKPX2600003", 5), ("L2", "QZKPX2600001", 1),
            ("L3", "QZKPX2600002", 3, 4, 29_999),  # too short: counts nowhere
            ("L4", "QZKPX2600002", 9),  # streams, but no revenue recorded: pool 0
        ],
        paid={"L1": "9.99", "L2": "14.99", "L3": "4.99", "L5": "7.00"},  # L3, L5: unallocated
    )  # fmt: skip
    push(month, admin=admin_api, ingest=ingest_api, billing=billing_api)
    created = start(admin_api)
    run = admin_api.get(f"/api/v1/payout-runs/{created['id']}").json()
    assert run["status"] == "computed"
    want = expected_payouts(month.plays, month.paid)
    rows = payouts_csv(admin_api, created["id"])
    assert {payee: cents(row["amount"]) for payee, row in rows.items()} == want.payees
    assert {payee: int(row["streams"]) for payee, row in rows.items()} == want.payee_streams
    totals = run["totals"]
    assert cents(totals["pools"]) == want.total
    assert cents(totals["suspense"]) == sum(want.suspense.values())
    assert cents(totals["retained"]) == want.retained
    assert cents(totals["allocated"]) + cents(totals["suspense"]) + cents(totals["retained"]) == want.total
    assert totals["holds_pending"] == 0


def test_asking_again_returns_the_same_run(
    admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    push(SEED_000, admin=admin_api, ingest=ingest_api, billing=billing_api)
    first = start(admin_api)
    again = start(admin_api)
    assert again["id"] == first["id"] and again["status"] == "computed"
    assert PayoutRun.objects.count() == 1
    listed = admin_api.get("/api/v1/payout-runs").json()
    assert [run["id"] for run in listed] == [first["id"]]


def test_holds_wait_for_decisions_and_reject_retains_the_pool(
    admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient, settings: Any
) -> None:
    settings.FRAUD_MAX_STREAMS_PER_DAY = 20
    settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY = 15
    settings.FRAUD_MAX_LISTENERS_PER_DEVICE = 2
    month = Month(
        plays=[
            ("BOT", "QZKPX2600002", 25, 5),  # 25 in a day: over both daily limits
            ("L1", "QZKPX2600001", 4, 6, 180_000, "d-shared"),
            ("L2", "QZKPX2600002", 4, 6, 180_000, "d-shared"),
            ("L3", "QZKPX2600003", 4, 6, 180_000, "d-shared"),  # three listeners, one device
            ("L4", "QZKPX2600001", 6),
        ],
        paid={"BOT": "14.99", "L1": "9.99", "L2": "9.99", "L3": "9.99", "L4": "14.99"},
    )
    push(month, admin=admin_api, ingest=ingest_api, billing=billing_api)
    created = start(admin_api)
    run = admin_api.get(f"/api/v1/payout-runs/{created['id']}").json()
    assert run["status"] == "review" and run["totals"]["holds_pending"] == 4

    holds = {h["listener"]: h for h in admin_api.get(f"/api/v1/payout-runs/{created['id']}/holds").json()}
    assert set(holds) == {"BOT", "L1", "L2", "L3"}
    assert "25 streams on 2026-10-05" in holds["BOT"]["reason"]
    assert "QZKPX2600002 played 25 times" in holds["BOT"]["reason"]
    assert holds["BOT"]["evidence"]["streams_per_day"] == [{"day": "2026-10-05", "streams": 25}]
    assert holds["L1"]["evidence"]["devices"] == [{"device": "d-shared", "listeners": 3}]
    assert admin_api.post(f"/api/v1/payout-runs/{created['id']}/finalize").status_code == 409

    url = f"/api/v1/payout-runs/{created['id']}/holds"
    assert (
        admin_api.post(f"{url}/{holds['BOT']['id']}", {"decision": "reject"}, format="json").status_code
        == 200
    )
    for listener in ("L1", "L2"):
        answer = admin_api.post(f"{url}/{holds[listener]['id']}", {"decision": "release"}, format="json")
        assert answer.json()["decision"] == "release"
    assert admin_api.get(f"/api/v1/payout-runs/{created['id']}").json()["status"] == "review"
    bad = admin_api.post(f"{url}/{holds['L3']['id']}", {"decision": "maybe"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()
    admin_api.post(f"{url}/{holds['L3']['id']}", {"decision": "release"}, format="json")

    run = admin_api.get(f"/api/v1/payout-runs/{created['id']}").json()
    assert run["status"] == "computed"  # went on by itself after the last decision
    want = expected_payouts(month.plays, month.paid, rejected={"BOT"})
    rows = payouts_csv(admin_api, created["id"])
    assert {payee: cents(row["amount"]) for payee, row in rows.items()} == want.payees
    assert cents(run["totals"]["retained"]) == want.retained == round(1499 * 85 / 100)
    # A decided hold keeps its decision.
    again = admin_api.post(f"{url}/{holds['BOT']['id']}", {"decision": "release"}, format="json")
    assert again.status_code == 409
    assert Hold.objects.get(listener_id="BOT").decision == "reject"


def test_finalize_is_idempotent_and_closes_the_month(
    admin_api: APIClient, ingest_api: APIClient, billing_api: APIClient
) -> None:
    push(SEED_000, admin=admin_api, ingest=ingest_api, billing=billing_api)
    run_id = start(admin_api)["id"]
    first = admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize")
    second = admin_api.post(f"/api/v1/payout-runs/{run_id}/finalize")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["status"] == "finalized"

    late = {"id": "inv-late", "listener": "L9", "month": MONTH, "source": "subscription", "plan": "premium",
            "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00"}  # fmt: skip
    assert billing_api.post("/api/v1/revenue", late, format="json").status_code == 409
    event = {**SEED_000.events[0], "event_id": "late-1"}
    assert ingest_api.post("/api/v1/streams", event, format="json").status_code == 202
    detail = admin_api.get(f"/api/v1/payout-runs/{run_id}").json()
    assert detail["late"]["events"] == 1 and detail["late"]["qualifying_events"] == 1

    earnings = admin_api.get("/api/v1/artists/art-2/earnings", {"month": MONTH}).json()
    assert earnings["status"] == "final"
    assert earnings["amount"] == "0.64" and earnings["streams"] == 50 and earnings["listeners"] == 1


def test_errors_are_json(admin_api: APIClient, api_as: Any) -> None:
    assert admin_api.post("/api/v1/payout-runs", {"month": "2026-13"}, format="json").json().keys() == {
        "month"
    }
    assert admin_api.post("/api/v1/payout-runs", {}, format="json").status_code == 400
    assert admin_api.post("/api/v1/payout-runs", {"month": "2999-01"}, format="json").status_code == 400
    assert admin_api.post("/api/v1/payout-runs", ["2026-10"], format="json").status_code == 400
    missing = admin_api.get("/api/v1/payout-runs/999999")
    assert missing.status_code == 404 and "detail" in missing.json()
    assert admin_api.post("/api/v1/payout-runs/999999/finalize").status_code == 404
    assert admin_api.get("/api/v1/payout-runs/999999/holds").status_code == 404
    assert admin_api.get("/api/v1/payout-runs/abc").status_code == 404
    for role in ("ingest", "billing", "artist", "distributor"):
        extra = (
            {"artist": "art-x"} if role == "artist" else {"distributor": "D"} if role == "distributor" else {}
        )
        if role == "artist":
            from artists.models import Artist

            Artist.objects.get_or_create(id="art-x", defaults={"name": "X"})
        client = api_as(role, **extra)
        assert client.post("/api/v1/payout-runs", {"month": MONTH}, format="json").status_code == 403
        assert client.get("/api/v1/payout-runs").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/payout-runs/{id}",
        "/api/v1/payout-runs/{id}/holds",
        "/api/v1/payout-runs/{id}/payouts.csv",
        "/api/v1/payout-runs/{id}/statements/A1.csv",
    ],
)
@pytest.mark.parametrize("run_id", ["999999999999999999", "9223372036854775808", "590109893270873309184"])
def test_a_run_id_no_row_can_have_is_not_found(admin_api: APIClient, path: str, run_id: str) -> None:
    """Ids beyond what the database's id columns hold are a 404 like any id with no run, not
    a query the database refuses."""
    response = admin_api.get(path.format(id=run_id))
    assert response.status_code == 404
    assert response.json()["detail"]
