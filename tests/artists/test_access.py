"""Who may call what: bearer tokens (401) and the role of each endpoint (403)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from artists.models import ApiClient, PortalAccount, Track, Work
from artists.tokens import api_client_create
from streams.models import RevenueRecord, StreamEvent
from tests.conftest import ApiFactory
from tests.factories import ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db

STREAM = {
    "event_id": "ev-1", "listener": "L1", "isrc": "USRC17607839", "started_at": "2026-10-03T12:00:00Z",
    "duration_ms": 183000, "country": "US", "tier": "premium",
}  # fmt: skip
REVENUE = {
    "id": "inv-2026-10-L1", "listener": "L1", "month": "2026-10", "source": "subscription",
    "plan": "premium", "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00",
}  # fmt: skip
TRACK = {
    "isrc": "USRC17607840",
    "title": "Song",
    "duration_ms": 215000,
    "artist": {"id": "art-9", "name": "Nine"},
}

WORK = {
    "id": "wrk-9",
    "title": "Song",
    "writers": [{"payee": {"id": "wri-9", "kind": "writer", "name": "Nine"}, "share": "1"}],
    "recordings": [{"isrc": "QZKPX0000001", "share": "1"}],
}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- authentication ------------------------------------------------------------------


def test_no_token_is_401_with_a_json_detail(anon_api: APIClient) -> None:
    response = anon_api.post("/api/v1/streams", STREAM, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not StreamEvent.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kx_this-token-was-never-issued",
        "Bearer not-even-our-prefix",
        "Bearer",
        "Bearer two parts",
        "Basic dXNlcjpwYXNz",
        "Bearer kx_caf\u00e9",
    ],
)
def test_wrong_or_malformed_credentials_are_401(db: None, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.post("/api/v1/streams", STREAM, format="json")

    assert response.status_code == 401
    assert response.json()["detail"]
    assert not StreamEvent.objects.exists()


def test_a_valid_token_is_accepted() -> None:
    _, token = api_client_create(name="player", role="ingest")

    response = bearer(token).post("/api/v1/streams", STREAM, format="json")

    assert response.status_code == 202
    assert StreamEvent.objects.count() == 1


def test_a_revoked_token_is_401() -> None:
    client, token = api_client_create(name="player", role="ingest")
    client.revoked_at = timezone.now()
    client.save()

    response = bearer(token).post("/api/v1/streams", STREAM, format="json")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert not StreamEvent.objects.exists()


def test_the_keyword_is_case_insensitive_but_the_token_is_not() -> None:
    _, token = api_client_create(name="player", role="ingest")
    lower = APIClient()
    lower.credentials(HTTP_AUTHORIZATION=f"bearer {token}")
    swapped = APIClient()
    swapped.credentials(HTTP_AUTHORIZATION=f"Bearer {token.swapcase()}")

    assert lower.post("/api/v1/streams", STREAM, format="json").status_code == 202
    assert swapped.post("/api/v1/streams", STREAM, format="json").status_code == 401


# --- role matrix ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One endpoint, called with a body that its allowed roles get a success for."""

    name: str
    method: str
    url: str
    body: Any
    success: int
    stored: Callable[[], int]


CALLS = [
    Call("post streams", "post", "/api/v1/streams", STREAM, 202, StreamEvent.objects.count),
    Call("post revenue", "post", "/api/v1/revenue", REVENUE, 201, RevenueRecord.objects.count),
    Call(
        "post catalog",
        "post",
        "/api/v1/catalog/tracks",
        TRACK,
        200,
        lambda: Track.objects.filter(isrc="USRC17607840").count(),
    ),
    Call("list catalog", "get", "/api/v1/catalog/tracks", None, 200, lambda: 0),
    Call("get track", "get", "/api/v1/catalog/tracks/QZKPX0000001", None, 200, lambda: 0),
    Call(
        "post works",
        "post",
        "/api/v1/catalog/works",
        WORK,
        200,
        lambda: Work.objects.filter(id="wrk-9").count(),
    ),
    Call("list works", "get", "/api/v1/catalog/works", None, 200, lambda: 0),
]
ALLOWED = {
    "post streams": {"ingest", "admin"},
    "post revenue": {"billing", "admin"},
    "post catalog": {"distributor", "admin"},
    "list catalog": {"distributor", "admin"},
    "get track": {"distributor", "admin"},
    "post works": {"distributor", "admin"},
    "list works": {"distributor", "admin"},
}


@pytest.fixture
def client_for(api_as: ApiFactory) -> Callable[[str], APIClient]:
    """Make a client for a role; the distributor and artist own track QZKPX0000001."""
    artist = ArtistFactory.create(id="art-1", distributor__name="Distro A")
    track = TrackFactory.create(isrc="QZKPX0000001", artist=artist)
    distributor = track.distributor
    assert distributor is not None

    def make(role: str) -> APIClient:
        if role == ApiClient.Role.DISTRIBUTOR:
            return api_as(role, distributor=distributor.name)
        if role == ApiClient.Role.ARTIST:
            return api_as(role, artist=track.artist_id)
        return api_as(role)

    return make


@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.name)
@pytest.mark.parametrize("role", ApiClient.Role.values)
def test_each_endpoint_admits_only_its_roles(
    client_for: Callable[[str], APIClient], role: str, call: Call
) -> None:
    client = client_for(role)
    before = call.stored()

    if call.method == "post":
        response = client.post(call.url, call.body, format="json")
    else:
        response = client.get(call.url)

    if role in ALLOWED[call.name]:
        assert response.status_code == call.success, response.json()
        if call.method == "post":
            assert call.stored() == before + 1
    else:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert "role" in response.json()["detail"]
        assert call.stored() == before


# --- web sessions --------------------------------------------------------------------


def test_a_staff_session_acts_as_admin(client_for: Callable[[str], APIClient]) -> None:
    session = APIClient()
    session.force_login(User.objects.create_user("ops", is_staff=True))

    response = session.get("/api/v1/catalog/tracks")

    assert response.status_code == 200
    assert [t["isrc"] for t in response.json()] == ["QZKPX0000001"]


def test_a_distributor_portal_session_sees_only_its_catalog(client_for: Callable[[str], APIClient]) -> None:
    other = TrackFactory.create(isrc="QZKPX0000002")
    user = User.objects.create_user("distro-b-web")
    PortalAccount.objects.create(user=user, distributor=other.distributor)
    session = APIClient()
    session.force_login(user)

    response = session.get("/api/v1/catalog/tracks")

    assert response.status_code == 200
    assert [t["isrc"] for t in response.json()] == ["QZKPX0000002"]


def test_a_session_without_a_portal_account_is_refused(client_for: Callable[[str], APIClient]) -> None:
    session = APIClient()
    session.force_login(User.objects.create_user("visitor"))

    response = session.get("/api/v1/catalog/tracks")

    assert response.status_code == 403
    assert response.json()["detail"]
