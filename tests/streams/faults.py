"""Helpers of the live-pool fault tests: Redis state snapshots, the sweep, held worker tasks."""

from datetime import date
from typing import Any

import psycopg
from django.conf import settings

from kalipxo.celery import app
from streams.live import store
from streams.tasks import sweep_live_batches

# Money figures and the prices behind them depend on when each listener was last priced
# (streams/live/apply.lua prices lazily), so the same events applied in other batches give
# other, equally valid values within the stated bound: assert_live_matches checks those.
PRICED_HASHES = (":gross", ":amount", ":tgross", ":suspense")
PRICED_FIELDS = ("Q", "R", "F")


def live_state(month: date) -> dict[str, Any]:
    """Every count of a month's live pools (listeners' pools, streams and weights, the
    artists', payees' and tracks' streams and listeners, the month's totals, batch
    markers), without update times, the rebuild flag and the lazily priced money: two runs
    that counted the same events must give equal snapshots."""
    state: dict[str, Any] = {}
    client = store.client()
    for key in store.month_keys(month):
        kind = client.type(key)
        if key.endswith((":rebuilding", *PRICED_HASHES)) or ":fans:" in key:
            continue
        if kind == "hash":
            fields = client.hgetall(key)
            if key.endswith(":totals"):
                fields.pop("updated_at", None)
            for name in PRICED_FIELDS:
                fields.pop(name, None)
            state[key] = fields
        elif kind == "zset":
            state[key] = client.zrange(key, 0, -1, withscores=True)
        else:
            state[key] = client.get(key)
    return state


def send_sweep(broker_url: str) -> None:
    """Send the periodic sweep to the workers of `broker_url`, as beat does (at once, with
    no age limit) and run it there: batches whose messages were lost are enqueued again."""
    with app.connection_for_write(broker_url) as connection:
        app.send_task(sweep_live_batches.name, kwargs={"older_than_seconds": 0}, connection=connection)


def waiting_on(watch: psycopg.Connection[Any], table: str) -> list[int]:
    """Sessions of the test database waiting for a lock in a statement that reads `table`."""
    rows = watch.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND query ILIKE %s AND pid <> pg_backend_pid()",
        [settings.DATABASES["default"]["NAME"], f"%{table}%"],
    ).fetchall()
    return [int(pid) for (pid,) in rows]
