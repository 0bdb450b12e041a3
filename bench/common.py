"""Shared benchmark plumbing: a throwaway PostgreSQL database, the service under gunicorn,
facts about the machine, and the marked sections of docs/benchmarks.md.

Everything here talks to loopback only and cleans up after itself: the service is always
stopped, even when a benchmark fails half-way.
"""

import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kalipxo_bench"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class BenchError(RuntimeError):
    """The benchmark could not run, or the service misbehaved while it ran."""


# --- Database -------------------------------------------------------------------------


def bench_database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def bench_targets(name: str, *, database: str, redis_db: int) -> tuple[str, str]:
    """A benchmark's throwaway PostgreSQL database and Redis database, by default on loopback;
    BENCH_<NAME>_DATABASE_URL and BENCH_<NAME>_REDIS_URL point it elsewhere (parallel runs)."""
    prefix = f"BENCH_{name.upper()}"
    return (
        os.environ.get(f"{prefix}_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}"),
        os.environ.get(f"{prefix}_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}"),
    )


def recreate_database(url: str) -> None:
    """Drop the benchmark database if it exists and create it empty."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        raise BenchError(f"Refusing to recreate database {name!r}; point the benchmark's URL elsewhere.")
    maintenance = parts._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def postgres_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# --- The service ----------------------------------------------------------------------


def service_env(database_url: str) -> dict[str, str]:
    """Production-like settings for the service: PostgreSQL, DEBUG off; REDIS_URL as given.

    Plain HTTP on loopback, so HTTPS_ONLY=0 (production's HTTPS redirect would answer 301).
    """
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(32),
        DEBUG="0",
        HTTPS_ONLY="0",
        DJANGO_SETTINGS_MODULE="kalipxo.settings",
        PYTHONUNBUFFERED="1",
    )
    # Throughput benchmarks measure the service, not its rate limit: the limit is still
    # checked on every request, it is just out of reach (bench.load keeps the real one).
    env.setdefault("INGEST_RATE", "1000000/second")
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 300.0) -> str:
    """Run `manage.py` with `args` and return its standard output; raise with its errors."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def create_token(*, name: str, role: str, env: dict[str, str]) -> str:
    """A bearer token from `create_api_client`, which prints it alone on its last line."""
    lines = [line.strip() for line in manage("create_api_client", name, "--role", role, env=env).splitlines()]
    tokens = [line for line in lines if line]
    if not tokens:
        raise BenchError("create_api_client printed no token.")
    return tokens[-1]


@dataclass(frozen=True)
class GunicornConfig:
    """Worker processes and threads per worker (more than one thread means gthread workers)."""

    workers: int
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> "GunicornConfig":
        """From "WORKERSxTHREADS", e.g. "2x1" or "3x4"."""
        workers, _, threads = text.lower().partition("x")
        try:
            return cls(int(workers), int(threads or 1))
        except ValueError as exc:
            raise ValueError(f"Expected WORKERSxTHREADS such as 2x1, not {text!r}.") from exc

    @property
    def label(self) -> str:
        if self.threads == 1:
            return f"{self.workers} sync workers"
        return f"{self.workers} gthread workers x {self.threads} threads"

    @property
    def args(self) -> list[str]:
        args = ["--workers", str(self.workers)]
        if self.threads > 1:
            args += ["--threads", str(self.threads)]
        return args

    def command(self, port: int) -> list[str]:
        return [str(BIN / "gunicorn"), "kalipxo.wsgi", *self.args, "--bind", f"127.0.0.1:{port}"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _wait_until_answering(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{_log_tail(log)}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/api/v1/streams")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise BenchError(f"gunicorn did not answer within {START_TIMEOUT_S:.0f} s:\n{_log_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the gunicorn master (it stops its workers); SIGKILL its process group if it hangs."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session, started by us below
        proc.wait(timeout=STOP_TIMEOUT_S)


@dataclass(frozen=True)
class Service:
    port: int
    pid: int  # the gunicorn master; its workers are its children
    database: str = ""  # the PostgreSQL database it uses


@contextmanager
def running_service(config: GunicornConfig, env: dict[str, str]) -> Iterator[Service]:
    """Start the service under gunicorn on a free loopback port and yield it; always stop it."""
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="kalipxo-bench-gunicorn-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
        proc = subprocess.Popen(
            config.command(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the service ourselves
        )
    try:
        _wait_until_answering(proc, port, log_path)
        database = urlsplit(env.get("DATABASE_URL", "")).path.lstrip("/")
        yield Service(port=port, pid=proc.pid, database=database)
    finally:
        _stop(proc)
    if proc.returncode not in (0, -signal.SIGTERM):
        print(f"gunicorn exited with {proc.returncode}; log: {log_path}", file=sys.stderr)
    else:
        log_path.unlink(missing_ok=True)


WORKER_START_S = 4.0  # how long a Celery worker takes to start taking tasks
# The live worker's processes. A batch spends about half its time waiting on Redis and
# PostgreSQL, so three processes keep two cores busy where two leave them a third idle
# (docs/benchmarks.md, "Live estimates in a month at 200 plays per listener").
LIVE_WORKER_PROCESSES = 3


@contextmanager
def live_worker(env: dict[str, str], *, concurrency: int, log: Path) -> Iterator[Callable[[], None]]:
    """One Celery worker on the `live` queue, stopped on the way out, logging to `log`.

    Yields a function that waits until the worker has had WORKER_START_S to start, so the
    caller can set up meanwhile and call it just before the worker is needed.
    """
    command = [
        str(BIN / "celery"), "-A", "kalipxo", "worker", "-Q", "live", "-c", str(concurrency),
        "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "-n", f"bench-live-{os.getpid()}@%h",
    ]  # fmt: skip
    with log.open("wb") as out:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    started = time.monotonic()
    try:
        yield lambda: time.sleep(max(0.0, started + WORKER_START_S - time.monotonic()))
    finally:
        worker.terminate()
        worker.wait(timeout=30)


# --- A redis-server of the benchmark's own ---------------------------------------------


@contextmanager
def private_redis() -> Iterator[str]:
    """Start a redis-server of our own on a free loopback port and yield its URL.

    Nothing else uses it, so its CPU figures (`redis_cpu_s`) are the benchmark's alone and
    it can be filled and flushed freely. It keeps nothing on disk and is always stopped, by
    its PID, on the way out, also when the benchmark fails.
    """
    if shutil.which("redis-server") is None:
        raise BenchError("needs redis-server on PATH (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="kalipxo-bench-redis-"))
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--busy-reply-threshold", "120000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise BenchError(f"redis-server exited with {proc.returncode}")
            try:
                redis.Redis.from_url(url, socket_connect_timeout=1).ping()
                break
            except (redis.ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise BenchError(f"redis-server did not answer within {START_TIMEOUT_S:.0f} s") from None
                time.sleep(0.05)
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(folder, ignore_errors=True)


def redis_cpu_s(url: str) -> float:
    """CPU seconds the redis-server at `url` has used so far (INFO cpu: user + system)."""
    info = redis.Redis.from_url(url, socket_connect_timeout=2).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


# --- Where the CPU went ------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CORES = len(os.sched_getaffinity(0))


def _proc_stats() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, parent pid, CPU seconds used so far) for every process we can read."""
    stats: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # After the name: state, ppid, ..., utime (11th), stime (12th), counted from 0.
        stats[int(entry.name)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return stats


# A client backend's title: "postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE" (or [local]).
_CLIENT_BACKEND = re.compile(r"^postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])")


def _serves_database(pid: int, database: str) -> bool:
    """Whether a postgres process works for `database`: its client backends, or shared work."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    match = _CLIENT_BACKEND.match(title)
    return match is None or match.group(1) == database


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores) since boot."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far: the machine, each service and PostgreSQL process, this process."""

    machine: float
    service: dict[int, float]
    postgres: dict[int, float]
    generator: float

    @classmethod
    def take(cls, *, database: str, service_pid: int | None = None) -> "CpuSnapshot":
        stats = _proc_stats()
        tree = {service_pid} if service_pid else set()
        for pid, (_, ppid, _) in stats.items():  # gunicorn workers are direct children
            if ppid in tree:
                tree.add(pid)
        postgres = {
            pid: cpu
            for pid, (name, _, cpu) in stats.items()
            if name.startswith("postgres") and _serves_database(pid, database)
        }
        return cls(
            machine=_machine_busy_s(),
            service={pid: stats[pid][2] for pid in tree if pid in stats},
            postgres=postgres,
            generator=time.process_time(),
        )

    def __sub__(self, earlier: "CpuSnapshot") -> "CpuSample":
        def used(now: dict[int, float], before: dict[int, float]) -> float:
            # Per process, so one that exits in between does not subtract its whole life.
            return sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())

        return CpuSample(
            machine=self.machine - earlier.machine,
            service=used(self.service, earlier.service),
            postgres=used(self.postgres, earlier.postgres),
            generator=self.generator - earlier.generator,
        )


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used during a phase by the machine, the service, PostgreSQL and this process.

    PostgreSQL counts the backends of the benchmark database plus the shared processes (WAL
    writer, checkpointer, autovacuum); other databases' backends count as other work.
    """

    machine: float
    service: float
    postgres: float
    generator: float

    @property
    def other(self) -> float:
        """CPU time nobody in this benchmark used: other work sharing the cores."""
        return max(0.0, self.machine - self.service - self.postgres - self.generator)


class OtherWork:
    """CPU the machine spent on anything but this benchmark since `restart`: this process and
    every process it started (the service, workers, redis-server) and its database's
    PostgreSQL processes excluded. Shows how much of the cores the figures had to share."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.restart()

    def _ours(self) -> dict[int, float]:
        """CPU seconds so far of each process of this benchmark."""
        stats = _proc_stats()
        children: dict[int, list[int]] = {}
        for pid, (_, ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        ours, todo = {}, [os.getpid()]
        while todo:
            pid = todo.pop()
            if pid in stats:
                ours[pid] = stats[pid][2]
            todo += children.get(pid, [])
        for pid, (name, _, cpu) in stats.items():
            if name.startswith("postgres") and _serves_database(pid, self.database):
                ours[pid] = cpu
        return ours

    def restart(self) -> None:
        self.began, self.machine, self.ours = time.monotonic(), _machine_busy_s(), self._ours()

    def cores(self) -> float:
        """Cores busy with other work, on average since `restart`."""
        seconds = time.monotonic() - self.began
        ours = sum(cpu - self.ours.get(pid, 0.0) for pid, cpu in self._ours().items())
        other = _machine_busy_s() - self.machine - ours
        return max(0.0, other) / seconds if seconds > 0 else 0.0


# --- Figures -----------------------------------------------------------------------------


def met(ok: bool) -> str:
    """A goal's verdict, as the reports write it."""
    return "met" if ok else "missed"


def percentile(values: Sequence[float], q: float) -> float:
    """The `q` quantile (0 to 1) of `values` by the nearest-rank rule; NaN when empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table: the first row is the header; columns after the first align right."""
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """The same rows as plain aligned text, for the terminal."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


# --- Results: each benchmark's headline figures, for the summary ----------------------------

RESULTS_DIR = ROOT / "bench" / "results"  # git-ignored


def results_dir() -> Path:
    return Path(os.environ.get("BENCH_RESULTS_DIR", RESULTS_DIR))


def default_output(quick: bool) -> Path:
    """Where a report goes unless `--output` says: full-size figures are the documented ones;
    quick figures go beside the results, so a quick run never overwrites them."""
    return results_dir() / "quick.md" if quick else ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Headline:
    """One row of the summary: a figure beside the baseline measured in the same run."""

    measure: str
    value: str
    baseline: str
    versus: str = ""  # the figure against its baseline: a ratio or a share
    goal: str = ""  # the goal and whether this run met it

    @classmethod
    def latency(
        cls, measure: str, ms: float, *, baseline: str, baseline_ms: float, goal: str = ""
    ) -> "Headline":
        """A latency beside a baseline latency (named by `baseline`), with their ratio."""
        return cls(
            measure=measure,
            value=f"{ms:,.1f} ms",
            baseline=f"{baseline} {baseline_ms:,.1f} ms",
            versus=f"{ms / baseline_ms:,.1f}x" if baseline_ms else "",
            goal=goal,
        )


@dataclass(frozen=True)
class Result:
    """What a benchmark hands the summary: the command that reproduces it and its headlines."""

    name: str
    command: str
    headlines: list[Headline]
    ok: bool = True  # False: the service misbehaved, the figures are not to be trusted

    @property
    def path(self) -> Path:
        return results_dir() / f"{self.name}.json"

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, name: str) -> "Result | None":
        try:
            data = json.loads((results_dir() / f"{name}.json").read_text())
            rows = [Headline(**row) for row in data["headlines"]]
            return cls(name=data["name"], command=data["command"], headlines=rows, ok=bool(data["ok"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


# --- Machine facts and the report file -------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def machine_summary() -> str:
    return f"{CORES} cores ({_cpu_model()}), {_ram_gib():.0f} GiB RAM, Python {platform.python_version()}"


def redis_version(url: str) -> str:
    try:
        info = redis.Redis.from_url(url, socket_connect_timeout=2).info("server")
    except (redis.RedisError, OSError):
        return "unreachable"
    return str(info.get("redis_version", "?"))


def source_revision() -> str:
    """The commit the service ran from, marked when the working tree had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # The report the benchmarks are writing is no change to what they measure.
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs/benchmarks.md")
    return f"{commit} with uncommitted changes" if dirty else commit


DOC_HEADER = """# Benchmarks

Figures measured on a single machine: the service, PostgreSQL, Redis and the load generator
share the same cores. `make bench` (`python -m bench`) measures the full size and writes
docs/benchmarks.md; `make bench-quick` (`python -m bench --quick`) measures the same at a
small size in about three minutes and writes bench/results/quick.md (git-ignored), so a quick
run never replaces the full-size figures. The Summary comes first; each section after it is
rewritten by its own tool between its `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`
markers; edit outside them.
"""


def update_doc_section(path: Path, *, name: str, title: str, body: str, first: bool = False) -> None:
    """Replace the text between this section's markers in `path` (creating file or section).

    A new section goes last, or with `first` before every other section.
    """
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else DOC_HEADER
    if start in text and end in text and text.index(start) < text.index(end):
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    elif first and "\n## " in text:
        head, _, rest = text.partition("\n## ")
        text = f"{head.rstrip()}\n\n## {title}\n\n{block}\n\n## {rest}"
    else:
        text = text.rstrip("\n") + f"\n\n## {title}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
