"""allauth's pages, walked as the access table walks ours (they are whitelisted there): every
one answers anyone without an error; those about a login send a visitor to /login/; none
serves a login form of its own."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Passphrase-42"
NEEDS_LOGIN = [
    "/accounts/email/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/password/change/",
    "/accounts/reauthenticate/",
]


def allauth_paths() -> list[str]:
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.startswith("accounts/"):
                found.append(route)

    walk(get_resolver().url_patterns, "")
    # Keys and ids a mail would carry: made-up ones, which must be refused politely.
    filled = [
        re.sub(r"\(\?P<\w+>[^)]*\)", "x1", path).strip("^$").replace("^", "").replace("$", "")
        for path in found
    ]
    return sorted("/" + path for path in filled)


@pytest.mark.parametrize("path", allauth_paths())
def test_every_allauth_page_answers_a_visitor_and_a_login_without_an_error(path: str) -> None:
    visitor = Client()
    assert visitor.get(path).status_code in (200, 302, 404), path
    user = get_user_model().objects.create_user("mira", password=PASSWORD)
    member = Client()
    member.force_login(user)
    assert member.get(path).status_code in (200, 302, 404), path


@pytest.mark.parametrize("path", NEEDS_LOGIN)
def test_pages_about_a_login_send_a_visitor_to_the_one_login_page(path: str) -> None:
    response = Client().get(path, follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next="), path
    assert response.status_code == 200 and "Log in" in response.content.decode()


def test_allauth_has_no_login_form_of_its_own() -> None:
    response = Client().get("/accounts/login/?next=/console/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/console/"
