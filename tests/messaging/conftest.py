"""A small world for messages: two artists with a track each, and fans who played them."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from artists.models import ApiClient, Artist
from payouts import estimates
from streams.fans import fan_id
from streams.models import Listener, StreamEvent
from tests.factories import ArtistFactory, DistributorFactory, TrackFactory

ISRC_M = "QZKPX2609001"  # Mira's track
ISRC_O = "QZKPX2609002"  # Otto's track


def played(listener: str, isrc: str = ISRC_M, *, days_ago: float = 1, count: int = 1) -> None:
    """`count` plays of `isrc` by `listener`, `days_ago` days before now."""
    Listener.objects.get_or_create(pk=listener)
    when = timezone.now() - timedelta(days=days_ago)
    StreamEvent.objects.bulk_create(
        StreamEvent(event_id=f"msg-{uuid.uuid4()}", listener_id=listener, isrc=isrc,
                    started_at=when + timedelta(seconds=n), duration_ms=200_000, country="US", tier="premium")
        for n in range(count)
    )  # fmt: skip


def fan(listener: str, *, accepts: bool = True, name: str = "", shown: bool = False) -> str:
    """A listener who played Mira yesterday, with its choices; its fan_id for Mira."""
    played(listener)
    Listener.objects.filter(pk=listener).update(
        accepts_messages=accepts, display_name=name, show_to_artists=shown
    )
    return fan_id(artist_id="art-m", listener_id=listener)


@dataclass
class World:
    mira: Artist
    otto: Artist
    artist: APIClient  # Mira's token
    other_artist: APIClient  # Otto's token
    platform: APIClient  # the player platform (ingest)

    def send(self, handle: Any, body: Any = "Thanks for listening!") -> Any:
        return self.artist.post(
            "/api/v1/artists/art-m/messages", {"fan_id": handle, "body": body}, format="json"
        )

    def reply(self, listener: str, body: str = "Thank you!", artist: str = "art-m") -> Any:
        return self.platform.post(
            f"/api/v1/listeners/{listener}/messages", {"artist": artist, "body": body}, format="json"
        )


@pytest.fixture(autouse=True)
def _fresh_estimates() -> Iterator[None]:
    """Forget cached month estimates (this month's top fans read them), before and after."""
    estimates._cache.clear()
    yield
    estimates._cache.clear()


@pytest.fixture
def world(api_as: Callable[..., APIClient]) -> World:
    distributor = DistributorFactory(name="Distro M")
    mira = ArtistFactory.create(id="art-m", name="Mira", distributor=distributor)
    otto = ArtistFactory.create(id="art-o", name="Otto", distributor=distributor)
    TrackFactory(isrc=ISRC_M, artist=mira)
    TrackFactory(isrc=ISRC_O, artist=otto)
    return World(
        mira=mira,
        otto=otto,
        artist=api_as(ApiClient.Role.ARTIST, artist="art-m"),
        other_artist=api_as(ApiClient.Role.ARTIST, artist="art-o"),
        platform=api_as(ApiClient.Role.INGEST),
    )
