"""No month is paid before it ends (docs/rules.md §2 Month close): a run starts, and
finalizes, only once its month has ended plus PAYOUT_RUN_GRACE; through the API, the
management command, the Django admin and the console. And a run no worker takes says so.

Runs are driven in-process, so these run on SQLite and PostgreSQL alike.
"""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from kalipxo.months import add_months, current_month, month_end
from ledger.models import LedgerTransaction
from payouts.engine.locks import try_lock
from payouts.models import PayoutRun, RunChunk
from payouts.run.driver import payout_run_drive
from payouts.run.start import payout_run_restart, payout_run_start
from payouts.run.waiting import run_waiting
from payouts.run.window import MonthNotOver, last_runnable_month, run_opens_at
from streams.models import ClosedMonth
from tests.payouts.months import MONTH, Month, catalog_body, store

pytestmark = pytest.mark.django_db

GRACE = timedelta(hours=24)
# October 2026 ended on 1 November; a grace reaching a year past today keeps it "going on".
OCTOBER_END = datetime(2026, 11, 1, tzinfo=UTC)
LONG_GRACE = timedelta(days=(datetime.now(UTC) - OCTOBER_END).days + 365)
OCTOBER_OPENS_WITH_LONG_GRACE = (OCTOBER_END + LONG_GRACE).isoformat().replace("+00:00", "Z")


@pytest.fixture
def october(admin_api: APIClient) -> None:
    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200
    store(
        Month(plays=[("L1", "QZKPX2600001", 4), ("L2", "QZKPX2600002", 2)], paid={"L1": "9.99", "L2": "4.99"})
    )


@pytest.fixture
def make_admin(db: None) -> Client:
    """A logged-in superuser: the console and the Django admin."""
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-42-long"))
    return client


def computed_october() -> PayoutRun:
    run, _ = payout_run_start(month=datetime(2026, 10, 1, tzinfo=UTC).date(), dispatch=False)
    run = payout_run_drive(run_id=run.pk)
    assert run.status == PayoutRun.Status.COMPUTED, run.failure_reason
    return run


def test_this_month_cannot_be_started_and_the_answer_says_when_it_can(
    admin_api: APIClient, settings: Any
) -> None:
    settings.PAYOUT_RUN_GRACE = GRACE
    this_month = current_month()
    answer = admin_api.post("/api/v1/payout-runs", {"month": f"{this_month:%Y-%m}"}, format="json")
    assert answer.status_code == 409, answer.content
    opens_at = month_end(this_month) + GRACE
    assert answer.json()["opens_at"] == opens_at.isoformat().replace("+00:00", "Z")
    assert f"{opens_at:%Y-%m-%d %H:%M} UTC" in answer.json()["detail"]
    assert "24 hours" in answer.json()["detail"]
    assert not PayoutRun.objects.exists()


def test_last_month_waits_out_its_grace_then_starts(
    admin_api: APIClient, settings: Any, october: None
) -> None:
    settings.PAYOUT_RUN_GRACE = LONG_GRACE
    answer = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json")
    assert answer.status_code == 409
    assert answer.json()["opens_at"] == OCTOBER_OPENS_WITH_LONG_GRACE
    assert not PayoutRun.objects.exists()
    settings.PAYOUT_RUN_GRACE = GRACE
    answer = admin_api.post("/api/v1/payout-runs", {"month": MONTH}, format="json")
    assert answer.status_code == 202, answer.content
    assert PayoutRun.objects.get().month.isoformat() == "2026-10-01"


def test_a_future_month_is_still_a_400(admin_api: APIClient) -> None:
    answer = admin_api.post("/api/v1/payout-runs", {"month": "2999-01"}, format="json")
    assert answer.status_code == 400 and "month" in answer.json()


