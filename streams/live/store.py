"""The live per-listener pools in Redis: one month's state under `kx:live:YYYY-MM:*`.

The state is split by listener over `SHARDS` virtual shards, each with a hash tag of its
own (`kx:live:YYYY-MM:{tag}:*`), so everything one listener's play touches sits in one
Redis Cluster slot and one script call. Writes go through `apply.lua`, one call per shard
per batch, each exactly once (a batch marker per shard). They only count: money is
computed when it is read, from the listeners of what is read (`artist.lua`, `tracks.lua`),
and summed over the shards. Amounts are integers in units of 1e-9 of the settlement
currency; PostgreSQL stays the truth, and a rebuild recreates a month from it.

`LIVE_REDIS_URL` (default `REDIS_URL`) names the Redis; with `LIVE_REDIS_CLUSTER` it is a
Redis Cluster, reached with redis-py's cluster client.
"""

import functools
import hashlib
import secrets
import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import redis
from django.conf import settings
from redis.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import NoScriptError, RedisClusterException, RedisError, ResponseError

UNITS = 10**9  # live amounts are integers of 1e-9 currency units
SHARE_SCALE = 10**6  # split shares have at most 6 decimal places
SHARDS = 16  # fixed: a listener's shard must not change while its month is live
# What a Redis (or Redis Cluster) failure raises; callers retry on these.
ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException)

_HERE = Path(__file__).parent
_APPLY = (_HERE / "apply.lua").read_text()


def _balanced_tag(shard: int) -> str:
    """The first tag `<shard>.<k>` whose slot lies in the shard's 1/SHARDS of the slot range,
    so the shards spread evenly over any cluster that splits its slots evenly."""
    low, high = shard * 16384 // SHARDS, (shard + 1) * 16384 // SHARDS
    k = 0
    while not low <= key_slot(f"{shard}.{k}".encode()) < high:
        k += 1
    return f"{shard}.{k}"


TAGS = tuple(_balanced_tag(shard) for shard in range(SHARDS))


def prefix(month: date) -> str:
    return f"kx:live:{month:%Y-%m}"


def shard_prefix(month: date, shard: int) -> str:
    return f"{prefix(month)}:{{{TAGS[shard]}}}"


def shard_of(listener: str) -> int:
    return zlib.crc32(listener.encode()) % SHARDS


Client = redis.Redis | RedisCluster


@functools.cache
def client() -> Client:
    """A shared client; fails fast so a Redis outage never stalls an API request."""
    options: dict[str, Any] = {
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
        "decode_responses": True,
    }
    if settings.LIVE_REDIS_CLUSTER:
        return RedisCluster.from_url(settings.LIVE_REDIS_URL, **options)
    return redis.Redis.from_url(settings.LIVE_REDIS_URL, health_check_interval=30, **options)


def reset_client() -> None:
    """Forget the client (after LIVE_REDIS_URL changed)."""
    client.cache_clear()


def _by_node(keys: Sequence[str]) -> list[tuple[redis.Redis, list[int]]]:
    """The calls' positions grouped by the Redis that holds their key (one on a single Redis)."""
    live = client()
    if not isinstance(live, RedisCluster):
        return [(live, list(range(len(keys))))]
    groups: dict[str, tuple[redis.Redis, list[int]]] = {}
    for index, key in enumerate(keys):
        node = live.get_node_from_key(key)
        groups.setdefault(node.name, (node.redis_connection, []))[1].append(index)
    return list(groups.values())


def run_scripts(script: str, calls: Sequence[tuple[str, Sequence[str | bytes]]]) -> list[Any]:
    """Run `script` once per (key, args), one pipeline per Redis node; answers in order.

    A call that did not run is sent again alone: to a Redis that restarted and forgot the
    script, once it is loaded; to the cluster client when its slot moved (it follows).
    Anything else raises, as a call that ran must not run twice.
    """
    sha = hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1
    answers: list[Any] = [None] * len(calls)

    def run(node: redis.Redis, positions: list[int]) -> None:
        pipe = node.pipeline(transaction=False)
        for index in positions:
            key, args = calls[index]
            pipe.evalsha(sha, 1, key, *args)
        for index, result in zip(positions, pipe.execute(raise_on_error=False), strict=True):
            key, args = calls[index]
            if isinstance(result, NoScriptError):
                node.script_load(script)
                result = node.evalsha(sha, 1, key, *args)
            elif isinstance(result, ResponseError) and str(result).startswith(("MOVED", "ASK")):
                result = client().eval(script, 1, key, *args)
            elif isinstance(result, Exception):
                raise result
            answers[index] = result

    groups = _by_node([key for key, _ in calls])
    if len(groups) == 1:
        run(*groups[0])
    else:  # the nodes work at once (a pool per call: a worker process may have forked)
        with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="live-redis") as pool:
            for done in [pool.submit(run, node, positions) for node, positions in groups]:
                done.result()
    return answers


