"""The data cut a run computes from: the events and revenue that belong to it."""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

logger = logging.getLogger(__name__)

CUT_WAIT_SECONDS = 30.0

# The writers of our database at a moment: each session holding a transaction id, as
# "pid:xid". A pair that is gone later means that transaction ended. (A snapshot's list of
# running transactions would not do: it leaves out those newer than the last one to end.)
_WRITERS_SQL = """
SELECT clock_timestamp(), array(
    SELECT pid::text || ':' || backend_xid::text FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()
)
"""
_STILL_WRITING_SQL = """
SELECT count(*) FROM pg_stat_activity WHERE pid::text || ':' || backend_xid::text = ANY(%s)
"""


@dataclass(frozen=True)
class DataCut:
    """Events up to `event_id` and revenue recorded up to `revenue_at` belong to the run."""

    event_id: int
    revenue_at: datetime


def data_cut() -> DataCut:
    """Take the cut, and on PostgreSQL wait until nothing below it can still appear.

    An event's id is drawn when it is inserted, so a transaction still open when we read
    max(id) may commit an id below it later; revenue `created_at` is its transaction's
    start. Both are settled by waiting for the transactions in progress right after the
    read: afterwards every row under the cut is committed (or gone) and every later
    transaction lands above it. Must be called outside a transaction. If something holds
    a transaction open for longer than CUT_WAIT_SECONDS, the run goes on and says so in
    the log.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM streams_streamevent")
        event_id = int(cursor.fetchone()[0] or 0)
        now = datetime.now(UTC)
        if connection.vendor != "postgresql":
            return DataCut(event_id=event_id, revenue_at=now)
        cursor.execute(_WRITERS_SQL)
        revenue_at, writers = cursor.fetchone()
        deadline = time.monotonic() + CUT_WAIT_SECONDS
        while writers:
            # Statistics views are read once per transaction unless told to read again.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(_STILL_WRITING_SQL, [writers])
            if not cursor.fetchone()[0]:
                break
            if time.monotonic() > deadline:
                logger.warning("data cut: transactions still open after %ss; going on", CUT_WAIT_SECONDS)
                break
            time.sleep(0.05)
    return DataCut(event_id=event_id, revenue_at=revenue_at)
