"""Login throttling: wrong passwords lock a username for a while, on the page and in the admin."""

import uuid
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.frontend.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIMITS = {"per_address": 3, "per_username": 5, "window_seconds": 60}


@pytest.fixture
def username(make_user: Any) -> str:
    """A fresh login (unique name: the cache outlives the test database)."""
    name = f"user-{uuid.uuid4().hex[:10]}"
    make_user(name)
    return name


def login(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@override_settings(LOGIN_THROTTLE=LIMITS)
def test_too_many_failures_lock_the_username_even_with_the_right_password(
    client: Client, username: str
) -> None:
    for _ in range(3):
        assert login(client, username, "wrong").status_code == 200
    response = login(client, username, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()


@override_settings(LOGIN_THROTTLE=LIMITS)
def test_the_per_address_lock_leaves_other_addresses_alone(client: Client, username: str) -> None:
    for _ in range(3):
        login(client, username, "wrong", address="10.0.0.1")
    assert login(client, username, PASSWORD, address="10.0.0.2").status_code == 302


@override_settings(LOGIN_THROTTLE=LIMITS)
def test_failures_from_many_addresses_lock_the_username_everywhere(client: Client, username: str) -> None:
    for i in range(5):
        login(client, username, "wrong", address=f"10.0.1.{i}")
    response = login(client, username, PASSWORD, address="10.0.2.1")
    assert "Too many failed attempts" in response.content.decode()


@override_settings(LOGIN_THROTTLE=LIMITS)
def test_a_success_clears_the_count_for_that_address(client: Client, username: str) -> None:
    for _ in range(2):
        login(client, username, "wrong")
    assert login(client, username, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(2):
        login(client, username, "wrong")
    assert login(client, username, PASSWORD).status_code == 302


@override_settings(LOGIN_THROTTLE=LIMITS)
def test_other_usernames_are_not_affected(client: Client, username: str, make_user: Any) -> None:
    other = f"user-{uuid.uuid4().hex[:10]}"
    make_user(other)
    for _ in range(3):
        login(client, username, "wrong")
    assert login(client, other, PASSWORD).status_code == 302


@override_settings(LOGIN_THROTTLE=LIMITS)
def test_the_admin_login_is_throttled_too(client: Client, make_user: Any) -> None:
    name = f"staff-{uuid.uuid4().hex[:10]}"
    make_user(name, is_staff=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": name, "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = client.post("/admin/login/", {"username": name, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200  # the form again, not a redirect into the admin
    assert not response.wsgi_request.user.is_authenticated


def test_logins_without_a_request_are_not_throttled(username: str) -> None:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
