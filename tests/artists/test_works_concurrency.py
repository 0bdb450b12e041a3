"""Works posted at the same moment, on PostgreSQL: a recording's links still sum to at most 1,
and a new work id posted twice at once is one work."""

import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from artists.models import ApiClient, RecordingLink, Work
from tests.conftest import ApiFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/catalog/works"
ISRC = "QZKPX2600001"
CLIENTS = 6


def at_once(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Each call in a thread of its own (its own database connection), started together."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as exc:  # handed to the test's thread below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def a_work(work_id: str, share: str) -> dict[str, Any]:
    payee = {"id": f"wri-{work_id}", "kind": "writer", "name": "W"}
    return {"id": work_id, "title": work_id, "recordings": [{"isrc": ISRC, "share": share}],
            "writers": [{"payee": payee, "share": "1"}]}  # fmt: skip


@pytest.fixture
def clients(api_as: ApiFactory) -> list[APIClient]:
    """Clients of one distributor, which owns track QZKPX2600001."""
    made = [api_as(ApiClient.Role.DISTRIBUTOR, distributor="Distro A") for _ in range(CLIENTS)]
    track = {"isrc": ISRC, "title": "Song", "duration_ms": 200_000, "artist": {"id": "art-1", "name": "A"}}
    assert made[0].post("/api/v1/catalog/tracks", track, format="json").status_code == 200
    return made


def test_links_posted_at_once_never_sum_to_more_than_one(clients: list[APIClient]) -> None:
    calls = [
        lambda c=c, n=n: c.post(URL, a_work(f"wrk-{n}", "0.6"), format="json") for n, c in enumerate(clients)
    ]

    answers = at_once(calls)

    assert sorted(a.status_code for a in answers) == [200] + [400] * (CLIENTS - 1)
    assert list(RecordingLink.objects.values_list("share", flat=True)) == [Decimal("0.6")]
    assert Work.objects.count() == 1


def test_one_new_work_posted_at_once_by_many_is_one_work(clients: list[APIClient]) -> None:
    calls = [partial(c.post, URL, a_work("wrk-same", "1"), format="json") for c in clients]

    answers = at_once(calls)

    assert [a.status_code for a in answers] == [200] * CLIENTS, [a.json() for a in answers]
    assert sorted(a.json()["created"] for a in answers) == [0] * (CLIENTS - 1) + [1]
    assert list(RecordingLink.objects.values_list("work_id", "share")) == [("wrk-same", Decimal(1))]
