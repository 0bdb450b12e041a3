"""The live pools' apply script at the depth of a real month, on a redis-server of its own.

`python -m bench.live_depth [--quick] [--listeners 10000] [--plays 200,1000] [--batches 150]`
starts a private redis-server, loads a month straight into it (10,000 listeners with 200
plays each on average, then 1,000 for a month's end, heavy-tailed; 10,000 Zipf-popular
tracks, a third of them split between the artist and a label), then applies interleaved
batches of 1,000 plays of ~1,000 different listeners, as real traffic comes. Reported:
plays per second the script absorbs and Redis CPU per 1,000 plays, beside the same run's
bulk load of the prefill (a rebuild's path, the fastest way to fill a month), and what
reading an artist's money costs, since it is computed at read from the artist's listeners.
"""

import argparse
import functools
import os
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    Headline,
    Result,
    default_output,
    machine_summary,
    source_revision,
    update_doc_section,
)

MONTH = date(2030, 6, 1)
PLAN_UNITS = 12_741_500_000  # 14.99 × 0.85 in 1e-9 units
BATCH = 1_000
EXACT_BATCHES = 30


class Servers:
    """A private redis-server, or a Redis Cluster of `nodes` of them, stopped by PID."""

    def __init__(self, nodes: int) -> None:
        import redis

        from tests.servers import RedisClusterNodes, RedisServer

        self.cluster = RedisClusterNodes(nodes).start() if nodes > 1 else None
        self.single = None if self.cluster else RedisServer().start()
        ports = [n.port for n in self.cluster.nodes] if self.cluster else [self.single.port]  # type: ignore[union-attr]
        self.url = f"redis://127.0.0.1:{ports[0]}/0"
        self.clients = [redis.Redis(port=port) for port in ports]

    def cpu(self) -> float:
        """Seconds of CPU the servers used so far, all nodes together."""
        total = 0.0
        for client in self.clients:
            info = client.info("cpu")
            total += float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
        return total

    def flush(self) -> None:
        for client in self.clients:
            client.flushall()

    def memory(self) -> int:
        return sum(int(client.info("memory")["used_memory"]) for client in self.clients)

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()
        if self.single:
            self.single.kill()


