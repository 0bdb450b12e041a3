"""Login throttling: wrong passwords lock a username for a while.

A small cache-based throttle instead of django-axes, on purpose: the only password logins
are this site's login page and the Django admin's, both of which go through
`authenticate()`, so one authentication backend covers them. Axes would add database
tables, a middleware on every request, and a backend that refuses `authenticate()` calls
without a request (breaking `Client.login` in the whole test suite) for the same effect.
The cache is Redis in production, so counts are shared by every web process; on the
embedded default it is per process, which is enough for a single dev server.

Rule: within `window_seconds`, `per_address` failures for a username from one address,
or `per_username` failures for it from anywhere, lock that username until the window
ends. Counting per username (not per address alone) also slows guessing spread over many
addresses; a successful login clears the per-address count.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

PREFIX = "kx:login:"


def _limits() -> dict[str, int]:
    defaults = {"per_address": 5, "per_username": 20, "window_seconds": 900}
    return {**defaults, **getattr(settings, "LOGIN_THROTTLE", {})}


def client_address(request: HttpRequest | None) -> str:
    """REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a proxy we
    trust rewrites it, and a spoofable key would make the per-address limit useless."""
    if request is None:
        return "-"
    return str(request.META.get("REMOTE_ADDR") or "-")


def _keys(username: str, address: str) -> tuple[str, str]:
    # Hashed: usernames are user input and cache keys have a restricted alphabet.
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    where = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"{PREFIX}u:{user}", f"{PREFIX}ua:{user}:{where}"


def login_locked(*, username: str, address: str) -> bool:
    """Whether logins for this username (from this address) are refused for now."""
    limits = _limits()
    by_user, by_pair = _keys(username, address)
    counts = cache.get_many([by_user, by_pair])
    return counts.get(by_user, 0) >= limits["per_username"] or counts.get(by_pair, 0) >= limits["per_address"]


def login_failed(*, username: str, address: str) -> None:
    window = _limits()["window_seconds"]
    for key in _keys(username, address):
        # add() starts the window only on the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=window)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_keys(username, address)[1])


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend, refusing locked usernames and counting failures.

    Calls without a request (the shell, `Client.login` in tests) are not throttled: they
    do not come from the network.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is None or username is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        address = client_address(request)
        if login_locked(username=username, address=address):
            # PermissionDenied stops authenticate() from trying any other backend.
            raise PermissionDenied("Too many failed logins.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failed(username=username, address=address)
        else:
            login_succeeded(username=username, address=address)
        return user
