"""`manage.py create_api_client`: one client per call, its token printed once, stored hashed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from artists.models import ApiClient, Distributor
from artists.tokens import api_client_by_token
from tests.factories import ArtistFactory, DistributorFactory

pytestmark = pytest.mark.django_db


def create_client(*args: str) -> str:
    """Run the command and return its stdout."""
    out, err = StringIO(), StringIO()
    call_command("create_api_client", *args, stdout=out, stderr=err)
    return out.getvalue()


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


@pytest.mark.parametrize("role", ["ingest", "billing", "admin"])
def test_platform_roles_get_a_token_alone_on_the_last_line(role: str) -> None:
    token = last_line(create_client("player-eu", "--role", role))

    assert token.startswith("kx_")
    assert " " not in token
    client = ApiClient.objects.get(name="player-eu")
    assert client.role == role
    assert client.distributor is None
    assert client.artist is None
    assert api_client_by_token(token) == client


def test_distributor_role_creates_the_distributor_when_new() -> None:
    token = last_line(create_client("distro-a", "--role", "distributor", "--distributor", "Distro A"))

    client = ApiClient.objects.get(name="distro-a")
    assert client.role == ApiClient.Role.DISTRIBUTOR
    assert client.distributor == Distributor.objects.get(name="Distro A")
    assert api_client_by_token(token) == client


def test_distributor_role_reuses_an_existing_distributor() -> None:
    existing = DistributorFactory(name="Distro A")

    create_client("distro-a-2", "--role", "distributor", "--distributor", "Distro A")

    assert Distributor.objects.filter(name="Distro A").count() == 1
    assert ApiClient.objects.get(name="distro-a-2").distributor == existing


def test_artist_role_is_bound_to_an_existing_artist() -> None:
    artist = ArtistFactory(id="art-1")

    token = last_line(create_client("art-1-app", "--role", "artist", "--artist", "art-1"))

    client = ApiClient.objects.get(name="art-1-app")
    assert client.role == ApiClient.Role.ARTIST
    assert client.artist == artist
    assert api_client_by_token(token) == client


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "artist", "--artist", "nobody"], "No artist"),
        (["--role", "artist"], "--artist"),
        (["--role", "distributor"], "--distributor"),
        (["--role", "ingest", "--distributor", "Distro A"], "--distributor only applies"),
        (["--role", "billing", "--artist", "art-1"], "--artist only applies"),
        (["--role", "superuser"], "invalid choice"),
    ],
)
def test_bad_combinations_are_command_errors_and_create_nothing(args: list[str], message: str) -> None:
    ArtistFactory(id="art-1")

    with pytest.raises(CommandError, match=message):
        create_client("bad", *args)

    assert not ApiClient.objects.exists()
    assert not Distributor.objects.filter(name="Distro A").exists()


def test_names_are_unique() -> None:
    create_client("player-eu", "--role", "ingest")

    with pytest.raises(CommandError, match="already exists"):
        create_client("player-eu", "--role", "billing")

    assert ApiClient.objects.get(name="player-eu").role == ApiClient.Role.INGEST


def test_the_token_is_stored_only_as_a_digest() -> None:
    token = last_line(create_client("player-eu", "--role", "ingest"))

    client = ApiClient.objects.get(name="player-eu")
    stored = [str(value) for value in ApiClient.objects.values_list().get(pk=client.pk)]
    assert all(token not in value for value in stored)
    assert len(client.token_hash) == 64
    assert token.startswith(client.token_prefix)
    assert len(client.token_prefix) < len(token) // 2


def test_each_client_gets_a_different_token() -> None:
    first = last_line(create_client("one", "--role", "ingest"))
    second = last_line(create_client("two", "--role", "ingest"))

    assert first != second


def test_the_printed_token_authenticates_on_the_api() -> None:
    token = last_line(create_client("billing-system", "--role", "billing"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api.post(
        "/api/v1/revenue",
        {"id": "inv-1", "listener": "L1", "month": "2026-10", "source": "subscription",
         "plan": "premium", "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
