"""API plumbing shared by every app: fast JSON in and out, body limits, uniform errors.

Errors are always JSON: `{"detail": "..."}` for request-level problems, DRF's
`{"field": ["message"]}` shape for validation, and never a bare 500 page.
"""

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than {limit} bytes; send smaller batches.")


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is briefly unavailable; nothing was stored. Retry shortly."
    default_code = "service_unavailable"


def read_limited_body(stream: Any, meta: dict[str, Any]) -> bytes:
    """Read a request body, refusing more than API_MAX_BODY_BYTES without reading it all."""
    limit = int(settings.API_MAX_BODY_BYTES)
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise exceptions.ParseError("Content-Length is not a number.") from exc
    if declared > limit:
        raise PayloadTooLarge(limit)
    if stream is None:
        return b""
    body: bytes = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(limit)
    return body


class OrjsonParser(BaseParser):
    """Strict JSON: invalid UTF-8, NaN/Infinity, trailing garbage and deep nesting are 400s."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        body = read_limited_body(stream, meta)
        if not body.strip():
            raise exceptions.ParseError("Request body is empty; send a JSON object or array.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Cannot serialize {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_json_default)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        return dumps(data)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus JSON answers for the cases it leaves to Django's HTML pages."""
    # Imported here: rest_framework.views reads the renderer and parser settings, which
    # name classes of this module, so a module-level import fails whenever this module
    # is imported first (a task, a shell, a test).
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(int(settings.API_MAX_BODY_BYTES))
    elif isinstance(exc, OperationalError | InterfaceError):
        # A dropped connection is transient: tell the client to retry, the transaction
        # was rolled back so nothing of the request was kept.
        logger.warning("database unavailable during %s", context.get("view"), exc_info=exc)
        response = drf_exception_handler(ServiceUnavailable(), context)
        if response is not None:
            response["Retry-After"] = "2"
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, Http404 | PermissionDenied):
        response.data = {"detail": str(response.data.get("detail", ""))}
    return response


def json_error_view(status_code: int, detail: str):  # type: ignore[no-untyped-def]
    """Build a Django error handler that answers JSON under /api/ and HTML elsewhere."""
    from django.views import defaults

    html_views: dict[int, Callable[..., HttpResponse]] = {
        404: defaults.page_not_found,
        500: defaults.server_error,
        400: defaults.bad_request,
    }

    def view(request: HttpRequest, exception: Exception | None = None) -> Any:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=status_code)
        if status_code == 500:
            return html_views[500](request)
        return html_views[status_code](request, exception)

    return view
