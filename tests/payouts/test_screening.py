"""Screening rules and evidence, the data cut, the monthly schedule and recovery.

Runs are driven in-process, so these run on SQLite and PostgreSQL alike.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from kalipxo.months import previous_month
from payouts import screening
from payouts.models import Hold, PayeeResult, PayoutRun, RunChunk
from payouts.run.driver import payout_run_drive
from payouts.run.enqueue import discard
from payouts.run.errors import RunInvalid
from payouts.run.failure import payout_run_fail
from payouts.run.recovery import payout_runs_resume
from payouts.run.screen import payout_run_screen
from payouts.run.start import month_to_run, payout_run_scheduled_open, payout_run_start
from tests.payouts.months import MONTH, Month, cents, expected_payouts, store

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)


@pytest.fixture
def catalog(admin_api: Any) -> None:
    """The three-track catalog of tests.payouts.months."""
    from tests.payouts.months import catalog_body

    assert admin_api.post("/api/v1/catalog/tracks", catalog_body(), format="json").status_code == 200


def screened(month: Month, settings: Any, **limits: int) -> dict[str, Hold]:
    settings.FRAUD_MAX_STREAMS_PER_DAY = limits.get("per_day", 1000)
    settings.FRAUD_MAX_TRACK_PLAYS_PER_DAY = limits.get("per_track", 200)
    settings.FRAUD_MAX_LISTENERS_PER_DEVICE = limits.get("per_device", 10)
    settings.PAYOUT_RUN_CHUNKS = 2
    store(month)
    run, _ = payout_run_start(month=OCTOBER, dispatch=False)
    payout_run_drive(run_id=run.pk)
    return {hold.listener_id: hold for hold in Hold.objects.filter(run=run)}


def test_each_rule_with_its_reason_and_evidence(catalog: None, settings: Any) -> None:
    holds = screened(
        Month(
            plays=[
                ("A", "QZKPX2600001", 12, 5), ("A", "QZKPX2600002", 2, 6),  # 12 of one track on the 5th
                ("B", "QZKPX2600002", 8, 9), ("B", "QZKPX2600003", 8, 9),  # 16 streams on the 9th
                ("C", "QZKPX2600001", 1, 2, 180_000, "shared"),
                ("D", "QZKPX2600001", 1, 2, 180_000, "shared"),
                ("E", "QZKPX2600001", 1, 2, 180_000, "shared"),
                ("F", "QZKPX2600001", 40, 7, 29_000),  # 40 short plays: never counted
                ("G", "QZKPX2600001", 3, 3),
            ],
            paid={"A": "9.99"},
        ),
        settings,
        per_day=15,
        per_track=10,
        per_device=2,
    )  # fmt: skip
    assert set(holds) == {"A", "B", "C", "D", "E"}
    assert holds["A"].rules == ["track_plays_per_day"]
    assert holds["A"].reason == "QZKPX2600001 played 12 times on 2026-10-05 (limit 10)"
    assert holds["A"].evidence["streams_per_day"] == [
        {"day": "2026-10-05", "streams": 12}, {"day": "2026-10-06", "streams": 2}
    ]  # fmt: skip
    assert holds["A"].evidence["top_tracks"][0]["most_in_one_day"] == 12
    assert holds["A"].evidence["thresholds"] == {
        "streams_per_day": 15, "track_plays_per_day": 10, "listeners_per_device": 2
    }  # fmt: skip
    assert holds["A"].streams == 14 and holds["A"].pool_exact is not None
    assert (
        holds["B"].rules == ["streams_per_day"] and holds["B"].reason == "16 streams on 2026-10-09 (limit 15)"
    )
    assert holds["C"].rules == ["shared_device"]
    assert holds["C"].reason == "device shared used by 3 listeners (limit 2)"
    assert holds["C"].evidence["shared_device"] == {"device": "shared", "listeners": 3}
    assert PayoutRun.objects.get().status == "review"


def test_events_after_the_data_cut_are_late_not_paid(catalog: None, settings: Any) -> None:
    settings.PAYOUT_RUN_CHUNKS = 2
    paid = {"L1": "14.99"}
    store(Month(plays=[("L1", "QZKPX2600001", 10)], paid=paid))
    run, _ = payout_run_start(month=OCTOBER, dispatch=False)
    payout_run_screen(run_id=run.pk, send=discard)  # the cut is taken here

    from streams.ingest import stream_events_ingest

    late = Month(plays=[("L1", "QZKPX2600002", 30)], paid={}).build_events(prefix="late")
    assert stream_events_ingest(items=late).accepted == 30
    run = payout_run_drive(run_id=run.pk)
    assert run.status == "computed"
    got = dict(PayeeResult.objects.filter(run=run).values_list("payee", "amount_minor"))
    assert got == expected_payouts([("L1", "QZKPX2600001", 10)], paid).payees  # as at the cut
    from payouts.selectors import run_detail

    detail = run_detail(run.pk)
    assert detail is not None and detail["late"]["events"] == 30 and detail["late"]["qualifying_events"] == 30
    assert cents(detail["totals"]["pools"]) == 1274


def test_the_schedule_opens_last_months_run_once_its_grace_is_over(settings: Any) -> None:
    settings.PAYOUT_RUN_GRACE = timedelta(hours=24)
    entry = django_settings.CELERY_BEAT_SCHEDULE["open-last-month-payout-run"]
    assert entry["task"] == "payouts.payout_run_scheduled_open"
    schedule: Any = entry["schedule"]
    assert schedule.minute == {5} and schedule.hour == set(range(24))  # hourly
    assert django_settings.CELERY_BEAT_SCHEDULE["resume-payout-runs"]["task"] == "payouts.payout_runs_resume"
    assert previous_month(datetime(2027, 1, 1, 2, tzinfo=UTC)) == date(2026, 12, 1)
    # 1 November, 02:00: October ended two hours ago, inside its grace: nothing opens.
    assert payout_run_scheduled_open(now=datetime(2026, 11, 1, 2, tzinfo=UTC)) is None
    assert not PayoutRun.objects.exists()
    run = payout_run_scheduled_open(now=datetime(2026, 11, 2, 0, 5, tzinfo=UTC))
    assert run is not None and run.month == OCTOBER and run.requested_by == "schedule"
    assert run.status == PayoutRun.Status.QUEUED  # opened, never finalized
    assert payout_run_scheduled_open(now=datetime(2026, 11, 2, 1, 5, tzinfo=UTC)) is None
    payout_run_fail(run_id=run.pk, reason="test")
    # A failed run waits for an operator instead of being started again every hour.
    assert payout_run_scheduled_open(now=datetime(2026, 11, 2, 2, 5, tzinfo=UTC)) is None
    assert PayoutRun.objects.count() == 1


def test_resume_sends_stalled_runs_on(catalog: None, settings: Any) -> None:
    settings.PAYOUT_RUN_CHUNKS = 2
    store(Month(plays=[("L1", "QZKPX2600001", 4)], paid={"L1": "4.99"}))
    run, _ = payout_run_start(month=OCTOBER, dispatch=False)
    assert payout_runs_resume(older_than_seconds=3600) == {
        "screen": 0,
        "steps": 0,
        "review": 0,
        "settle": 0,
    }
    sent = payout_runs_resume(older_than_seconds=0)  # its screening task was "lost"
    assert sent["screen"] == 1
    payout_run_drive(run_id=run.pk)
    assert PayoutRun.objects.get(pk=run.pk).status == "computed"
    assert not RunChunk.objects.filter(run=run).exclude(status="done").exists()


def test_a_month_that_has_not_started_cannot_be_run() -> None:
    with pytest.raises(RunInvalid):
        month_to_run("2999-01")
    assert month_to_run(MONTH) == OCTOBER


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("database", "waits"), [("own", True), ("other", False)])
def test_the_data_cut_waits_for_open_transactions_of_its_own_database_only(
    database: str, waits: bool
) -> None:
    """An open writer in our database may still commit events under the cut, so the cut
    waits for it; one in another database of the same server cannot, so it does not.
    (Asserted on the list the cut waits on: other sessions may be writing meanwhile.)"""
    import psycopg
    from django.db import connection

    from payouts.run import cut as cut_module

    params = connection.get_connection_params()
    if database == "other":
        params["dbname"] = "postgres"
    with psycopg.connect(**params) as writer:
        writer.execute("SELECT pg_current_xact_id()")  # holds a transaction id, still open
        with connection.cursor() as cursor:
            cursor.execute(cut_module._WRITERS_SQL)
            _, writers = cursor.fetchone()
        pids = {int(pair.split(":")[0]) for pair in writers}
        assert (writer.info.backend_pid in pids) is waits


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_cut_waits_for_an_open_writer_whose_event_is_under_it(
    catalog: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are drawn before commit: an event of a still-open transaction can sit under a
    later one that already committed. The run must not start until it has committed."""
    import threading

    import psycopg
    from django.db import connection

    from payouts.run import cut as cut_module
    from streams.models import StreamEvent

    month = Month(plays=[("L1", "QZKPX2600001", 1)], paid={"L1": "9.99"})
    store(month)
    insert = (
        "INSERT INTO streams_streamevent "
        "(event_id, listener_id, isrc, started_at, duration_ms, country, tier) "
        "VALUES (%s, 'L1', 'QZKPX2600001', %s, 200000, 'US', 'premium')"
    )
    monkeypatch.setattr(cut_module, "CUT_WAIT_SECONDS", 20)
    with psycopg.connect(**connection.get_connection_params()) as writer:
        writer.execute(insert, ["slow", datetime(2026, 10, 5, tzinfo=UTC)])  # drawn first, still open
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute(insert, ["quick", datetime(2026, 10, 5, tzinfo=UTC)])
        threading.Timer(0.3, writer.commit).start()
        cut = cut_module.data_cut()
        slow = StreamEvent.objects.filter(event_id="slow").first()  # committed by now
    assert slow is not None and slow.pk < cut.event_id == StreamEvent.objects.get(event_id="quick").pk


@pytest.mark.parametrize(
    ("rule", "values"),
    [
        ("streams_per_day", {"count": 1001, "day": "2026-10-03", "limit": 1000}),
        ("track_plays_per_day", {"isrc": "QZKPX2600001", "count": 201, "day": "2026-10-31", "limit": 200}),
        ("shared_device", {"device": "d-O'Brien 7", "listeners": 11, "limit": 10}),
    ],
)
def test_the_database_words_a_violation_as_python_does(rule: str, values: dict[str, Any]) -> None:
    """The chunks' screening (PostgreSQL) writes its hold reasons in SQL, the portable one in
    Python: both from one wording, so a hold reads the same on either path."""
    if connection.vendor != "postgresql":
        pytest.skip("the chunks' screening runs on PostgreSQL only")
    expression = screening.detail_sql(rule, **{name: "%s" for name in values})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", list(values.values()))
        (said,) = cursor.fetchone()
    assert said == screening.detail(rule, **values)