class Month:
    """A synthetic catalog and audience; plays drawn the same way for the prefill and the batches."""

    def __init__(self, *, listeners: int, tracks: int, plays: int, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.listeners = listeners
        artists = self.artists = max(1, tracks // 5)
        self.targets: list[dict[str, int]] = []
        for t in range(tracks):
            artist = f"a{t % artists}"
            if t % 3 == 0:
                self.targets.append(
                    {f"a:{artist}": 1, f"t:T{t}": 1, f"p:{artist}": 700_000, f"p:lbl{t % 50}": 300_000}
                )
            else:
                self.targets.append({f"b:{artist}": 1, f"t:T{t}": 1})
        self.track_weights = [1 / (i + 1) for i in range(tracks)]  # Zipf popularity
        self.listener_weights = [1 / (i + 1) ** 0.6 for i in range(listeners)]  # heavy-tailed listening
        scale = plays * listeners / sum(self.listener_weights)
        self.depth = [max(1, int(w * scale)) for w in self.listener_weights]

    def tracks(self, count: int) -> list[int]:
        return self.random.choices(range(len(self.targets)), weights=self.track_weights, k=count)

    def payload(self, plays: dict[int, dict[int, int]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for listener, tracks in plays.items():
            weights: dict[str, int] = defaultdict(int)
            for track, count in tracks.items():
                for target, weight in self.targets[track].items():
                    weights[target] += weight * count
            out[f"L{listener}"] = {"plan": PLAN_UNITS, "n": sum(tracks.values()), "w": dict(weights)}
        return out

    def batch(self) -> dict[int, dict[int, int]]:
        listeners = self.random.choices(range(self.listeners), weights=self.listener_weights, k=BATCH)
        plays: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for listener, track in zip(listeners, self.tracks(BATCH), strict=True):
            plays[listener][track] += 1
        return plays


def _read_ms(call: Any, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return 1000 * best


def measure(*, listeners: int, depths: list[int], batches: int, nodes: int) -> list[dict[str, Any]]:
    servers = Servers(nodes)
    try:
        url = servers.url
        os.environ["REDIS_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalipxo.settings_test")
        import django

        django.setup()
        from django.conf import settings

        from streams.live import pricing, store

        settings.LIVE_REDIS_URL = url
        settings.LIVE_REDIS_CLUSTER = nodes > 1
        settings.LIVE_READ_CACHE_SECONDS = 0  # every read computes
        rows = []
        for plays in depths:
            servers.flush()
            store.reset_client()
            month = Month(listeners=listeners, tracks=10_000, plays=plays)
            started, cpu = time.monotonic(), servers.cpu()
            chunk: dict[int, dict[int, int]] = {}
            prefilled = 0
            for listener in range(listeners):
                tracks: dict[int, int] = defaultdict(int)
                for track in month.tracks(month.depth[listener]):
                    tracks[track] += 1
                chunk[listener] = tracks
                prefilled += month.depth[listener]
                # Updates of ~200,000 plays: each script call stays well under a second.
                if len(chunk) >= max(10, 200_000 // plays) or listener == listeners - 1:
                    store.apply_update(month=MONTH, payload=month.payload(chunk))
                    chunk = {}
            prefill_s, prefill_cpu = time.monotonic() - started, servers.cpu() - cpu
            started, cpu = time.monotonic(), servers.cpu()
            for n in range(batches):
                store.apply_update(month=MONTH, payload=month.payload(month.batch()), marker=f"b{n}")
            apply_s, apply_cpu = time.monotonic() - started, servers.cpu() - cpu
            top_fans = functools.partial(pricing.artist_money, month=MONTH, artist_id="a0", fans=10)
            top_isrcs = [f"T{t}" for t in range(0, 10_000, month.artists)]  # the top artist's tracks
            top_tracks = functools.partial(pricing.read_tracks, month=MONTH, isrcs=top_isrcs)
            rows.append(
                {
                    "plays": plays,
                    "prefill_plays": prefilled,
                    "prefill_rate": prefilled / prefill_s,
                    "prefill_cpu_ms": 1000 * prefill_cpu / (prefilled / 1000),
                    "apply_rate": batches * BATCH / apply_s,
                    "apply_cpu_ms": 1000 * apply_cpu / batches,
                    "top_listeners": pricing.artist_money(month=MONTH, artist_id="a0").listeners,
                    "top_read_ms": _read_ms(lambda: pricing.read_artist(month=MONTH, artist_id="a0")),
                    "top_fans_ms": _read_ms(top_fans),
                    "mid_read_ms": _read_ms(lambda: pricing.read_artist(month=MONTH, artist_id="a500")),
                    "tracks_read_ms": _read_ms(top_tracks),
                    "nodes": nodes,
                    "memory": f"{servers.memory() / 2**20:,.0f} MiB",
                }
            )
            print(rows[-1], flush=True)
        return rows
    finally:
        servers.stop()


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Redis nodes | plays per listener | plays absorbed per second | Redis CPU per 1,000 plays "
        "| baseline: bulk load of the prefill | top artist read (listeners) | its top fans "
        "| artist #500 read | top artist's tracks read | memory |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['nodes']} | {row['plays']} | {row['apply_rate']:,.0f}/s | "
            f"{row['apply_cpu_ms']:,.0f} ms | "
            f"{row['prefill_rate']:,.0f}/s ({row['prefill_cpu_ms']:,.0f} ms per 1,000) | "
            f"{row['top_read_ms']:.1f} ms ({row['top_listeners']:,}) | {row['top_fans_ms']:.1f} ms | "
            f"{row['mid_read_ms']:.1f} ms | "
            f"{row['tracks_read_ms']:.1f} ms | {row['memory']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listeners", type=int, default=10_000)
    parser.add_argument(
        "--plays", default="200,1000", help="plays per listener already in the month (mid-month, month end)"
    )
    parser.add_argument("--batches", type=int, default=150, help="batches of 1,000 plays applied")
    parser.add_argument("--nodes", default="1,3", help="redis-servers: 1 alone, more as a Redis Cluster")
    parser.add_argument("--quick", action="store_true", help="1,000 listeners and 20 batches")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--no-output", action="store_true")
    args = parser.parse_args()
    listeners, batches = (1_000, 20) if args.quick else (args.listeners, args.batches)
    depths = [int(n) for n in args.plays.split(",")]
    rows = [
        row
        for nodes in (int(n) for n in args.nodes.split(","))
        for row in measure(listeners=listeners, depths=depths, batches=batches, nodes=nodes)
    ]
    command = (
        f"python -m bench.live_depth --listeners {listeners} --plays {args.plays} --batches {batches} "
        f"--nodes {args.nodes}"
    )
    table = _table(rows)
    print(table)
    headlines = [
        Headline(
            measure=f"Live apply script at depth {row['plays']} plays/listener, {row['nodes']} Redis node(s)",
            value=f"{row['apply_rate']:,.0f} plays/s",
            baseline=f"bulk pricing {row['prefill_rate']:,.0f} plays/s",
            versus=f"{row['apply_rate'] / row['prefill_rate']:.2f}x",
        )
        for row in rows
    ]
    Result(name="live-depth", command=command, headlines=headlines).save()
    output = None if args.no_output else args.output or default_output(args.quick)
    if output is not None:
        body = (
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {source_revision()} on "
            f"{machine_summary()}.\n"
            f"Command: `{command}`: the apply script alone on private redis-servers (one, then a "
            "Redis Cluster of three on the same two cores), fed from "
            "this process (no HTTP, no database). Writes only count (streams/live/apply.lua); "
            "money is computed at read from the artist's listeners over the 16 shards "
            "(streams/live/artist.lua), so a read costs as many listeners as the artist has.\n\n" + table
        )
        update_doc_section(
            output, name="live-depth", title="Live pools at depth: the apply script", body=body
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
