"""Login throttling: wrong passwords slow guessing, on the page and in the admin, but the
right password from a new address always logs in."""

import html
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from frontend import throttle
from tests.frontend.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# The shipped rule, without the per-username delay: those tests would otherwise sleep for
# real; the delay has its own tests below.
RULE = {"per_address": 5, "max_wait_seconds": 900, "per_username": 20, "max_delay_seconds": 0}

WRONG = "Please enter a correct username and password"
# The wait shown after the 5+k-th failure of a pair, k = 1, 2, …: 2^k seconds, at most 15 min.
WAITS = [
    "2 seconds",
    "4 seconds",
    "8 seconds",
    "16 seconds",
    "32 seconds",
    "1 minute 4 seconds",
    "2 minutes 8 seconds",
    "4 minutes 16 seconds",
    "8 minutes 32 seconds",
    "15 minutes",
    "15 minutes",
]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Time that only moves when the test says so."""
    fake = Clock()
    monkeypatch.setattr(throttle, "clock", fake)
    return fake


@pytest.fixture
def username(make_user: Any) -> str:
    """A fresh login (unique name: the cache outlives the test database)."""
    name = f"user-{uuid.uuid4().hex[:10]}"
    make_user(name)
    return name


def login(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def error(response: Any) -> str:
    """The form's error, as the page shows it ("" if none)."""
    found = re.search(r'<div class="alert" role="alert">(.*?)</div>', response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def wait_shown(response: Any) -> str | None:
    """The wait a refused login is told to observe, or None if the login was not refused."""
    assert response.status_code == 200
    found = re.search(r"Wait (.+?) before trying again", error(response))
    return found.group(1) if found else None


def checked_and_wrong(response: Any) -> bool:
    """The password was checked and found wrong (not refused unchecked)."""
    return response.status_code == 200 and WRONG in error(response)


@override_settings(LOGIN_THROTTLE=RULE)
def test_a_pair_waits_2_to_the_k_seconds_after_its_5_plus_kth_failure_at_most_15_minutes(
    client: Client, username: str, clock: Clock
) -> None:
    for _ in range(5):
        assert checked_and_wrong(login(client, username, "wrong"))
    for k, shown in enumerate(WAITS, start=1):
        assert checked_and_wrong(login(client, username, "wrong"))  # failure 5 + k
        # During the wait not even the right password is checked.
        assert wait_shown(login(client, username, PASSWORD)) == shown
        clock.advance(min(2**k, 900) - 1)
        # Refusals are not failures: if they were, the next wait would be longer.
        assert wait_shown(login(client, username, "wrong")) == "1 second"
        clock.advance(1)
    assert login(client, username, PASSWORD).status_code == 302


@override_settings(LOGIN_THROTTLE=RULE)
def test_the_wait_message_is_honest_and_the_same_for_an_unknown_username(
    client: Client, username: str, clock: Clock
) -> None:
    ghost = f"nobody-{uuid.uuid4().hex[:10]}"
    messages = []
    for name in (username, ghost):
        for _ in range(6):
            login(client, name, "wrong")
        response = login(client, name, PASSWORD)
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
        messages.append(error(response))
    assert messages[0] == messages[1]
    assert messages[0] == (
        "Too many failed attempts for this username from your address. Wait 2 seconds before "
        "trying again, or ask an admin to reset your password."
    )


@override_settings(LOGIN_THROTTLE=RULE)
def test_the_right_password_from_a_new_address_logs_in_while_the_username_is_attacked(
    client: Client, username: str, clock: Clock
) -> None:
    for i in range(5):
        for _ in range(5):
            assert checked_and_wrong(login(client, username, "wrong", address=f"10.1.0.{i}"))
    assert checked_and_wrong(login(client, username, "wrong", address="10.1.0.0"))  # the 26th
    assert wait_shown(login(client, username, PASSWORD, address="10.1.0.0")) == "2 seconds"
    assert login(client, username, PASSWORD, address="10.9.9.9").status_code == 302


@override_settings(LOGIN_THROTTLE=RULE)
def test_a_success_resets_the_pairs_count(client: Client, username: str, clock: Clock) -> None:
    for _ in range(6):
        login(client, username, "wrong")
    clock.advance(2)
    assert login(client, username, PASSWORD).status_code == 302
    client.post("/logout/")
    # Five free failures again, and no wait after them.
    for _ in range(5):
        assert checked_and_wrong(login(client, username, "wrong"))
    assert login(client, username, PASSWORD).status_code == 302


@override_settings(LOGIN_THROTTLE=RULE)
def test_other_usernames_from_the_same_address_are_not_affected(
    client: Client, username: str, make_user: Any, clock: Clock
) -> None:
    other = f"user-{uuid.uuid4().hex[:10]}"
    make_user(other)
    for _ in range(6):
        login(client, username, "wrong")
    assert wait_shown(login(client, username, PASSWORD)) == "2 seconds"
    assert login(client, other, PASSWORD).status_code == 302


def test_the_admin_has_no_login_of_its_own(client: Client, make_user: Any) -> None:
    """The admin's login sends to /login/ (throttled, with the second factor); a password
    posted to it is never checked there."""
    name = f"staff-{uuid.uuid4().hex[:10]}"
    make_user(name, is_staff=True)
    response = client.post("/admin/login/", {"username": name, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert not response.wsgi_request.user.is_authenticated
    assert login(client, name, PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_logins_without_a_request_are_not_throttled(username: str) -> None:
    client = Client()
    assert client.login(username=username, password=PASSWORD)


# ---------------------------------------------------------------------------- per-username delay


@pytest.mark.slow
def test_the_username_delay_is_at_most_5_seconds_and_never_a_refusal(client: Client, username: str) -> None:
    """In real time, with the shipped settings: 40 failures from 40 addresses would be a
    20 s delay uncapped; the right password from a new address waits 5 s and logs in."""
    with override_settings(LOGIN_THROTTLE={**settings.LOGIN_THROTTLE, "max_delay_seconds": 0}):
        for i in range(40):
            assert checked_and_wrong(login(client, username, "wrong", address=f"10.2.{i}.1"))
    started = time.monotonic()
    response = login(client, username, PASSWORD, address="10.3.0.1")
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert 4.9 <= elapsed < 7


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays logins are slowed by, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(throttle, "sleep", recorded.append)
    return recorded


@override_settings(LOGIN_THROTTLE={**RULE, "max_delay_seconds": 5})
def test_past_20_failures_anywhere_each_attempt_is_slowed_a_second_more_up_to_5(
    client: Client, username: str, sleeps: list[float]
) -> None:
    for i in range(27):
        # Slowed, never refused: every attempt has its password checked.
        assert checked_and_wrong(login(client, username, "wrong", address=f"10.4.{i}.1"))
    assert sleeps == [1, 2, 3, 4, 5, 5]  # attempts 22 to 27, after 21 to 26 failures


def during_the_delay(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[], Any]
) -> tuple[list[float], list[Any]]:
    """Run `action` while the first delayed login sleeps, as a concurrent request would.
    Returns the delays slept (recorded, not slept) and, once it has run, what it returned."""
    delays: list[float] = []
    results: list[Any] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 1:
            results.append(action())

    monkeypatch.setattr(throttle, "sleep", sleep)
    return delays, results


@override_settings(LOGIN_THROTTLE={**RULE, "per_username": 0, "max_delay_seconds": 5})
def test_while_one_login_is_delayed_the_others_are_not_held_as_well(
    client: Client, username: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delay holds a web worker: guessing must not be able to hold all of them."""
    assert checked_and_wrong(login(client, username, "wrong", address="10.5.0.1"))
    delays, results = during_the_delay(
        monkeypatch, lambda: login(Client(), username, PASSWORD, address="10.5.0.2")
    )
    assert login(client, username, PASSWORD, address="10.5.0.3").status_code == 302
    assert delays == [1]  # the concurrent login was not slowed as well
    assert results[0].status_code == 302  # nor refused


@override_settings(LOGIN_THROTTLE={**RULE, "per_username": 0, "max_delay_seconds": 5})
def test_one_attempt_per_address_is_checked_at_a_time(
    client: Client, username: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parallel requests from one address cannot take several guesses in one gap between waits."""
    assert checked_and_wrong(login(client, username, "wrong"))
    _, results = during_the_delay(monkeypatch, lambda: login(Client(), username, "guess"))
    assert login(client, username, PASSWORD).status_code == 302
    assert wait_shown(results[0]) == "1 second"  # refused unchecked while the first is checked


@override_settings(LOGIN_THROTTLE=RULE, LOGIN_TRUSTED_PROXIES=1)
def test_behind_a_proxy_each_client_counts_by_the_address_the_proxy_saw(clock: Clock, username: str) -> None:
    """Everyone arrives from the proxy's address: counting that would lock the username for all."""
    proxy = "10.9.9.9"

    def through_proxy(password: str, client_says: str, proxy_saw: str) -> Any:
        return Client().post(
            "/login/",
            {"username": username, "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"{client_says}, {proxy_saw}",
        )

    for _ in range(7):  # an attacker, claiming to be the victim's address in vain
        through_proxy("wrong-password", client_says="203.0.113.7", proxy_saw="198.51.100.66")
    assert wait_shown(through_proxy(PASSWORD, client_says="x", proxy_saw="198.51.100.66")) is not None
    victim = through_proxy(PASSWORD, client_says="198.51.100.66", proxy_saw="203.0.113.7")
    assert victim.status_code == 302, error(victim)


def test_an_ipv6_client_counts_by_its_64_and_a_proxy_is_trusted_only_when_configured() -> None:
    request: Any = type("Request", (), {})()
    request.META = {"REMOTE_ADDR": "2001:db8:1:2:aaaa::1", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    assert throttle.client_address(request) == "2001:db8:1:2::/64"
    request.META["REMOTE_ADDR"] = "2001:db8:1:2:ffff::9"
    assert throttle.client_address(request) == "2001:db8:1:2::/64"  # the same subscriber
    with override_settings(LOGIN_TRUSTED_PROXIES=1):
        assert throttle.client_address(request) == "192.0.2.1"
