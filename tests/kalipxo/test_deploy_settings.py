"""Production settings pass Django's deployment checklist; development stays plain HTTP."""

import importlib.util
import secrets
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "kalipxo" / "settings.py"
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "kalipxo.example",
    "DATABASE_URL": "postgres://kalipxo@127.0.0.1:5432/kalipxo",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
SWITCHES = ("HTTPS_ONLY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
            "BEHIND_TLS_PROXY", "SECURE_REDIRECT_EXEMPT", "SECURE_REFERRER_POLICY")  # fmt: skip


def load_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """kalipxo/settings.py evaluated afresh under `env` (nothing else of the test's env)."""
    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
    # Set by the browser tests for Playwright's sake; production never sets it (async.E001).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("kalipxo_settings_under_test", SETTINGS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Left as the test run has them: swapping the connections or the app registry under a
# running test is not what is being checked.
KEEP = {"DATABASES", "CACHES", "INSTALLED_APPS", "LOGGING"}


def as_overrides(module: ModuleType) -> dict[str, Any]:
    return {name: getattr(module, name) for name in dir(module) if name.isupper() and name not in KEEP}


def test_production_settings_pass_check_deploy_without_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    production = load_settings(monkeypatch, **PRODUCTION_ENV)

    with override_settings(**as_overrides(production)):
        # fail_level WARNING: any warning raises SystemCheckError, as in .ci/run.
        call_command("check", deploy=True, fail_level="WARNING")

    assert production.SECURE_SSL_REDIRECT and production.SESSION_COOKIE_SECURE
    assert production.CSRF_COOKIE_SECURE and production.SECURE_HSTS_SECONDS >= 31_536_000
    assert production.X_FRAME_OPTIONS == "DENY"
    assert not hasattr(production, "SECURE_PROXY_SSL_HEADER")  # only when told it is behind a proxy


def test_the_checklist_does_catch_an_insecure_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management.base import SystemCheckError

    insecure = load_settings(monkeypatch, **PRODUCTION_ENV, SESSION_COOKIE_SECURE="0")

    with override_settings(**as_overrides(insecure)), pytest.raises(SystemCheckError, match="W012"):
        call_command("check", deploy=True, fail_level="WARNING")


def test_debug_relaxes_https(monkeypatch: pytest.MonkeyPatch) -> None:
    development = load_settings(monkeypatch, DEBUG="1")

    assert not development.SECURE_SSL_REDIRECT
    assert not development.SESSION_COOKIE_SECURE
    assert development.SECURE_HSTS_SECONDS == 0


def test_plain_http_on_loopback_turns_https_off_in_one_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    loopback = load_settings(monkeypatch, **PRODUCTION_ENV, HTTPS_ONLY="0")

    assert (loopback.SECURE_SSL_REDIRECT, loopback.SESSION_COOKIE_SECURE, loopback.SECURE_HSTS_SECONDS) == (
        False,
        False,
        0,
    )


def test_behind_a_tls_proxy_the_forwarded_proto_is_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    proxied = load_settings(monkeypatch, **PRODUCTION_ENV, BEHIND_TLS_PROXY="1")

    assert proxied.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.django_db
def test_production_redirects_plain_http_and_sends_hsts(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    production = load_settings(monkeypatch, **PRODUCTION_ENV)
    keys = (
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
    )

    with override_settings(ALLOWED_HOSTS=["kalipxo.example"], **{k: getattr(production, k) for k in keys}):
        plain = client.get("/calculator/", HTTP_HOST="kalipxo.example")
        secure = client.get("/calculator/", HTTP_HOST="kalipxo.example", secure=True)

    assert plain.status_code == 301
    assert plain["Location"] == "https://kalipxo.example/calculator/"
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure["X-Frame-Options"] == "DENY"
