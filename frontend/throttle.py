"""Login throttling: wrong passwords slow guessing without locking the right password out.

A small cache-based throttle instead of django-axes, on purpose: the only password logins
are this site's login page and the Django admin's, both of which go through
`authenticate()`, so one authentication backend covers them. Axes would add database
tables, a middleware on every request, and a backend that refuses `authenticate()` calls
without a request (breaking `Client.login` in the whole test suite) for the same effect.
The cache is Redis in production, so counts are shared by every web process; on the
embedded default it is per process, which is enough for a single dev server.

Rule (defaults in `_limits()`, set from the environment in settings.LOGIN_THROTTLE):

- Per (username, address) pair: the first `per_address` failures are free; after the
  k-th failure beyond them the pair waits 2^k seconds (at most `max_wait_seconds`). During
  the wait a login from that pair is refused without looking at the password, and the
  refusal is not a failure, so it does not lengthen the wait. A success resets the pair.
- Per username, from any address: past `per_username` failures, each attempt is slowed by
  one second per further failure, at most `max_delay_seconds`, and never refused. Refusing
  here would let anyone lock any artist out from elsewhere, which is what the per-pair
  rule exists to avoid; the right password from a new address always gets checked.
- One attempt per pair is checked at a time (a short cache lock), so parallel requests
  from one address cannot take several guesses inside the same gap between waits.

The per-username delay is a sleep in the web process, which holds a worker. So that
guessing at usernames cannot tie up every worker, at most `delayed_at_once` requests are
delayed at a time across the site; the others go through without the delay (still subject
to their pair's waits). The delay slows one-at-a-time guessing; the pair waits bound it.

Failures are remembered for `memory_seconds` after the last one. If the cache is
unreachable, logins are checked without throttling rather than refused (as for the API's
rate limits: the cache being down must not take logins down with it).
"""

import functools
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from redis.exceptions import RedisError

from accounts.login import login_name

logger = logging.getLogger(__name__)

PREFIX = "kx:login:"
# The request attribute through which the backend tells the login form why it refused.
_REFUSED_FOR = "_kx_login_refused_for"

# Module attributes, not direct calls, so tests can move time instead of waiting for it.
clock: Callable[[], float] = time.time
sleep: Callable[[float], None] = time.sleep

P = ParamSpec("P")
R = TypeVar("R")


def _limits() -> dict[str, int]:
    defaults = {
        "per_address": 5,
        "max_wait_seconds": 900,
        "per_username": 20,
        "max_delay_seconds": 5,
        "delayed_at_once": 1,
        "memory_seconds": 86_400,
    }
    return {**defaults, **getattr(settings, "LOGIN_THROTTLE", {})}


# ---------------------------------------------------------------------------- the rule


def pair_wait(*, failures: int, last_failure: float, now: float, limits: dict[str, int]) -> float:
    """Seconds this pair must still wait before its next attempt is checked (0: none)."""
    beyond = failures - limits["per_address"]
    if beyond <= 0:
        return 0.0
    # min() on the exponent first: 2**k of a long-running attack is a needlessly huge int.
    wait = min(2 ** min(beyond, 32), limits["max_wait_seconds"])
    return max(last_failure + wait - now, 0.0)


def username_delay(*, failures: int, limits: dict[str, int]) -> float:
    """Seconds every attempt at this username is slowed by, from its failures anywhere."""
    return float(max(min(failures - limits["per_username"], limits["max_delay_seconds"]), 0))


# ---------------------------------------------------------------------------- the store


def client_address(request: HttpRequest | None) -> str:
    """The address a login counts against.

    REMOTE_ADDR, unless the service runs behind a TLS proxy (BEHIND_TLS_PROXY): then
    REMOTE_ADDR is the proxy's, the same for everyone, and the per-address rule would
    become per-username (anyone could keep any artist out). The address the proxy saw is
    the last one it appended to X-Forwarded-For (LOGIN_TRUSTED_PROXIES hops from the end);
    entries before it are whatever the client wrote. An IPv6 client counts by its /64, which
    one subscriber usually holds whole.
    """
    if request is None:
        return "-"
    address = str(request.META.get("REMOTE_ADDR") or "-")
    hops = int(getattr(settings, "LOGIN_TRUSTED_PROXIES", 0))
    if hops:
        forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            address = forwarded[-hops]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _user_key(username: str) -> str:
    # Hashed: usernames are user input and cache keys have a restricted alphabet.
    return f"{PREFIX}u:{hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]}"


