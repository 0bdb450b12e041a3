"""A small client for `POST /api/v1/streams` that behaves well under backpressure.

    python -m clients.ingest_client --url https://kalipxo.example --token kx_... events.jsonl

Plain Python (http.client), no dependency, so a player platform can copy this one file.
It sends events in batches and

- on 429 waits as long as Retry-After says, then sends the same batch again;
- on 502, 503 and 504, and when the connection fails or times out, waits with exponential
  backoff (Retry-After when given), up to `max_attempts` tries of that batch;
- on any other 4xx stops with IngestError: the request itself is wrong, repeating it
  cannot help (a 400 whose events were all rejected is a result, not an error).

Sending a batch again never stores an event twice: events are idempotent by `event_id`,
so a batch the service stored but whose answer was lost comes back as duplicates.
"""

import argparse
import http.client
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PATH = "/api/v1/streams"
MAX_BATCH = 1000  # the service's limit per request
RETRY_STATUSES = frozenset({502, 503, 504})


class IngestError(RuntimeError):
    """The service refused a request for a reason that retrying does not fix, or kept failing."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class IngestReport:
    """What happened to the events given to `send`."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # index: position in the input
    requests: int = 0
    throttled: int = 0  # 429 answers
    retried: int = 0  # 5xx answers and connection failures
    waited_s: float = 0.0


class IngestClient:
    """Sends stream events to one Kalipxo service with one bearer token."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        batch_size: int = 500,
        timeout: float = 30.0,
        max_attempts: int = 8,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Expected an http(s) URL such as https://kalipxo.example, not {url!r}.")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sleep = sleep
        self._conn: http.client.HTTPConnection | None = None

    # -- public -------------------------------------------------------------------------

    def send(self, events: Iterable[dict[str, Any]]) -> IngestReport:
        """Send every event, batch after batch; returns once each batch has an answer."""
        report = IngestReport()
        offset = 0
        for batch in _batches(events, self.batch_size):
            answer = self._post_batch(json.dumps(batch).encode(), report)
            report.accepted += int(answer.get("accepted", 0))
            report.duplicates += int(answer.get("duplicates", 0))
            for rejection in answer.get("rejected", []):
                report.rejected.append({**rejection, "index": offset + int(rejection["index"])})
            offset += len(batch)
        return report

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "IngestClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one batch ------------------------------------------------------------------------

    def _post_batch(self, body: bytes, report: IngestReport) -> dict[str, Any]:
        failures = 0
        while True:
            report.requests += 1
            try:
                status, headers, payload = self._request(body)
            except (OSError, http.client.HTTPException) as exc:
                self.close()  # the connection's state is unknown: start a new one
                failures += 1
                self._give_up_after(failures, f"connection failed: {exc}")
                report.retried += 1
                self._wait(self._backoff(failures), report)
                continue
            if status in (200, 202) or (status == 400 and _is_batch_result(payload)):
                return payload if isinstance(payload, dict) else {}
            if status == 429:
                # Throttling is not a failure: wait as told, as often as needed.
                report.throttled += 1
                self._wait(_retry_after(headers) or self.backoff_s, report)
                continue
            if status in RETRY_STATUSES:
                failures += 1
                self._give_up_after(failures, f"HTTP {status}", status=status, body=payload)
                report.retried += 1
                self._wait(_retry_after(headers) or self._backoff(failures), report)
                continue
            detail = payload.get("detail") if isinstance(payload, dict) else payload
            raise IngestError(f"HTTP {status}: {detail}", status=status, body=payload)

    def _request(self, body: bytes) -> tuple[int, dict[str, str], Any]:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._conn = kind(self.host, self.port, timeout=self.timeout)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._conn.request("POST", self.prefix + PATH, body, headers)
        response = self._conn.getresponse()
        raw = response.read()
        if response.will_close:
            self.close()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = raw[:300].decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def _backoff(self, failures: int) -> float:
        """Exponential, with jitter so that many clients do not come back at the same instant."""
        ceiling = min(self.max_backoff_s, self.backoff_s * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret

    def _give_up_after(self, failures: int, what: str, **extra: Any) -> None:
        if failures >= self.max_attempts:
            raise IngestError(f"Gave up after {failures} attempts: {what}.", **extra)

    def _wait(self, seconds: float, report: IngestReport) -> None:
        report.waited_s += seconds
        self.sleep(seconds)


def _batches(events: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_batch_result(payload: Any) -> bool:
    """A 400 that reports per-event rejections (every event of the batch was refused)."""
    return isinstance(payload, dict) and "rejected" in payload and "accepted" in payload


def _retry_after(headers: dict[str, str]) -> float | None:
    """Retry-After in seconds (the service sends seconds, never an HTTP date)."""
    value = headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="the service, e.g. https://kalipxo.example")
    parser.add_argument("--token", required=True, help="a bearer token of the ingest role")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("file", nargs="?", help="JSON lines, one event per line (default: stdin)")
    args = parser.parse_args(argv)
    source = open(args.file, encoding="utf-8") if args.file else sys.stdin  # noqa: SIM115 - closed below
    try:
        events = (json.loads(line) for line in source if line.strip())
        with IngestClient(args.url, args.token, batch_size=args.batch_size) as client:
            report = client.send(events)
    finally:
        if source is not sys.stdin:
            source.close()
    print(
        f"accepted {report.accepted}, duplicates {report.duplicates}, rejected {len(report.rejected)}; "
        f"{report.requests} requests, {report.throttled} throttled, {report.retried} retried, "
        f"waited {report.waited_s:.1f} s"
    )
    for rejection in report.rejected[:20]:
        print(json.dumps(rejection), file=sys.stderr)
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
