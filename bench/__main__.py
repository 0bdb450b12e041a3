"""Every benchmark in turn, then one summary table: `python -m bench [--quick] [--output FILE]`.

`make bench` is `python -m bench`: the full size, written to docs/benchmarks.md.
`make bench-quick` is `python -m bench --quick`: the same measurements at a small size,
in about three minutes, written to bench/results/quick.md (git-ignored) so that the documented
full-size figures stay as they are; `--output` picks another file.

Each benchmark runs in its own process (each sets up its own databases and environment),
writes its section of the report and leaves its headline figures, each beside the
baseline it measured, in bench/results/NAME.json. This runner removes those files before
each benchmark, so a figure in the summary always comes from this run, then writes the
Summary section at the top of the report: the machine, the date, the commit, the commands
and one row per headline figure. Exit status: 1 if any benchmark failed.
"""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import (
    ROOT,
    Result,
    bench_database_url,
    default_output,
    machine_summary,
    markdown_table,
    postgres_version,
    redis_version,
    source_revision,
    text_table,
    update_doc_section,
)
from bench.dashboard import REDIS_URL

# (result name, module, options), in the order they run: ingestion first, as it wants Redis
# unused. The live path and the load run twice: mid-month, and at the month's end.
BENCHMARKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ingest", "bench.ingest", ()),
    ("live", "bench.live", ()),
    ("live-end", "bench.live", ("--month-end",)),
    ("live-depth", "bench.live_depth", ()),
    ("payout", "bench.payout_run", ()),
    ("dashboard", "bench.dashboard", ()),
    ("load", "bench.load", ()),
    ("load-end", "bench.load", ("--month-end",)),
)


@dataclass(frozen=True)
class Outcome:
    name: str
    module: str
    status: int
    seconds: float
    result: Result | None

    @property
    def ok(self) -> bool:
        return self.status == 0 and self.result is not None and self.result.ok


def run_one(name: str, module: str, options: Sequence[str], *, quick: bool, output: Path) -> Outcome:
    Result(name=name, command="", headlines=[]).path.unlink(missing_ok=True)
    quick_flag = ["--quick"] if quick else []
    command = [sys.executable, "-m", module, *options, *quick_flag, "--output", str(output)]
    print(f"\n=== {' '.join(command[1:])}", flush=True)
    began = time.monotonic()
    status = subprocess.run(command, cwd=ROOT, check=False).returncode
    seconds = time.monotonic() - began
    print(f"=== {module}: exit {status} after {seconds:.0f} s", flush=True)
    return Outcome(name, module, status, seconds, Result.load(name))


def summary_rows(outcomes: Sequence[Outcome]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("Figure", "Value", "Baseline (same run)", "Against baseline", "Goal")]
    for outcome in outcomes:
        if outcome.result is None or outcome.status:
            rows.append((f"`{outcome.module}`", f"failed (exit {outcome.status})", "", "", ""))
            continue
        suspect = "" if outcome.result.ok else " (the service misbehaved)"
        rows += [
            (h.measure + suspect, h.value, h.baseline, h.versus, h.goal) for h in outcome.result.headlines
        ]
    return rows


def machine_line() -> str:
    maintenance = urlsplit(bench_database_url())._replace(path="/postgres").geturl()
    return (
        f"{machine_summary()}; PostgreSQL {postgres_version(maintenance)} and Redis "
        f"{redis_version(REDIS_URL)} on the same machine"
    )


def summary(outcomes: Sequence[Outcome], *, quick: bool, started: datetime, seconds: float) -> str:
    make = "make bench-quick" if quick else "make bench"
    commands = [o.result.command if o.result else f"python -m {o.module}" for o in outcomes]
    return "\n".join(
        [
            f"Measured {started:%Y-%m-%d %H:%M} UTC at commit {source_revision()} on {machine_line()}; "
            f"load average {os.getloadavg()[0]:.2f} at the end. `{make}` "
            f"(`python -m bench{' --quick' if quick else ''}`) ran, in {seconds / 60:.1f} minutes:",
            "",
            "```sh",
            *commands,
            "```",
            "",
            markdown_table(summary_rows(outcomes)),
            "",
            "Every figure is printed beside a baseline measured in the same run, on the same machine; "
            "the sections below give each benchmark's method and full figures."
            + (
                ""
                if quick
                else " `make bench-quick` measures the same at a small size in about three minutes and "
                "writes to bench/results/quick.md, leaving this file as it is."
            ),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark at its quick size")
    parser.add_argument(
        "--output", type=Path, help="default docs/benchmarks.md; with --quick bench/results/quick.md"
    )
    args = parser.parse_args(argv)
    output: Path = args.output or default_output(args.quick)
    started, began = datetime.now(UTC), time.monotonic()
    outcomes = [
        run_one(name, module, options, quick=args.quick, output=output)
        for name, module, options in BENCHMARKS
    ]
    body = summary(outcomes, quick=args.quick, started=started, seconds=time.monotonic() - began)
    update_doc_section(output, name="summary", title="Summary", body=body, first=True)
    print("\n" + text_table([tuple(c.replace("`", "") for c in row) for row in summary_rows(outcomes)]))
    print(f"\nWrote the summary to {output}")
    failed = [o.module for o in outcomes if not o.ok]
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
