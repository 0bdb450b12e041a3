"""Handing committed work to the live-pool workers without ever failing the request.

If the broker is unreachable the work is not lost: the batch row stays unapplied in
PostgreSQL and the periodic sweep enqueues it once Redis is back.
"""

import logging
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from kalipxo.enqueue import task_send

logger = logging.getLogger(__name__)
REVENUE_CHUNK = 1000  # listener ids per revenue task, to keep task payloads small

# The tasks' stable names (streams.tasks); sent by name, so the live code below the tasks
# never imports them.
BATCH_APPLY = "streams.batch_apply"
REVENUE_APPLY = "streams.revenue_apply"


def live_enabled() -> bool:
    """Live pools live in Redis; without it, estimates are computed from the database."""
    return bool(settings.REDIS_URL and settings.LIVE_REDIS_URL)


def batch_committed(batch_id: str) -> None:
    if not live_enabled():
        return
    try:
        task_send(BATCH_APPLY, batch_id)
    except (KombuError, RedisError, OSError):
        logger.warning("could not enqueue live update for batch %s; the sweep will retry", batch_id)


def revenue_committed(month: date, listeners: Iterable[str]) -> bool:
    """Enqueue the pools' update; False if the broker refused (the revenue sweep retries)."""
    if not live_enabled():
        return True
    ids = sorted(set(listeners))
    for first in range(0, len(ids), REVENUE_CHUNK):
        try:
            task_send(REVENUE_APPLY, f"{month:%Y-%m}", ids[first : first + REVENUE_CHUNK])
        except (KombuError, RedisError, OSError):
            logger.warning("could not enqueue live revenue update for %s; the sweep will retry", month)
            return False
    return True
