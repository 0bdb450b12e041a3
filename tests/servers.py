"""Real processes for fault tests: the service under gunicorn and a private redis-server.

The service runs as a subprocess with its own environment (database, Redis), as in
production, so a test can drop its PostgreSQL sessions or restart its Redis while it
serves real HTTP requests. Every process started here is stopped by its own PID.
"""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
import redis
from django.conf import settings

from tests.workers import ROOT, wait_until, worker_database_url

BIN = Path(sys.executable).parent
CALCULATOR = "/api/v1/calculator?model=pro_rata&plays=1&rate=0.004"


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: Any


def request(
    port: int, method: str, path: str, *, token: str = "", body: Any = None, timeout: float = 60
) -> Answer:
    """One HTTP request on a fresh connection; the JSON answer parsed when there is one."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=None if body is None else orjson.dumps(body), headers=headers)
        response = conn.getresponse()
        raw = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        conn.close()
    parsed: Any = raw
    if answer_headers.get("content-type", "").startswith("application/json") and raw:
        parsed = orjson.loads(raw)
    return Answer(response.status, answer_headers, parsed)


def service_env(
    *, redis_url: str, application_name: str = "", live_url: str = "", live_cluster: bool = False
) -> dict[str, str]:
    """The environment of a service process on the test database and the given Redis (for
    the live pools too, unless `live_url` names another one, or a cluster's node)."""
    database_url = worker_database_url()
    if application_name:
        # Lets a test find the service's own PostgreSQL sessions in pg_stat_activity.
        database_url += f"?application_name={application_name}"
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LIVE_REDIS_URL": live_url or redis_url,
        "LIVE_REDIS_CLUSTER": "1" if live_cluster else "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "kalipxo.settings_test",
        "PYTHONUNBUFFERED": "1",
    }


class WebServer:
    """`gunicorn kalipxo.wsgi` on a free loopback port, in its own process group.

    Database connections are persistent (DB_CONN_MAX_AGE=60, production's default), so a
    session PostgreSQL drops between requests is one the service really has to notice.
    """

    def __init__(
        self,
        *,
        redis_url: str,
        workers: int = 1,
        threads: int = 1,
        live_url: str = "",
        live_cluster: bool = False,
    ) -> None:
        self.redis_url = redis_url
        self.live = {"live_url": live_url, "live_cluster": live_cluster}
        self.workers = workers
        self.threads = threads
        self.port = 0
        self.application_name = f"kx-fault-web-{os.getpid()}-{time.monotonic_ns()}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="kalipxo-web-", suffix=".log")[1])

    def start(self, *, timeout: float = 60) -> "WebServer":
        env = service_env(redis_url=self.redis_url, application_name=self.application_name, **self.live)  # type: ignore[arg-type]
        env["DB_CONN_MAX_AGE"] = "60"
        command = [
            str(BIN / "gunicorn"), "kalipxo.wsgi", "--workers", str(self.workers),
            "--threads", str(self.threads), "--timeout", "60", "--graceful-timeout", "5",
        ]  # fmt: skip
        for _ in range(3):  # the free port may be taken between picking and binding it
            self.port = free_port()
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
                    [*command, "--bind", f"127.0.0.1:{self.port}"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                if self._wait_answering(self.process, timeout):
                    return self
            except AssertionError:
                self.stop()  # never leave a half-started service behind
                raise
        raise RuntimeError(f"gunicorn did not start:\n{self.output()[-3000:]}")

    def _wait_answering(self, process: "subprocess.Popen[bytes]", timeout: float) -> bool:
        """Whether the service answers (False if gunicorn exited, e.g. its port was taken)."""
        wait_until(lambda: self._answers() or process.poll() is not None, timeout=timeout, interval=0.2)
        return process.poll() is None

    def _answers(self) -> bool:
        try:
            # Public and database-free: an answer means the service is up.
            return request(self.port, "GET", CALCULATOR, timeout=2).status == 200
        except OSError:
            return False

    def post(self, path: str, body: Any, *, token: str, timeout: float = 60) -> Answer:
        return request(self.port, "POST", path, token=token, body=body, timeout=timeout)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class RedisServer:
    """A private `redis-server` without persistence: a restart really starts empty.

    The machine's shared Redis is never touched; this one listens on a free port and is
    killed by its PID.
    """

    def __init__(self, *, options: tuple[str, ...] = (), folder: Path | None = None) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="kalipxo-redis-", suffix=".log")[1])
        self.options = options
        self.folder = folder or Path(tempfile.gettempdir())

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 20) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        command = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder), *self.options,
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - the system's redis-server
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = self.process
        try:
            wait_until(lambda: self.ping() or process.poll() is not None, timeout=timeout)
        except AssertionError:
            self.kill()
            raise
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited at start:\n{self.log.read_text()[-2000:]}")
        return self

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: every key and queued message is gone, as after a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()


class RedisClusterNodes:
    """A Redis Cluster of private `redis-server` processes (one slot range each, no replicas,
    no persistence): a node restarted keeps its slots (its nodes.conf) but none of its keys."""

    def __init__(self, size: int = 3) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kalipxo-cluster-"))
        self.nodes = [
            RedisServer(
                # The bus port named: by default it is the port + 10,000, which may be taken.
                options=("--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{n}.conf",
                         "--cluster-node-timeout", "15000", "--cluster-port", str(free_port())),
                folder=self.folder / str(n),
            )
            for n in range(size)
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self) -> "RedisClusterNodes":
        try:
            for node in self.nodes:
                node.folder.mkdir(parents=True, exist_ok=True)
                node.start()
            addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
            cli = shutil.which("redis-cli") or "redis-cli"
            subprocess.run(  # noqa: S603 - the system's redis-cli
                [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            self.wait_ok()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ok(self, timeout: float = 30) -> None:
        """Until every node says the cluster is ok and knows every node."""

        def ok() -> bool:
            for node in self.nodes:
                try:
                    info = redis.Redis(port=node.port, socket_timeout=1).cluster("info")
                except redis.RedisError:
                    return False
                known = int(info.get("cluster_known_nodes", 0))
                if info.get("cluster_state") != "ok" or known < len(self.nodes):
                    return False
                if int(info.get("cluster_slots_ok", 0)) != 16384:
                    return False
            return True

        wait_until(ok, timeout=timeout)

    def restart(self, index: int) -> None:
        self.nodes[index].restart()
        self.wait_ok()

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """`python manage.py ARGS` in its own process and environment; its standard output."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@contextmanager
def monitor(*, database: str = "") -> Iterator[psycopg.Connection[Any]]:
    """An autocommit session (on the test database by default), to watch and end others."""
    url = worker_database_url()
    if database:
        url = url.rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def sessions(conn: psycopg.Connection[Any], application_name: str) -> list[tuple[int, str, str | None]]:
    """(pid, state, wait_event_type) of the PostgreSQL sessions of one application."""
    rows = conn.execute(
        "SELECT pid, state, wait_event_type FROM pg_stat_activity WHERE application_name = %s",
        [application_name],
    ).fetchall()
    return [(int(pid), str(state), wait) for pid, state, wait in rows]
