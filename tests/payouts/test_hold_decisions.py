"""Hold decisions through the HTTP API: many at once (by reason, by device, listed ids),
changes while the run waits in review, the audit trail, and the 409 once computing started.

Runs are screened in-process (no broker needed); the decisions go through the API.
"""

from datetime import date
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from rest_framework.test import APIClient

from payouts.models import Hold, HoldDecisionRecord, PayoutRun
from payouts.run.driver import payout_run_drive
from payouts.run.start import payout_run_start
from tests.payouts.months import Month, catalog_body, store

pytestmark = pytest.mark.django_db(transaction=True)

OCTOBER = date(2026, 10, 1)
SHARED = "d-shared"
DATA = Month(
    plays=[
        ("BOT", "QZKPX2600002", 25, 5),  # 25 in a day: over the lowered daily limit
        ("L1", "QZKPX2600001", 4, 6, 180_000, SHARED),
        ("L2", "QZKPX2600002", 4, 6, 180_000, SHARED),
        ("L3", "QZKPX2600003", 4, 6, 180_000, SHARED),  # three listeners on one device
        ("L4", "QZKPX2600001", 6),
    ],
    paid={"BOT": "14.99", "L1": "9.99", "L2": "9.99", "L3": "10.00", "L4": "14.99"},
)


@pytest.fixture
def run(admin_api: APIClient, settings: Any) -> PayoutRun:
    """The month screened in-process and waiting in review: BOT and L1-L3 held."""
    settings.FRAUD_MAX_STREAMS_PER_DAY = 20
    settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY = 50
    settings.FRAUD_MAX_LISTENERS_PER_DEVICE = 2
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(DATA)
    started, _ = payout_run_start(month=OCTOBER, requested_by="admin", dispatch=False)
    screened = payout_run_drive(run_id=started.pk)
    assert screened.status == "review"
    return screened


def holds_of(admin: APIClient, run: PayoutRun) -> dict[str, dict[str, Any]]:
    answer = admin.get(f"/api/v1/payout-runs/{run.pk}/holds")
    assert answer.status_code == 200
    return {hold["listener"]: hold for hold in answer.json()}


def bulk(admin: APIClient, run: PayoutRun, **body: Any) -> Any:
    return admin.post(f"/api/v1/payout-runs/{run.pk}/holds", body, format="json")


def test_each_hold_lists_its_pool_and_streams_at_stake(admin_api: APIClient, run: PayoutRun) -> None:
    holds = holds_of(admin_api, run)
    assert set(holds) == {"BOT", "L1", "L2", "L3"}
    # The pool is what paid × 0.85 (docs/rules.md §2), exact: retained if rejected.
    assert holds["BOT"]["pool"] == "12.7415"
    assert holds["L3"]["pool"] == "8.50"
    assert holds["BOT"]["streams"] == 25 and holds["L1"]["streams"] == 4
    assert all(hold["history"] == [] and hold["decision"] is None for hold in holds.values())


def test_a_reason_decides_every_hold_it_flagged_at_once(admin_api: APIClient, run: PayoutRun) -> None:
    answer = bulk(admin_api, run, decision="release", rule="shared_device")
    assert answer.status_code == 200, answer.content
    holds = holds_of(admin_api, run)
    assert sorted(answer.json()["decided"]) == sorted(holds[name]["id"] for name in ("L1", "L2", "L3"))
    assert answer.json()["run_status"] == "review"  # BOT still waits
    assert [holds[name]["decision"] for name in ("L1", "L2", "L3", "BOT")] == ["release"] * 3 + [None]
    trail = holds["L2"]["history"]
    assert len(trail) == 1
    assert trail[0]["decision"] == "release" and trail[0]["previous"] is None
    assert trail[0]["decided_by"] and trail[0]["decided_at"]
    assert trail[0]["chosen_by"] == "by reason: shared_device"


def test_a_device_decides_its_listeners(admin_api: APIClient, run: PayoutRun) -> None:
    answer = bulk(admin_api, run, decision="reject", device=SHARED)
    assert answer.status_code == 200, answer.content
    assert len(answer.json()["decided"]) == 3
    assert Hold.objects.filter(run=run, decision="reject").count() == 3
    unknown = bulk(admin_api, run, decision="reject", device="d-nobody")
    assert unknown.status_code == 400 and "d-nobody" in unknown.json()["device"][0]


