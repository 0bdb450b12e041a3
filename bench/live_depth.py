"""The live pools' apply script at the depth of a real month, on a redis-server of its own.

`python -m bench.live_depth [--quick] [--listeners 10000] [--plays 200] [--steps 0,0.05,0.1]`
starts a private redis-server, prices a mid-month straight into it (10,000 listeners with
200 plays each on average, heavy-tailed; 10,000 Zipf-popular tracks, a third of them split
between the artist and a label), then applies interleaved batches of 1,000 plays of ~1,000
different listeners, as real traffic comes, once per repricing step (LIVE_REPRICE_STEP):
step 0 prices every contribution again on each play (the exact behaviour before lazy
pricing), larger steps price lazily. Reported: plays per second the script absorbs and
Redis CPU per 1,000 plays, beside the same run's bulk pricing of the prefill (a rebuild's
path, the fastest way to price a month). The batches are long enough (15 plays per
listener) to go through the lazy repricing cycles, not only between them.
"""

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import (
    BenchError,
    Headline,
    Result,
    default_output,
    machine_summary,
    private_redis,
    redis_cpu_s,
    source_revision,
    update_doc_section,
)

MONTH = date(2030, 6, 1)
PLAN_UNITS = 12_741_500_000  # 14.99 × 0.85 in 1e-9 units
BATCH = 1_000
EXACT_BATCHES = 30


class Month:
    """A synthetic catalog and audience; plays drawn the same way for the prefill and the batches."""

    def __init__(self, *, listeners: int, tracks: int, plays: int, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.listeners = listeners
        artists = max(1, tracks // 5)
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


def measure(*, listeners: int, plays: int, steps: list[str], batches: int) -> list[dict[str, Any]]:
    with private_redis() as url:
        os.environ["REDIS_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalipxo.settings_test")
        import django

        django.setup()
        from django.conf import settings

        from streams.live import store

        client = store.client()
        rows = []
        for step in steps:
            settings.LIVE_REPRICE_STEP = Decimal(step)
            client.flushdb()
            month = Month(listeners=listeners, tracks=10_000, plays=plays)
            started, cpu = time.monotonic(), redis_cpu_s(url)
            chunk: dict[int, dict[int, int]] = {}
            prefilled = 0
            for listener in range(listeners):
                tracks: dict[int, int] = defaultdict(int)
                for track in month.tracks(month.depth[listener]):
                    tracks[track] += 1
                chunk[listener] = tracks
                prefilled += month.depth[listener]
                if len(chunk) == 100 or listener == listeners - 1:
                    store.apply_update(month=MONTH, payload=month.payload(chunk))
                    chunk = {}
            prefill_s, prefill_cpu = time.monotonic() - started, redis_cpu_s(url) - cpu
            started, cpu = time.monotonic(), redis_cpu_s(url)
            # Exact pricing costs the same on every batch: fewer of them measure it as well.
            runs = min(batches, EXACT_BATCHES) if Decimal(step) == 0 else batches
            for n in range(runs):
                store.apply_update(month=MONTH, payload=month.payload(month.batch()), marker=f"b{n}")
            apply_s, apply_cpu = time.monotonic() - started, redis_cpu_s(url) - cpu
            rows.append(
                {
                    "step": step,
                    "prefill_plays": prefilled,
                    "prefill_rate": prefilled / prefill_s,
                    "prefill_cpu_ms": 1000 * prefill_cpu / (prefilled / 1000),
                    "apply_rate": runs * BATCH / apply_s,
                    "apply_cpu_ms": 1000 * apply_cpu / runs,
                    "memory": client.info("memory")["used_memory_human"],
                }
            )
            print(rows[-1], flush=True)
        return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| repricing step | plays absorbed per second | Redis CPU per 1,000 plays "
        "| baseline: bulk pricing of the prefill | bound on a figure |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        step = Decimal(row["step"])
        bound = "exact" if not step else f"{100 * step / (1 + step):.1f}% of it"
        lines.append(
            f"| {row['step']} | {row['apply_rate']:,.0f}/s | {row['apply_cpu_ms']:,.0f} ms | "
            f"{row['prefill_rate']:,.0f}/s ({row['prefill_cpu_ms']:,.0f} ms per 1,000) | {bound} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listeners", type=int, default=10_000)
    parser.add_argument("--plays", type=int, default=200, help="plays per listener already in the month")
    parser.add_argument("--steps", default="0,0.05,0.1")
    parser.add_argument("--batches", type=int, default=150, help="batches of 1,000 plays applied")
    parser.add_argument("--quick", action="store_true", help="1,000 listeners and 20 batches")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--no-output", action="store_true")
    args = parser.parse_args()
    listeners, batches = (1_000, 20) if args.quick else (args.listeners, args.batches)
    steps = args.steps.split(",")
    try:
        rows = measure(listeners=listeners, plays=args.plays, steps=steps, batches=batches)
    except BenchError as exc:
        print(f"bench.live_depth: {exc}", file=sys.stderr)
        sys.exit(1)
    command = (
        f"python -m bench.live_depth --listeners {listeners} --plays {args.plays} --steps {args.steps} "
        f"--batches {batches}"
    )
    table = _table(rows)
    print(table)
    headlines = [
        Headline(
            measure=f"Live apply at depth {args.plays} plays/listener, step {row['step']}",
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
            f"Command: `{command}`: the apply script alone on a private redis-server, fed from "
            "this process (no HTTP, no database). A listener's plays reprice its contributions "
            "lazily (streams/live/apply.lua); step 0 is the exact pricing of every play.\n\n" + table
        )
        update_doc_section(
            output, name="live-depth", title="Live pools at depth: the apply script", body=body
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
