"""A page's request body over the largest upload is refused before anything reads it."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_oversized_page_body_is_refused_before_it_is_read(client: Client, settings: Any) -> None:
    settings.PAGE_MAX_BODY_BYTES = 1000
    settings.IDENTITY_DOCUMENT_MAX_BYTES = 1024 * 1024
    response = client.post("/login/", {"username": "x", "password": "y" * 2000})
    assert response.status_code == 413
    assert "at most 1 MB" in response.content.decode()
    assert client.post("/login/", {"username": "x", "password": "y"}).status_code == 200


def test_the_api_keeps_its_own_limit(client: Client, settings: Any) -> None:
    settings.PAGE_MAX_BODY_BYTES = 10
    response = client.post("/api/v1/streams", "[]", content_type="application/json")
    assert response.status_code == 401  # not 413: the API's own checks answer
