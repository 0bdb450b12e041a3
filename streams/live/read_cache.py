"""Live figures that are costly to compute, shared by every process through Redis.

An artist's live money is computed from its listeners when it is read (streams/live/
pricing.py), so an artist with many listeners costs a read of each. Such a figure is kept in
Redis under the month's keys (so clearing or rebuilding the month drops it) and served to
every reader. Once it is older than LIVE_READ_CACHE_SECONDS (or ten times what computing it
took, whichever is longer) the next reader still gets it at once, and starts one
computation in the background (a lock in Redis makes it one across
processes), so that no request waits for a big artist's figures after the first. A figure
nobody asked for in LIVE_READ_CACHE_KEEP_SECONDS is dropped; the next read computes it.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings

from streams.live import store

logger = logging.getLogger(__name__)
REFRESH_LOCK_MS = 30_000  # longer than any computation; a crashed one frees it by itself


REFRESH_SHARE = 10  # a figure is computed again no sooner than ten times what it took


def _timed(compute: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    return compute(), time.perf_counter() - started


def _store(key: str, value: Any, took: float) -> None:
    keep_ms = int(settings.LIVE_READ_CACHE_KEEP_SECONDS * 1000)
    store.client().set(key, orjson.dumps({"at": time.time(), "took": took, "value": value}), px=keep_ms)


def _refresh(key: str, compute: Callable[[], Any]) -> None:
    try:
        _store(key, *_timed(compute))
    except Exception:  # a background thread has nobody to raise to: say it, the next read retries
        logger.exception("live figures %s could not be refreshed", key)
    finally:
        store.client().delete(key + ":refreshing")


def shared(key: str, compute: Callable[[], Any], *, worth_keeping: Callable[[Any], bool]) -> Any:
    """`compute()`'s JSON-able value, kept under `key` when `worth_keeping(value)`."""
    if settings.LIVE_READ_CACHE_SECONDS <= 0:
        return compute()
    kept = store.client().get(key)
    if kept:
        entry = orjson.loads(kept)
        # The biggest artists cost the most: refreshing each at most a tenth of the time
        # keeps a few watched ones from filling Redis with their own computations.
        stale = time.time() - entry["at"] > max(
            settings.LIVE_READ_CACHE_SECONDS, REFRESH_SHARE * entry["took"]
        )
        if stale and store.client().set(key + ":refreshing", "1", nx=True, px=REFRESH_LOCK_MS):
            threading.Thread(target=_refresh, args=(key, compute), daemon=True).start()
        return entry["value"]
    value, took = _timed(compute)
    if worth_keeping(value):
        _store(key, value, took)
    return value
