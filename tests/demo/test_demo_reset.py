"""`load_demo_data --reset` removes payout runs with their holds, results and ledger, so the
demo month can be paid again from scratch."""

import io
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from artists.models import ApiClient, RecordingLink, Track, Work, WorkShare
from demo.catalog import DISTRIBUTORS
from ledger.models import LedgerPosting, LedgerTransaction
from payouts.models import (
    AllocationLine,
    ArtistResult,
    Hold,
    PayeeResult,
    PayoutRun,
    RunChunk,
    RunSplit,
    RunTrack,
    SuspenseResult,
    TrackResult,
)
from payouts.run.enqueue import discard
from payouts.run.screen import payout_run_screen
from payouts.run.start import payout_run_start
from streams.models import ClosedMonth
from tests.conftest import ApiFactory

pytestmark = pytest.mark.django_db

MONTH = "2025-06"
SIZES = {"listeners": 60, "streams": 3_000, "seed": 7}
RUN_TABLES = (
    PayoutRun, RunChunk, Hold, RunTrack, RunSplit, AllocationLine, PayeeResult, SuspenseResult, TrackResult,
    ArtistResult, LedgerTransaction, LedgerPosting,
)  # fmt: skip


def load(**options: Any) -> str:
    out = io.StringIO()
    call_command("load_demo_data", month=MONTH, stdout=out, **{**SIZES, **options})
    return out.getvalue()


def pay_the_month(admin: APIClient) -> int:
    """The demo month's run, holds released, finalized: the command, the API, the command."""
    with pytest.raises(SystemExit):  # stops for the demo's planted holds
        call_command("payout_run", MONTH, "--in-process", stdout=io.StringIO())
    run = PayoutRun.objects.get(month=date(2025, 6, 1))
    for hold in admin.get(f"/api/v1/payout-runs/{run.pk}/holds").json():
        answer = admin.post(
            f"/api/v1/payout-runs/{run.pk}/holds/{hold['id']}", {"decision": "release"}, format="json"
        )
        assert answer.status_code == 200
    call_command("payout_run", MONTH, "--in-process", "--finalize", stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == "finalized"
    return run.pk


def scratch_tables() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'kx\\_run%%'")
        return int(cursor.fetchone()[0])


def test_reset_deletes_payout_runs_results_and_ledger(admin_api: APIClient, settings: Any) -> None:
    settings.PAYOUT_RUN_CHUNKS = 2
    load()
    first = pay_the_month(admin_api)
    paid = dict(PayeeResult.objects.filter(run_id=first).values_list("payee", "amount_minor"))
    # Another month's run left half-way, with scratch tables on PostgreSQL.
    unfinished, _ = payout_run_start(month=date(2025, 7, 1), dispatch=False)
    payout_run_screen(run_id=unfinished.pk, send=discard)
    assert all(model.objects.exists() for model in (PayoutRun, Hold, PayeeResult, LedgerPosting))
    assert ClosedMonth.objects.exists()

    out = load(reset=True)

    assert "payout runs" in out.splitlines()[0]
    assert {model.__name__: model.objects.count() for model in RUN_TABLES} == dict.fromkeys(
        (model.__name__ for model in RUN_TABLES), 0
    )
    assert not ClosedMonth.objects.exists()
    assert scratch_tables() == 0
    # The month is open again and is paid from scratch, to the same amounts.
    again = pay_the_month(admin_api)
    assert list(PayoutRun.objects.values_list("pk", flat=True)) == [again]
    assert dict(PayeeResult.objects.filter(run_id=again).values_list("payee", "amount_minor")) == paid


def test_reset_deletes_the_demo_works_and_keeps_everyone_elses(api_as: ApiFactory) -> None:
    load()
    demo_track = Track.objects.filter(distributor__isnull=False).first()
    assert demo_track is not None
    demo_work = Work.objects.create(id="wrk-demo", title="Demo song", distributor=demo_track.distributor)
    RecordingLink.objects.create(work=demo_work, track=demo_track, share="1")
    WorkShare.objects.create(work=demo_work, payee_id=demo_track.artist_id, share="1")
    other = api_as(ApiClient.Role.DISTRIBUTOR, distributor="Not the demo")
    other_track = {"isrc": "QZOTH2600001", "title": "Mine", "duration_ms": 200_000,
                   "artist": {"id": "art-other", "name": "Other"}}  # fmt: skip
    assert other.post("/api/v1/catalog/tracks", other_track, format="json").status_code == 200
    mine = {"id": "wrk-other", "title": "Mine", "recordings": [{"isrc": "QZOTH2600001", "share": "1"}],
            "writers": [{"payee": {"id": "wri-other", "kind": "writer", "name": "W"},
                         "share": "1"}]}  # fmt: skip
    assert other.post("/api/v1/catalog/works", mine, format="json").status_code == 200

    out = load(reset=True)

    assert "demo catalog deleted" in out.splitlines()[0]
    # The load after the reset builds the demo's own works again; the one added to the demo
    # catalog went with it, the other distributor's stayed as they were.
    mine_kept = Work.objects.exclude(distributor__name__in=[name for name, *_ in DISTRIBUTORS])
    assert list(mine_kept.values_list("id", flat=True)) == ["wrk-other"]
    assert not Work.objects.filter(id="wrk-demo").exists()
    assert list(WorkShare.objects.filter(work__in=mine_kept).values_list("work_id", "payee_id")) == [
        ("wrk-other", "wri-other")
    ]
    assert list(RecordingLink.objects.filter(work__in=mine_kept).values_list("work_id", "track_id")) == [
        ("wrk-other", "QZOTH2600001")
    ]