def to_units(amount: Decimal) -> int:
    """An exact pool (net × rights share) in 1e-9 units; exact for up to 9 decimal places."""
    return int(amount * UNITS)


# Target kinds whose plays are also counted per id for the whole month: per artist (`b:`,
# `a:`), per unmatched ISRC (`s:`), per catalog track (`t:`), in these hashes.
_COUNTED = {"b": ":streams", "a": ":streams", "s": ":sstreams", "t": ":tstreams"}


def _records(payload: dict[str, dict[str, Any]]) -> tuple[list[bytes], bytes]:
    """The apply script's listener records, per shard, as one flat JSON array each; and the
    update's plays per artist and per ISRC summed over all its listeners, flat too."""
    shards: list[list[Any]] = [[] for _ in range(SHARDS)]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for listener, entry in payload.items():
        weights = entry.get("w") or {}
        rev = entry.get("rev")
        record = shards[shard_of(listener)]
        record += [listener, entry.get("n", 0), entry.get("plan", 0), False if rev is None else rev]
        record.append(len(weights))
        for target, weight in weights.items():
            record += [target, weight]
            if (counted := _COUNTED.get(target[0])) is not None:
                counts[(counted, target[2:])] += weight
    flat: list[Any] = []
    for (suffix, id_), plays in counts.items():
        flat += [suffix, id_, plays]
    return [orjson.dumps(records) for records in shards], orjson.dumps(flat)


def apply_update(
    *,
    month: date,
    payload: dict[str, dict[str, Any]],
    marker: str = "",
    rebuild: str = "",
    existing: bool = False,
) -> str:
    """Apply an update of these listeners (per listener: `n` streams to add, `w` target
    weights to add, `plan` pool, `rev` recorded-revenue pool) to every shard of the month.

    The plays per artist and per ISRC go, summed over the whole update, to one shard (by
    the marker, so a repeated update picks the same one), where its script adds them with
    its listeners, under the same marker: a read sums those counts over the shards anyway,
    and summed once they cost Redis half the commands they cost per shard.

    Returns 'ok', 'dup' (every shard saw the marker before), 'busy' (rebuilding: retry; the
    shards that applied will say 'dup') or 'lost': a shard is gone although `existing` says
    the month was written before, or the rebuild whose token is `rebuild` no longer holds
    its flag (Redis restarted or was flushed, the flag expired). Every shard is written
    (an empty part too), so a month that exists has all of them.
    """
    now = datetime.now(UTC).isoformat()
    head: list[str | bytes] = [marker, now, rebuild, "existing" if existing else ""]
    records, counts = _records(payload)
    counted = zlib.crc32((marker or now).encode()) % SHARDS
    calls: list[tuple[str, Sequence[str | bytes]]] = [
        (
            f"{shard_prefix(month, shard)}:totals",
            [shard_prefix(month, shard), *head, part, counts if shard == counted else b"[]"],
        )
        for shard, part in enumerate(records)
    ]
    statuses = set(run_scripts(_APPLY, calls))
    for status in ("lost", "busy", "ok"):
        if status in statuses:
            return status
    return "dup"


def month_keys(month: date) -> Iterator[str]:
    yield from client().scan_iter(match=prefix(month) + ":*", count=5000)


_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def rebuild_flags(month: date) -> list[str]:
    """The month's rebuild flag, then each shard's copy of it."""
    shards = [f"{shard_prefix(month, shard)}:rebuilding" for shard in range(SHARDS)]
    return [prefix(month) + ":rebuilding", *shards]


def take_rebuild_flag(month: date) -> str | None:
    """The month's rebuild flag, as a token only its holder knows; None if another holds it.

    The month's own flag makes one rebuild at a time; each shard carries the token too, for
    its apply script to check atomically with a write.
    """
    token = secrets.token_hex(8)
    # Expires by itself, so a crashed rebuild cannot freeze the month's estimates.
    if not client().set(prefix(month) + ":rebuilding", token, ex=3600, nx=True):
        return None
    pipe = client().pipeline(transaction=False)
    for flag in rebuild_flags(month)[1:]:
        pipe.set(flag, token, ex=3600)
    pipe.execute()
    return token


def release_rebuild_flag(month: date, token: str) -> None:
    """Release the flag if this token still holds it (it may have expired and gone to another)."""
    for flag in reversed(rebuild_flags(month)):  # the month's own last: it admits the next rebuild
        client().eval(_RELEASE, 1, flag, token)


_REVENUE_SWEPT = "kx:live:revenue-swept-until"


