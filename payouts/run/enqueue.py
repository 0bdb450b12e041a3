"""A run's next step, sent by its task's stable name once the caller's transaction commits.

A step function takes `send`: `enqueue` hands the step to the workers; the in-process
driver (`payouts.run.driver`) passes its own, which collects the steps and runs them in
order; `discard` leaves the run where it is, for a caller that drives it otherwise.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from kalipxo.enqueue import task_send

logger = logging.getLogger(__name__)

# The steps' task names (payouts.run.tasks), stable across deployments.
SCREEN = "payouts.payout_run_screen"
CHUNK_COMPUTE = "payouts.payout_run_chunk_compute"
REVIEW = "payouts.payout_run_review"
MERGE = "payouts.payout_run_merge"
SETTLE = "payouts.payout_run_settle"

Send = Callable[..., None]  # send(step name, *its arguments after run_id included)


def enqueue(step: str, *args: Any) -> None:
    """Send after commit; a broker outage is logged, not raised, because the state is in
    the database and recovery (`payouts.payout_runs_resume`, beat) sends it again."""

    def send() -> None:
        try:
            task_send(step, *args)
        except (KombuError, RedisError, OSError):
            logger.warning(
                "could not enqueue %s%s; payouts.payout_runs_resume will send it again", step, args
            )

    transaction.on_commit(send)


def discard(step: str, *args: Any) -> None:
    """Send nothing: the caller takes the run on itself (or leaves it)."""


def sender(*, dispatch: bool) -> Send:
    return enqueue if dispatch else discard
