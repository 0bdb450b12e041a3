"""The API answers JSON in every case (404, 413, 415, 503, 500) and documents itself offline."""

import io
import re
from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from rest_framework import exceptions
from rest_framework.test import APIClient, APIRequestFactory

from kalipxo.api import PayloadTooLarge, exception_handler, read_limited_body
from streams import views as stream_views
from streams.models import RevenueRecord

pytestmark = pytest.mark.django_db

REVENUE = {
    "id": "inv-2026-10-L1", "listener": "L1", "month": "2026-10", "source": "subscription",
    "plan": "premium", "country": "US", "gross": "14.99", "tax": "0.00", "fees": "0.00",
}  # fmt: skip


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/streams", "/api/", "/api/v1/streams/extra"])
def test_unknown_api_urls_are_a_json_404(anon_api: APIClient, settings: Any, path: str) -> None:
    settings.DEBUG = False

    response = anon_api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "/api/docs/" in response.json()["detail"]


def test_unknown_pages_outside_the_api_stay_html(anon_api: APIClient, settings: Any) -> None:
    settings.DEBUG = False

    response = anon_api.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_error_is_a_json_500(
    billing_api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False

    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(stream_views.revenue, "revenue_records_ingest", explode)
    billing_api.raise_request_exception = False

    response = billing_api.post("/api/v1/revenue", REVENUE, format="json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "nothing was stored" in response.json()["detail"]
    assert "boom" not in response.content.decode()


def test_a_lost_database_is_a_503_to_retry(billing_api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def lost(**kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(stream_views.revenue, "revenue_records_ingest", lost)

    response = billing_api.post("/api/v1/revenue", REVENUE, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "Retry" in response.json()["detail"]
    assert "connection" not in response.json()["detail"]
    assert not RevenueRecord.objects.exists()


def test_djangos_upload_limit_is_reported_as_a_413() -> None:
    request = APIRequestFactory().post("/api/v1/streams")

    response = exception_handler(RequestDataTooBig(), {"request": request, "view": None})

    assert response is not None
    assert response.status_code == 413
    assert "bytes" in str(response.data["detail"])


def test_a_non_numeric_content_length_is_a_400(settings: Any) -> None:
    with pytest.raises(exceptions.ParseError, match="Content-Length"):
        read_limited_body(io.BytesIO(b"{}"), {"CONTENT_LENGTH": "abc"})


@pytest.mark.parametrize(
    ("meta", "body"),
    [({"CONTENT_LENGTH": "11"}, b"{}"), ({}, b"x" * 11)],
    ids=["declared-too-large", "longer-than-declared"],
)
def test_a_body_over_the_limit_is_refused_before_or_while_reading(
    settings: Any, meta: dict[str, str], body: bytes
) -> None:
    settings.API_MAX_BODY_BYTES = 10

    with pytest.raises(PayloadTooLarge):
        read_limited_body(io.BytesIO(body), meta)


def test_a_body_of_exactly_the_limit_is_read_whole(settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 10

    assert read_limited_body(io.BytesIO(b"x" * 10), {"CONTENT_LENGTH": "10"}) == b"x" * 10


# --- OpenAPI -------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_v1_endpoints(anon_api: APIClient) -> None:
    response = anon_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/streams", "/api/v1/revenue", "/api/v1/catalog/tracks"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/v1/streams"]
    assert schema["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
    assert {"bearerToken": []} in schema["paths"]["/api/v1/revenue"]["post"]["security"]


def test_the_api_docs_are_served_without_third_party_hosts(anon_api: APIClient) -> None:
    response = anon_api.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert scripts, "Swagger UI should load its bundle"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(url.startswith("/static/") for url in assets), assets
    assert not re.search(r"https?://|//cdn", html)
