"""`manage.py create_artist_user ARTIST_ID USERNAME`: a dashboard login for one artist."""

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from artists.models import PortalAccount
from tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str | None = None, monkeypatch: Any = None) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", StringIO(stdin))
    call_command("create_artist_user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_generated_password_is_printed_alone_and_logs_in_to_the_artists_dashboard() -> None:
    ArtistFactory(id="art-7", name="Seven")
    out, err = run("art-7", "seven")
    password = out.rstrip("\n").splitlines()[-1]
    assert len(password) >= 16
    assert "seven" in err
    user = get_user_model().objects.get(username="seven")
    assert not user.is_staff
    assert PortalAccount.objects.get(user=user).artist_id == "art-7"
    client = Client()
    response = client.post("/login/", {"username": "seven", "password": password})
    assert response.status_code == 302
    assert client.get("/dashboard/")["Location"] == "/dashboard/art-7/"


def test_given_password_is_used_and_not_printed() -> None:
    ArtistFactory(id="art-8")
    out, _ = run("art-8", "eight", "--password", "correct-horse-battery-8")
    assert out == ""
    assert Client().login(username="eight", password="correct-horse-battery-8")


def test_password_from_stdin(monkeypatch: Any) -> None:
    ArtistFactory(id="art-9")
    run("art-9", "nine", "--password-stdin", stdin="stdin-passphrase-999\n", monkeypatch=monkeypatch)
    assert Client().login(username="nine", password="stdin-passphrase-999")


def test_unknown_artist_is_refused() -> None:
    with pytest.raises(CommandError, match="No artist"):
        run("art-missing", "ghost")
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_existing_username_is_refused_whatever_its_case() -> None:
    ArtistFactory(id="art-10")
    run("art-10", "Ten")
    with pytest.raises(CommandError, match="already exists"):
        run("art-10", "ten")


def test_weak_password_is_refused_and_nothing_is_created() -> None:
    ArtistFactory(id="art-11")
    with pytest.raises(CommandError, match="Password refused"):
        run("art-11", "eleven", "--password", "123")
    assert not get_user_model().objects.filter(username="eleven").exists()
