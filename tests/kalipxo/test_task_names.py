"""Tasks are sent by name: every name the code sends, the beat schedule names, or an earlier
deployment may have queued must be registered, and a former name must run what its new name
runs."""

import pytest
from django.conf import settings

from kalipxo.celery import app
from payouts.run import enqueue
from streams.live import dispatch

FORMER = {
    "payouts.screen_run": "payouts.payout_run_screen",
    "payouts.compute_run_chunk": "payouts.payout_run_chunk_compute",
    "payouts.review_run": "payouts.payout_run_review",
    "payouts.settle_run_part": "payouts.payout_run_merge",
    "payouts.settle_run": "payouts.payout_run_settle",
    "payouts.resume_runs": "payouts.payout_runs_resume",
    "payouts.open_last_month_run": "payouts.payout_run_scheduled_open",
    "streams.apply_live_batch": "streams.batch_apply",
    "streams.apply_live_revenue": "streams.revenue_apply",
    "streams.sweep_live_batches": "streams.batches_sweep",
    "streams.rebuild_live_month": "streams.rebuild_month",
    "streams.reconcile_live_pools": "streams.current_month_reconcile",
}


@pytest.fixture(scope="module")
def registered() -> dict:
    app.loader.import_default_modules()
    return dict(app.tasks)


def test_every_name_sent_or_scheduled_is_a_task(registered: dict) -> None:
    sent = [enqueue.SCREEN, enqueue.CHUNK_COMPUTE, enqueue.REVIEW, enqueue.MERGE, enqueue.SETTLE]
    sent += [dispatch.BATCH_APPLY, dispatch.REVENUE_APPLY]
    scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    missing = [name for name in [*sent, *scheduled] if name not in registered]
    assert not missing


@pytest.mark.parametrize(("former", "current"), sorted(FORMER.items()))
def test_a_former_task_name_runs_what_its_new_name_runs(registered: dict, former: str, current: str) -> None:
    old, new = registered[former], registered[current]
    # A bound task's __wrapped__ is bound to the task: compare the functions underneath.
    assert getattr(old.__wrapped__, "__func__", old.__wrapped__) is getattr(
        new.__wrapped__, "__func__", new.__wrapped__
    )
    assert (old.queue, old.acks_late, old.max_retries) == (new.queue, new.acks_late, new.max_retries)