def _pair_key(username: str, address: str) -> str:
    return f"{_user_key(username)}:{hashlib.sha256(address.encode()).hexdigest()[:16]}"


def _pair_state(username: str, address: str) -> tuple[int, float]:
    """(failures, time of the last one) for the pair; (0, 0.0) when it has none."""
    failures, last = cache.get(_pair_key(username, address), (0, 0.0))
    return int(failures), float(last)


def _lock_seconds(limits: dict[str, int]) -> int:
    # Long enough for the delay plus a password hash; short enough that a process dying
    # mid-attempt does not block its pair for long.
    return limits["max_delay_seconds"] + 25


def _let_through_on_cache_error(default: R) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except (RedisError, OSError):
                logger.warning("login throttle not applied: cache unavailable", exc_info=True)
                return default

        return guarded

    return decorate


@_let_through_on_cache_error(0)
def begin_attempt(*, username: str, address: str) -> int:
    """Take the pair's turn to have a password checked: 0 if taken (then call
    `end_attempt`), otherwise the whole seconds to wait before trying again."""
    limits = _limits()
    if not cache.add(f"{_pair_key(username, address)}:turn", 1, timeout=_lock_seconds(limits)):
        # Another attempt from this pair is being checked right now.
        failures, last = _pair_state(username, address)
        return max(math.ceil(pair_wait(failures=failures, last_failure=last, now=clock(), limits=limits)), 1)
    failures, last = _pair_state(username, address)
    wait = pair_wait(failures=failures, last_failure=last, now=clock(), limits=limits)
    if wait > 0:
        end_attempt(username=username, address=address)
        return math.ceil(wait)
    return 0


@_let_through_on_cache_error(None)
def end_attempt(*, username: str, address: str) -> None:
    cache.delete(f"{_pair_key(username, address)}:turn")


@_let_through_on_cache_error(None)
def slow_down(*, username: str) -> None:
    """Sleep for the username's delay, if any and if a delay slot is free."""
    limits = _limits()
    delay = username_delay(failures=int(cache.get(_user_key(username), 0)), limits=limits)
    if delay <= 0:
        return
    for slot in range(limits["delayed_at_once"]):
        key = f"{PREFIX}delaying:{slot}"
        if cache.add(key, 1, timeout=_lock_seconds(limits)):
            try:
                sleep(delay)
            finally:
                cache.delete(key)
            return
    # Every slot busy: no delay rather than a refusal or another worker held.


@_let_through_on_cache_error(None)
def login_failed(*, username: str, address: str) -> None:
    memory = _limits()["memory_seconds"]
    # A read-modify-write, safe because the pair's turn lets one attempt at a time here.
    failures, _ = _pair_state(username, address)
    cache.set(_pair_key(username, address), (failures + 1, clock()), timeout=memory)
    # Many addresses fail at once for one username: this count needs the atomic incr().
    key = _user_key(username)
    if not cache.add(key, 1, timeout=memory):
        try:
            cache.incr(key)
            cache.touch(key, timeout=memory)  # remembered from the last failure, not the first
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=memory)


@_let_through_on_cache_error(None)
def login_succeeded(*, username: str, address: str) -> None:
    # The username's count across addresses stays: the guessing elsewhere has not stopped.
    cache.delete(_pair_key(username, address))


def refused_for(request: HttpRequest | None) -> int | None:
    """Seconds the backend told this request to wait, if it refused the login."""
    return getattr(request, _REFUSED_FOR, None)


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend, with the waits and delays of the rule above.

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
        if username is not None:
            username = login_name(username)
        if request is None or username is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        address = client_address(request)
        wait = begin_attempt(username=username, address=address)
        if wait:
            setattr(request, _REFUSED_FOR, wait)
            # PermissionDenied stops authenticate() from trying any other backend.
            raise PermissionDenied("Too many failed logins from this address; wait before trying again.")
        try:
            slow_down(username=username)
            user = super().authenticate(request, username=username, password=password, **kwargs)
            if user is None:
                login_failed(username=username, address=address)
            else:
                login_succeeded(username=username, address=address)
            return user
        finally:
            end_attempt(username=username, address=address)
