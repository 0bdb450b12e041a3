"""Helpers of the live-pool fault tests: Redis state snapshots, the sweep, held worker tasks."""

from datetime import date
from typing import Any

import psycopg
from django.conf import settings

from kalipxo.celery import app
from streams.live import store
from streams.tasks import batches_sweep


def live_state(month: date) -> dict[str, Any]:
    """Every key of a month's live pools (listeners' pools and streams, the artists', payees'
    and tracks' listeners and streams, the month's totals, batch markers), without update
    times, rebuild flags and cached reads: two runs that counted the same events must give equal
    snapshots (the live state holds counts only; money is computed when it is read).

    The month's plays per artist and per ISRC are summed over the shards, as every read sums
    them: an update adds them to one shard of its choosing (store.apply_update)."""
    state: dict[str, Any] = {}
    client = store.client()
    summed = {suffix: f"{store.prefix(month)}:*{suffix}" for suffix in (":streams", ":tstreams", ":sstreams")}
    for key in store.month_keys(month):
        kind = client.type(key)
        if key.endswith(":rebuilding") or ":cache:" in key:
            continue
        if kind == "hash" and (suffix := next((s for s in summed if key.endswith("}" + s)), None)):
            into = state.setdefault(summed[suffix], {})
            for field, value in client.hgetall(key).items():
                into[field] = into.get(field, 0) + int(value)
        elif kind == "hash":
            fields = client.hgetall(key)
            if key.endswith(":totals"):
                fields.pop("updated_at", None)
            state[key] = fields
        elif kind == "set":
            state[key] = sorted(client.smembers(key))
        else:
            state[key] = client.get(key)
    return state


def send_sweep(broker_url: str) -> None:
    """Send the periodic sweep to the workers of `broker_url`, as beat does (at once, with
    no age limit) and run it there: batches whose messages were lost are enqueued again."""
    with app.connection_for_write(broker_url) as connection:
        app.send_task(batches_sweep.name, kwargs={"older_than_seconds": 0}, connection=connection)


def waiting_on(watch: psycopg.Connection[Any], table: str) -> list[int]:
    """Sessions of the test database waiting for a lock in a statement that reads `table`."""
    rows = watch.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND query ILIKE %s AND pid <> pg_backend_pid()",
        [settings.DATABASES["default"]["NAME"], f"%{table}%"],
    ).fetchall()
    return [int(pid) for (pid,) in rows]