def revenue_swept_until() -> datetime | None:
    """Up to when the sweep has re-applied recorded revenue (None: never, or Redis restarted)."""
    value = client().get(_REVENUE_SWEPT)
    return datetime.fromisoformat(str(value)) if value else None


def set_revenue_swept_until(moment: datetime) -> None:
    client().set(_REVENUE_SWEPT, moment.isoformat())


def rebuilding(month: date) -> bool:
    return bool(client().exists(prefix(month) + ":rebuilding"))


def month_exists(month: date) -> bool:
    """Whether Redis holds the month's state, every shard of it (it may have restarted
    empty, or one node of a cluster may have)."""
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        pipe.exists(f"{shard_prefix(month, shard)}:totals")
    return all(pipe.execute())


def clear_month(month: date) -> None:
    """Delete a month's live state, except the rebuild flags that guard the operation."""
    batch: list[str] = []
    for key in month_keys(month):
        if not key.endswith(":rebuilding"):
            batch.append(key)
        if len(batch) >= 5000:
            client().unlink(*batch)
            batch = []
    if batch:
        client().unlink(*batch)


def mark_batches(month: date, batch_ids: list[str]) -> None:
    """Record batches as already included (used by a rebuild, which read them from the truth)."""
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        for batch_id in batch_ids:
            pipe.set(f"{shard_prefix(month, shard)}:b:{batch_id}", "1", ex=3_456_000)
    pipe.execute()


def _summed(month: date, reads: Sequence[tuple[str, Sequence[str]]]) -> list[list[int]]:
    """(hash suffix, fields) read from every shard and summed per field."""
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        base = shard_prefix(month, shard)
        for suffix, fields in reads:
            pipe.hmget(base + suffix, list(fields))
    results = pipe.execute()
    sums = [[0] * len(fields) for _, fields in reads]
    for index, values in enumerate(results):
        column = sums[index % len(reads)]
        for position, value in enumerate(values):
            if value is not None:
                column[position] += int(value)
    return sums


@dataclass(frozen=True)
class MonthTotals:
    pools: int
    streams: int
    unallocated: int
    updated_at: datetime | None


def read_totals(month: date) -> MonthTotals:
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        pipe.hmget(f"{shard_prefix(month, shard)}:totals", ["pools", "streams", "unallocated", "updated_at"])
    pools = streams = unallocated = 0
    updated: list[str] = []
    for values in pipe.execute():
        pools += int(values[0] or 0)
        streams += int(values[1] or 0)
        unallocated += int(values[2] or 0)
        if values[3]:
            updated.append(values[3])
    return MonthTotals(pools, streams, unallocated, datetime.fromisoformat(max(updated)) if updated else None)


def read_artist_streams(*, month: date, artist_id: str) -> int:
    """The artist's qualifying streams this month (its own tracks, however split)."""
    ((streams,),) = _summed(month, [(":streams", [artist_id])])
    return streams


def read_track_counts(*, month: date, isrcs: list[str]) -> dict[str, tuple[int, int]]:
    """(streams, listeners) of these tracks, without their money (cheap)."""
    if not isrcs:
        return {}
    (streams,) = _summed(month, [(":tstreams", isrcs)])
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        for isrc in isrcs:
            pipe.hlen(f"{shard_prefix(month, shard)}:tl:{isrc}")
    listeners = [0] * len(isrcs)
    for index, count in enumerate(pipe.execute()):
        listeners[index % len(isrcs)] += int(count)
    return {isrc: (streams[i], listeners[i]) for i, isrc in enumerate(isrcs)}


def _all_fields(month: date, suffix: str) -> dict[str, int]:
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        pipe.hgetall(shard_prefix(month, shard) + suffix)
    summed: dict[str, int] = defaultdict(int)
    for fields in pipe.execute():
        for name, value in fields.items():
            summed[name] += int(value)
    return {name: value for name, value in summed.items() if value}


@dataclass(frozen=True)
class LivePlays:
    """The month's qualifying plays per artist and per unmatched ISRC, and its pools (units)."""

    by_artist: dict[str, int]
    unmatched: dict[str, int]
    pools: int


def read_month_plays(month: date) -> LivePlays:
    return LivePlays(
        by_artist=_all_fields(month, ":streams"),
        unmatched=_all_fields(month, ":sstreams"),
        pools=read_totals(month).pools,
    )


def batch_seen(month: date, batch_id: str) -> list[int]:
    """The shards that hold the batch's marker (for checks and tests)."""
    pipe = client().pipeline(transaction=False)
    for shard in range(SHARDS):
        pipe.exists(f"{shard_prefix(month, shard)}:b:{batch_id}")
    return [shard for shard, seen in enumerate(pipe.execute()) if seen]