def test_finalize_checks_again_that_the_month_is_over(
    admin_api: APIClient, settings: Any, october: None
) -> None:
    settings.PAYOUT_RUN_GRACE = timedelta(0)
    run = computed_october()
    # As if an older version had started it, or the clock had been wrong.
    settings.PAYOUT_RUN_GRACE = LONG_GRACE
    answer = admin_api.post(f"/api/v1/payout-runs/{run.pk}/finalize", {}, format="json")
    assert answer.status_code == 409
    assert answer.json()["opens_at"] == OCTOBER_OPENS_WITH_LONG_GRACE
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED
    assert not ClosedMonth.objects.exists() and not LedgerTransaction.objects.exists()
    settings.PAYOUT_RUN_GRACE = timedelta(0)
    answer = admin_api.post(f"/api/v1/payout-runs/{run.pk}/finalize", {}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "finalized"


def test_the_command_refuses_a_month_going_on_and_creates_nothing(settings: Any) -> None:
    settings.PAYOUT_RUN_GRACE = GRACE
    label = f"{current_month():%Y-%m}"
    with pytest.raises(CommandError, match=rf"{label} is not over: a payout run for it can start from"):
        call_command("payout_run", label, "--in-process", stdout=StringIO())
    with pytest.raises(CommandError, match="is not over"):
        call_command("payout_run", label, "--in-process", "--restart", stdout=StringIO())
    assert not PayoutRun.objects.exists()


def test_a_restart_inside_the_grace_abandons_nothing(settings: Any, october: None) -> None:
    settings.PAYOUT_RUN_GRACE = timedelta(0)
    run = computed_october()
    settings.PAYOUT_RUN_GRACE = LONG_GRACE
    with pytest.raises(MonthNotOver):
        payout_run_restart(month=run.month, requested_by="test", dispatch=False)
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED


def test_the_admin_start_form_refuses_a_month_going_on(settings: Any, make_admin: Client) -> None:
    settings.PAYOUT_RUN_GRACE = GRACE
    label = f"{current_month():%Y-%m}"
    page = make_admin.post("/admin/payouts/payoutrun/add/", {"month": label})
    assert page.status_code == 200  # the form again, with the error
    assert "is not over: a payout run for it can start from" in page.content.decode()
    assert not PayoutRun.objects.exists()


def test_the_console_offers_only_months_that_are_over(settings: Any, make_admin: Client) -> None:
    settings.PAYOUT_RUN_GRACE = GRACE
    page = make_admin.get("/console/").content.decode()
    newest = last_runnable_month()
    assert newest < current_month()
    assert re.search(rf'id="run-month"[^>]*value="{newest:%Y-%m}"[^>]*max="{newest:%Y-%m}"', page)
    following = add_months(newest, 1)
    opens = run_opens_at(following)
    text = re.sub(r"\s+", " ", page)
    assert f'can be run from <strong id="next-opens-at">{opens.day} ' in text
    assert f"{opens:%H:%M} UTC</strong>" in text and "plus 24 hours for plays listened offline" in text


def test_the_last_runnable_month_moves_when_the_grace_is_over(settings: Any) -> None:
    settings.PAYOUT_RUN_GRACE = GRACE
    first = datetime(2026, 12, 1, tzinfo=UTC)
    assert last_runnable_month(first + timedelta(hours=23, minutes=59)).month == 10
    assert last_runnable_month(first + GRACE).month == 11
    settings.PAYOUT_RUN_GRACE = timedelta(0)
    assert last_runnable_month(first).month == 11


def test_the_finalize_dialog_names_the_month_its_days_and_what_is_paid(
    settings: Any, make_admin: Client, october: None
) -> None:
    settings.PAYOUT_RUN_GRACE = timedelta(0)
    run = computed_october()
    page = re.sub(r"\s+", " ", make_admin.get(f"/console/runs/{run.pk}/").content.decode())
    assert "Finalize 2026-10 (1–31 October 2026, UTC)?" in page
    assert 'Payable: <strong id="confirm-amount">' in page and 'id="confirm-payees"' in page
    assert 'Holds decided: <strong id="confirm-holds">' in page
    detail = make_admin.get(f"/api/v1/payout-runs/{run.pk}").json()
    assert detail["payable_from"] == "2026-11-01T00:00:00+00:00"
    assert detail["totals"]["payees"] > 0


# ---------------------------------------------------------------------------- waiting


def test_a_run_nobody_takes_says_so_after_a_minute(
    admin_api: APIClient, settings: Any, october: None
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as with a broker: tasks wait for a worker
    run, _ = payout_run_start(month=datetime(2026, 10, 1, tzinfo=UTC).date(), dispatch=False)
    assert admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()["waiting"] is None
    PayoutRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(seconds=75))
    waiting = admin_api.get(f"/api/v1/payout-runs/{run.pk}").json()["waiting"]
    assert re.fullmatch(
        r"No worker has taken this run's task for 7[5-9] s\. Start one with `celery -A kalipxo worker` "
        r"\(it takes every queue\) or `celery -A kalipxo worker -Q payouts`\.",
        waiting,
    ), waiting
    listed = admin_api.get("/api/v1/payout-runs").json()
    assert listed[0]["waiting"] == waiting


def test_a_step_being_worked_on_is_not_waiting(settings: Any, october: None) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    run, _ = payout_run_start(month=datetime(2026, 10, 1, tzinfo=UTC).date(), dispatch=False)
    long_ago = timezone.now() - timedelta(minutes=10)
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SCREENING, updated_at=long_ago)
    run.refresh_from_db()
    step = RunChunk.objects.create(run=run, index=0, status=RunChunk.Status.RUNNING, started_at=long_ago)
    if connection.vendor == "postgresql":
        # Running, but nobody holds its lock: its worker died, and the step waits.
        assert "this run's next step for 600 s" in (run_waiting(run) or "")
        assert try_lock(stage=step.stage, run_id=run.pk, index=step.index)  # as a worker does
        assert run_waiting(run) is None  # a long step, and a worker has it
    else:
        assert run_waiting(run) is None
    RunChunk.objects.filter(pk=step.pk).update(status=RunChunk.Status.DONE, finished_at=long_ago)
    assert run_waiting(run) is None  # between steps nothing tells a busy worker from none
    RunChunk.objects.create(run=run, index=1, enqueued_at=long_ago)
    assert "this run's next step for 600 s" in (run_waiting(run) or "")


def test_in_process_runs_never_wait(settings: Any, october: None) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    run, _ = payout_run_start(month=datetime(2026, 10, 1, tzinfo=UTC).date(), dispatch=False)
    PayoutRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    run.refresh_from_db()
    assert run_waiting(run) is None
