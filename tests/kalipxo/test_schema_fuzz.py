"""The API against its own OpenAPI schema, fuzzed by schemathesis through the WSGI app.

Every operation of /api/schema/ gets generated requests (25 per operation, valid and
invalid), as an admin and with no credentials; each answer must not be a server error,
and must be what the schema says: a documented status code, the documented content type
and a body matching the documented shape.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from artists.models import ApiClient
from artists.tokens import api_client_create

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Loaded at collection (no database needed: the schema is built from the views), so every
# operation is a test case of its own. (schemathesis' lazy `from_fixture` loading fails
# on pytest 9: it sets a test node's `_nodeid`, which pytest no longer has.)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure in CI reproduces locally
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Requests reach the app as plain WSGI calls, so nothing stops Django from closing the
    database connection after each one, taking the test's transaction with it (Django's
    own test client disconnects the same handler for the same reason)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db: None) -> dict[str, str]:
    """An admin's bearer token: every operation is open to it."""
    _, token = api_client_create(name="fuzz-admin", role=ApiClient.Role.ADMIN)
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@FUZZ
def test_the_api_keeps_to_its_schema_for_an_admin(case: Any, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=admin_headers, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_the_api_keeps_to_its_schema_without_credentials(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
