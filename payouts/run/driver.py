"""A run taken as far as it can go in this process, without a broker (`manage.py
payout_run`, tests): the steps the workers run, in the order they send each other.

It begins with what the run waits for (`recovery.run_waits_for`, as recovery does), and
gives each step a `send` that queues the next steps here instead of on the broker, so the
driver runs exactly the sequence the tasks would, and no second copy of it exists.
"""

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError

from payouts.models import PayoutRun
from payouts.run.compute import payout_run_chunk_compute, payout_run_merge, payout_run_settle
from payouts.run.enqueue import CHUNK_COMPUTE, MERGE, REVIEW, SCREEN, SETTLE
from payouts.run.errors import RunProblem
from payouts.run.failure import failure_reason, payout_run_fail
from payouts.run.recovery import run_take_on, run_waits_for
from payouts.run.screen import payout_run_review, payout_run_screen

logger = logging.getLogger(__name__)

Step = tuple[str, tuple[Any, ...]]

STEPS: dict[str, Callable[..., str]] = {
    SCREEN: lambda run_id, send: payout_run_screen(run_id=run_id, send=send),
    CHUNK_COMPUTE: lambda run_id, index, send: payout_run_chunk_compute(
        run_id=run_id, index=index, send=send
    ),
    REVIEW: lambda run_id, send: payout_run_review(run_id=run_id, send=send),
    MERGE: lambda run_id, index, send: payout_run_merge(run_id=run_id, index=index, send=send),
    SETTLE: lambda run_id, send: payout_run_settle(run_id=run_id, send=send),
}


def payout_run_drive(*, run_id: int, on_progress: Callable[[PayoutRun], None] | None = None) -> PayoutRun:
    """Take a run as far as it can go in this process.

    Stops in `review` when listeners are held (decide them, then call again). Failures are
    treated as the workers treat them: a lost database connection leaves the run as it is
    (drive it again to resume), any other error fails the run with its reason.
    """
    try:
        return _drive(run_id=run_id, on_progress=on_progress)
    except (OperationalError, InterfaceError, RunProblem):
        raise
    except Exception as exc:
        logger.exception("payout run %s step failed", run_id)
        payout_run_fail(run_id=run_id, reason=failure_reason(exc))
        return PayoutRun.objects.get(pk=run_id)


def _drive(*, run_id: int, on_progress: Callable[[PayoutRun], None] | None) -> PayoutRun:
    steps: deque[Step] = deque()

    def send(step: str, *args: Any) -> None:
        steps.append((step, args))

    def report() -> PayoutRun:
        run = PayoutRun.objects.get(pk=run_id)
        if on_progress is not None:
            on_progress(run)
        return run

    for waiting in run_waits_for(report(), ready=lambda chunk: True, idle=True):
        run_take_on(waiting, send)
    while steps:
        step, args = steps.popleft()
        STEPS[step](*args, send=send)
        report()
    return report()
