"""Django admin: start a run from the add form, decide holds and finalize with actions;
results and the ledger are read-only."""

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from ledger.models import LedgerTransaction
from payouts.models import Hold, PayeeResult, PayoutRun, ReviewRequest
from payouts.run.driver import payout_run_drive
from payouts.run.start import payout_run_start
from tests.payouts.months import MONTH, Month, catalog_body, store

pytestmark = pytest.mark.django_db

DATA = Month(
    plays=[("L1", "QZKPX2600001", 5), ("BOT", "QZKPX2600002", 30, 7)], paid={"L1": "9.99", "BOT": "9.99"}
)


@pytest.fixture
def staff(client: Client) -> Client:
    """A logged-in superuser."""
    user = User.objects.create_superuser("boss", "boss@example.com", "pw-not-secret-123")
    client.force_login(user)
    return client


def test_every_payouts_admin_page_answers(staff: Client, admin_api: Any, settings: Any) -> None:
    settings.FRAUD_MAX_STREAMS_PER_DAY = 20
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(DATA)
    run, _ = payout_run_start(month=date(2026, 10, 1), dispatch=False)
    payout_run_drive(run_id=run.pk)
    ReviewRequest.objects.create(artist_id="art-1", month=run.month, message="why?", requested_by="art")
    ledger_pages = [
        reverse(f"admin:ledger_{model}_changelist") for model in ("ledgertransaction", "ledgerposting")
    ]
    for url in ledger_pages:
        assert staff.get(url).status_code == 200, url
    models = ("payoutrun", "hold", "runchunk", "payeeresult", "suspenseresult", "trackresult", "artistresult",
              "allocationline", "reviewrequest")  # fmt: skip
    for model in models:
        answer = staff.get(reverse(f"admin:payouts_{model}_changelist"))
        assert answer.status_code == 200, model
    assert staff.get(reverse("admin:payouts_payoutrun_change", args=[run.pk])).status_code == 200
    assert staff.get(reverse("admin:payouts_payeeresult_add")).status_code == 403  # read-only

    hold = Hold.objects.get(run=run)
    url = reverse("admin:payouts_hold_changelist")
    staff.post(url, {"action": "release", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.decision == "release"
    run.refresh_from_db()
    assert run.status == "computing"  # no broker here: the in-process driver takes it on
    payout_run_drive(run_id=run.pk)

    staff.post(
        reverse("admin:payouts_payoutrun_changelist"),
        {"action": "finalize_runs", "_selected_action": [run.pk]},
    )
    run.refresh_from_db()
    assert run.status == "finalized" and LedgerTransaction.objects.filter(run_id=run.pk).count() == 1
    # The ledger's pages, now with the run's settlement in them, and still read-only.
    for url in ledger_pages:
        assert staff.get(url).status_code == 200, url
    tx = LedgerTransaction.objects.get(run_id=run.pk)
    assert staff.get(reverse("admin:ledger_ledgertransaction_change", args=[tx.pk])).status_code == 200
    assert staff.get(reverse("admin:ledger_ledgertransaction_add")).status_code == 403
    assert staff.get(reverse("admin:ledger_ledgerposting_add")).status_code == 403
    assert PayeeResult.objects.filter(run=run).exists()


def test_the_add_form_starts_a_run_or_shows_the_one_already_started(staff: Client) -> None:
    existing = PayoutRun.objects.create(month=date(2026, 10, 1), policy={"minor_exponent": 2})
    add = reverse("admin:payouts_payoutrun_add")
    assert staff.get(add).status_code == 200
    answer = staff.post(add, {"month": MONTH})
    assert answer.status_code == 302
    assert PayoutRun.objects.count() == 1 and PayoutRun.objects.get().pk == existing.pk
    bad = staff.post(add, {"month": "2999-01"})
    assert bad.status_code == 200 and b"has not started yet" in bad.content


def test_a_failed_run_can_be_started_again_from_the_list(staff: Client) -> None:
    failed = PayoutRun.objects.create(month=date(2026, 10, 1), policy={"minor_exponent": 2}, status="failed")
    url = reverse("admin:payouts_payoutrun_changelist")
    staff.post(url, {"action": "start_again", "_selected_action": [failed.pk]})
    fresh = PayoutRun.objects.exclude(pk=failed.pk).get()
    assert fresh.month == failed.month and fresh.requested_by == "boss"
    staff.post(url, {"action": "start_again", "_selected_action": [failed.pk, fresh.pk]})
    assert PayoutRun.objects.count() == 2  # the live run is shown, not doubled
