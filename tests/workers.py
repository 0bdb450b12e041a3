"""A real Celery worker process for tests, on the test database and the test Redis."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def wait_until(predicate: Callable[[], object], *, timeout: float = 60, interval: float = 0.1) -> None:
    """Poll until `predicate()` is truthy; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def worker_database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """`celery worker` in its own process group, so SIGKILL takes its pool children too."""

    def __init__(self, *, concurrency: int = 2, queues: str | None = None) -> None:
        """`queues` None starts it as most people do, without -Q: it takes every queue."""
        self.concurrency = concurrency
        self.queues = queues
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="kalipxo-worker-", suffix=".log")[1])
        self.name = f"test-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
        self.broker_url = ""
        self.live: tuple[str, bool] = ("", False)  # the live pools' Redis it was started with

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, timeout: float = 60) -> "WorkerProcess":
        self.broker_url = settings.REDIS_URL  # a test may point it at a Redis of its own
        self.live = (settings.LIVE_REDIS_URL, settings.LIVE_REDIS_CLUSTER)
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": self.broker_url,
            "LIVE_REDIS_URL": settings.LIVE_REDIS_URL,
            "LIVE_REDIS_CLUSTER": "1" if settings.LIVE_REDIS_CLUSTER else "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_SETTINGS_MODULE": "kalipxo.settings_test",
            "DB_CONN_MAX_AGE": "0",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "kalipxo", "worker",
            *(["-Q", self.queues] if self.queues else []), "-c", str(self.concurrency), "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "-n", self.name,
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = self.process
        wait_until(lambda: b" ready." in self.log.read_bytes() or process.poll() is not None, timeout=timeout)
        if process.poll() is not None:
            raise RuntimeError(f"worker exited at start:\n{self.log.read_text()[-3000:]}")
        STARTED.append(self)
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no warm shutdown, no acknowledgements."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


# Every worker a test started, so teardown can find them however the test asked for one.
STARTED: list[WorkerProcess] = []

# Kombu's Redis transport keeps a delivered message here until it is acknowledged; a
# killed worker's messages stay and a later worker would run them again.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")


def broker_reset() -> None:
    """Drop every queued message and every unacknowledged one (no worker may be running
    a task: its message is unacknowledged too)."""
    import redis

    from kalipxo.celery import app

    app.control.purge()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*UNACKED_KEYS)


def workers_drain(*, timeout: float = 120) -> None:
    """Let the running workers finish what they hold, with nothing new to take, then
    empty the broker: a test's background work ends with the test.

    Queues are purged first; a task that finishes may send its next step, so the loop
    purges again until two rounds in a row find every worker with nothing active,
    reserved or scheduled (retries waiting out a countdown are revoked instead).
    """
    from kalipxo.celery import app

    # Workers of another broker (a test's private Redis) are that test's to stop.
    names = [w.name for w in STARTED if w.running and w.broker_url == app.conf.broker_url]
    if not names:
        return
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        app.control.purge()
        inspect = app.control.inspect(destination=names, timeout=2.0, limit=len(names))
        answers = {
            "active": inspect.active(),
            "reserved": inspect.reserved(),
            "scheduled": inspect.scheduled(),
        }
        held: dict[str, list[Any]] = {
            kind: [task for tasks in (answer or {}).values() for task in tasks]
            for kind, answer in answers.items()
        }
        for entry in held["scheduled"]:
            app.control.revoke(entry["request"]["id"], destination=names)
        # A worker that did not answer may be busy: only every worker answering counts.
        silent = any(answer is None or set(answer) != set(names) for answer in answers.values())
        busy = silent or bool(held["active"] or held["reserved"] or held["scheduled"])
        quiet = 0 if busy else quiet + 1
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still busy after {timeout}s: {held}")
        if busy:
            time.sleep(0.1)
    broker_reset()