def test_a_decision_changes_until_computing_starts_and_the_trail_keeps_both(
    admin_api: APIClient, run: PayoutRun
) -> None:
    holds = holds_of(admin_api, run)
    l1 = holds["L1"]["id"]
    first = admin_api.post(f"/api/v1/payout-runs/{run.pk}/holds/{l1}", {"decision": "reject"}, format="json")
    assert first.status_code == 200
    # v1 is unchanged: deciding a decided hold another way is 409, and says how to change it.
    refused = admin_api.post(
        f"/api/v1/payout-runs/{run.pk}/holds/{l1}", {"decision": "release"}, format="json"
    )
    assert refused.status_code == 409 and '"change": true' in refused.json()["detail"]
    # Without "change", a bulk decision leaves holds decided the other way as they are.
    kept = bulk(admin_api, run, decision="release", rule="shared_device")
    assert kept.json()["kept"] == [l1] and Hold.objects.get(pk=l1).decision == "reject"
    changed = bulk(admin_api, run, decision="release", holds=[l1], change=True)
    assert changed.status_code == 200 and changed.json()["changed"] == [l1]
    trail = holds_of(admin_api, run)["L1"]["history"]
    assert [(r["previous"], r["decision"]) for r in trail] == [(None, "reject"), ("reject", "release")]
    assert trail[0]["chosen_by"] == "one hold"

    # The last decision starts computing: from then on nothing changes, with a clear 409.
    last = bulk(admin_api, run, decision="reject", holds=[holds["BOT"]["id"]])
    assert last.status_code == 200 and last.json()["run_status"] == "computing"
    late = bulk(admin_api, run, decision="reject", holds=[l1], change=True)
    assert late.status_code == 409
    assert "computing" in late.json()["detail"] and "before computing starts" in late.json()["detail"]
    assert Hold.objects.get(pk=l1).decision == "release"
    assert HoldDecisionRecord.objects.filter(hold_id=l1).count() == 2
    # Asking for what already holds is not a change, and is answered as such.
    same = bulk(admin_api, run, decision="release", holds=[l1])
    assert same.status_code == 200 and same.json()["unchanged"] == [l1]


def test_a_bulk_decision_is_all_or_nothing(admin_api: APIClient, run: PayoutRun) -> None:
    holds = holds_of(admin_api, run)
    answer = bulk(admin_api, run, decision="release", holds=[holds["L1"]["id"], 999_999])
    assert answer.status_code == 400 and "999999" in answer.json()["holds"][0]
    assert not Hold.objects.filter(run=run, decision__isnull=False).exists()
    assert not HoldDecisionRecord.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe", "rule": "shared_device"}, "decision"),
        ({"decision": "release"}, "holds"),
        ({"decision": "release", "rule": "shared_device", "device": SHARED}, "holds"),
        ({"decision": "release", "rule": "loud"}, "rule"),
        ({"decision": "release", "holds": ["1"]}, "holds"),
        ({"decision": "release", "holds": "1"}, "holds"),
        ({"decision": "release", "device": 7}, "device"),
        ({"decision": "release", "rule": "shared_device", "change": "yes"}, "change"),
        ({"decision": "release", "rule": "shared_device", "why": "x"}, "why"),
    ],
)
def test_bad_bulk_requests_say_what_to_fix(
    admin_api: APIClient, run: PayoutRun, body: dict[str, Any], field: str
) -> None:
    answer = admin_api.post(f"/api/v1/payout-runs/{run.pk}/holds", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json() and answer.json()[field][0]
    assert not Hold.objects.filter(run=run, decision__isnull=False).exists()


def test_bulk_decisions_are_for_admins_only(api_as: Any, run: PayoutRun) -> None:
    for role in ("ingest", "billing"):
        answer = api_as(role).post(
            f"/api/v1/payout-runs/{run.pk}/holds",
            {"decision": "release", "rule": "shared_device"},
            format="json",
        )
        assert answer.status_code == 403
    missing = api_as("admin").post(
        "/api/v1/payout-runs/999999/holds", {"decision": "release", "rule": "shared_device"}, format="json"
    )
    assert missing.status_code == 404


def test_the_audit_trail_is_never_edited(admin_api: APIClient, run: PayoutRun) -> None:
    assert bulk(admin_api, run, decision="release", rule="shared_device").status_code == 200
    record = HoldDecisionRecord.objects.first()
    assert record is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        HoldDecisionRecord.objects.filter(pk=record.pk).update(decided_by="someone else")
    assert HoldDecisionRecord.objects.get(pk=record.pk).decided_by == record.decided_by
