"""The same batch delivered five times at once, over real HTTP, is stored and counted once.

A player platform that retries aggressively (or five ingest nodes replaying one queue)
sends a 10,000-event batch (ten requests of 1,000, the API's limit) five times
concurrently to a multi-process, multi-threaded gunicorn on PostgreSQL. The unique
`event_id` must make it exactly one copy in the database and in the live estimates.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Sum
from rest_framework.test import APIClient

from artists.models import ApiClient
from artists.tokens import api_client_create
from streams.live import pricing, store
from streams.models import IngestBatch, StreamEvent
from tests.servers import Answer, WebServer
from tests.streams.test_live_pools import MONTH, all_applied, assert_live_matches, catalog, events, pools_for
from tests.workers import WorkerProcess, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.fault, pytest.mark.django_db(transaction=True)]

CLIENTS = 5
REQUESTS = 10
PER_REQUEST = 1000  # streams.ingest.MAX_BATCH
# 500 listeners x 20 plays: one catalog track each, and a second one that is either in
# the catalog or unknown (its money waits in suspense).
PLAYS = [
    play
    for n in range(500)
    for play in (
        (f"L{n}", "QZKPX2600001", 10),
        (f"L{n}", "QZKPX2600002" if n % 2 else "ZZXXX2600009", 10),
    )
]


@pytest.fixture(scope="module")
def web(django_db_setup: None) -> Iterator[WebServer]:
    # Two processes of three threads: up to six requests write at once.
    server = WebServer(redis_url=settings.REDIS_URL, workers=2, threads=3).start()
    yield server
    server.stop()


def test_one_batch_posted_five_times_concurrently_is_stored_and_estimated_once(
    live_store: str, celery_worker_process: WorkerProcess, web: WebServer, admin_api: APIClient
) -> None:
    catalog(admin_api)
    body = events(PLAYS)
    assert len(body) == REQUESTS * PER_REQUEST
    # Shuffled so that every request shares listeners with the others, not only events.
    random.Random(2026).shuffle(body)
    requests = [body[i : i + PER_REQUEST] for i in range(0, len(body), PER_REQUEST)]
    tokens = [api_client_create(name=f"player-{c}", role=ApiClient.Role.INGEST)[1] for c in range(CLIENTS)]
    answers: list[list[Answer]] = [[] for _ in range(CLIENTS)]
    spans: list[tuple[int, float, float]] = []  # (request, sent, answered) of every delivery
    errors: list[BaseException] = []
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> None:
        try:
            start.wait(timeout=30)
            # Clients start in pairs at the same request (the same events written at the
            # same moment) and the pairs at different ones (different requests interleave).
            for i in range(REQUESTS):
                index = (3 * (c // 2) + i) % REQUESTS
                sent = time.monotonic()
                answers[c].append(web.post("/api/v1/streams", requests[index], token=tokens[c], timeout=120))
                spans.append((index, sent, time.monotonic()))
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    flat = [a for per_client in answers for a in per_client]
    assert len(flat) == CLIENTS * REQUESTS
    # The race really happened: some request was in flight twice at the same time.
    assert any(
        a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for n, a in enumerate(spans) for b in spans[n + 1 :]
    )
    # Every delivery is answered 202 (no 500, and no 503 from a deadlock between them).
    unexpected = [(a.status, a.body) for a in flat if a.status != 202]
    assert Counter(a.status for a in flat) == {202: CLIENTS * REQUESTS}, unexpected
    assert all(a.body["rejected"] == [] for a in flat)
    assert sum(a.body["accepted"] for a in flat) == REQUESTS * PER_REQUEST
    assert sum(a.body["accepted"] + a.body["duplicates"] for a in flat) == CLIENTS * REQUESTS * PER_REQUEST

    assert StreamEvent.objects.count() == REQUESTS * PER_REQUEST
    assert StreamEvent.objects.values("event_id").distinct().count() == REQUESTS * PER_REQUEST
    assert IngestBatch.objects.aggregate(n=Sum("events"))["n"] == REQUESTS * PER_REQUEST

    # The live estimates (Redis, through the real worker) count every event once.
    wait_until(all_applied, timeout=90)
    pools: dict[str, Decimal] = pools_for({f"L{n}": "14.99" for n in range(500)})
    want_streams = {"art-1": 500 * 10, "art-2": 250 * 10}
    for artist, streams in want_streams.items():
        live = pricing.read_artist(month=MONTH, artist_id=artist)
        assert live.streams == streams, artist
        assert live.month_streams == REQUESTS * PER_REQUEST
        assert live.month_pools == store.to_units(sum(pools.values(), Decimal(0)))
    assert_live_matches(PLAYS, pools)
