"""HTTP TRACE is refused everywhere: a TRACE answer would echo the request's cookies and
authorization header back (cross-site tracing)."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/", "/calculator/", "/login/", "/dashboard/", "/console/", "/admin/", "/no-such-page/"]
API = [
    "/api/v1/calculator",
    "/api/v1/streams",
    "/api/v1/payout-runs/1",
    "/api/schema/",
    "/api/docs/",
    "/api/v1/nope",
]
SECRET = "Bearer kx-not-to-be-echoed"


@pytest.mark.parametrize("path", PAGES + API + ["/static/frontend/site.css"])
@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "staff"])
def test_trace_is_a_405_on_every_url(client: Client, admin_user: Any, path: str, logged_in: bool) -> None:
    if logged_in:
        client.force_login(admin_user)

    response = client.generic("TRACE", path, HTTP_AUTHORIZATION=SECRET)

    assert response.status_code == 405
    assert "TRACE" not in response["Allow"]
    assert "GET" in response["Allow"]
    assert b"kx-not-to-be-echoed" not in response.content


@pytest.mark.parametrize("path", API)
def test_the_api_says_so_in_json(client: Client, path: str) -> None:
    response = client.generic("TRACE", path)

    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": 'Method "TRACE" not allowed.'}


def test_other_methods_still_reach_the_pages(client: Client) -> None:
    assert client.get("/").status_code == 200
    assert client.head("/").status_code == 200
