"""Fixtures for the pages: a small catalog with plays this month, and logins of each kind."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from artists.models import Artist, Distributor, PortalAccount
from payouts import estimates
from streams.live import dispatch, updates
from streams.models import Listener, StreamEvent
from tests.factories import ArtistFactory, DistributorFactory, PayeeFactory, SplitFactory, TrackFactory
from tests.frontend.browser_fixtures import browser, demo, page  # noqa: F401 - fixtures of every browser test
from tests.payments.world import world  # noqa: F401 - the payments pages' month

PASSWORD = "a-long-test-password-42"


@pytest.fixture(autouse=True)
def _fresh_estimates() -> Iterator[None]:
    """Forget cached month estimates: ids repeat across rolled-back tests on SQLite."""
    estimates._cache.clear()
    yield
    estimates._cache.clear()


def _play(listener: str, isrc: str, at: datetime, n: int) -> StreamEvent:
    return StreamEvent(
        event_id=f"ev-{uuid.uuid4()}",
        listener_id=listener,
        isrc=isrc,
        started_at=at,
        duration_ms=180_000 if n % 7 else 10_000,  # every seventh play too short to count
        country="US",
        tier="premium",
    )


@pytest.fixture
def catalog(db: None, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Two distributors, three artists; plays of this month by a few listeners (and, with
    Redis, the month's live pools rebuilt from them, as after a bulk load)."""
    north, south = DistributorFactory(name="North"), DistributorFactory(name="South")
    a1 = ArtistFactory(id="art-a", name="Ada Lantern", distributor=north)
    a2 = ArtistFactory(id="art-b", name="Bram Harbor", distributor=north)
    a3 = ArtistFactory(id="art-c", name="Cleo Orchard", distributor=south)
    t1 = TrackFactory(isrc="QZKPX2600101", title="First Light", artist=a1)
    t2 = TrackFactory(isrc="QZKPX2600102", title="Second Wind", artist=a1)
    t3 = TrackFactory(isrc="QZKPX2600103", title="Third Rail", artist=a2)
    t4 = TrackFactory(isrc="QZKPX2600104", title="Fourth Wall", artist=a3)
    label = PayeeFactory(id="lbl-north", name="North Label", distributor=north)
    artist_payee = PayeeFactory(id="art-a", kind="artist", name="Ada Lantern", artist=a1, distributor=north)
    SplitFactory(track=t2, payee=artist_payee, share="0.75")
    SplitFactory(track=t2, payee=label, share="0.25")
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    listeners = [
        Listener.objects.create(id=f"LT{i}", display_name=f"fan{i}", show_to_artists=i % 2 == 0)
        for i in range(4)
    ]
    plays = []
    n = 0
    for i, listener in enumerate(listeners):
        for track, count in ((t1, 3 + i), (t2, 2), (t3, 1 + i), (t4, 2)):
            for _ in range(count):
                n += 1
                at = min(start + timedelta(hours=n), now - timedelta(minutes=1))
                plays.append(_play(listener.id, str(track.isrc), at, n))
    StreamEvent.objects.bulk_create(plays)
    if dispatch.live_enabled():
        request.getfixturevalue("live_redis")
        updates.rebuild_month(start.date())
    return {"distributors": (north, south), "artists": (a1, a2, a3), "tracks": (t1, t2, t3, t4)}


def _user(
    username: str, *, artist: Artist | None = None, distributor: Distributor | None = None, **extra: Any
):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if artist or distributor:
        PortalAccount.objects.create(user=user, artist=artist, distributor=distributor)
    return user


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """Create a login: `make_user("name", artist=...)`, `distributor=...` or `is_staff=True`."""
    return _user


@pytest.fixture
def artist_client(catalog: dict[str, Any]) -> Client:
    """A browser session logged in as artist art-a's own login."""
    client = Client()
    client.force_login(_user("ada", artist=catalog["artists"][0]))
    return client


@pytest.fixture
def staff_client(db: None) -> Client:
    """A browser session of a staff user (acts as admin)."""
    client = Client()
    client.force_login(_user("staffer", is_staff=True))
    return client
