"""API plumbing shared by every app: fast JSON in and out, body limits, uniform errors.

Errors are always JSON: `{"detail": "..."}` for request-level problems, DRF's
`{"field": ["message"]}` shape for validation, and never a bare 500 page.
"""

import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.http import parse_header_parameters
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from kalipxo.validation import parse_whole_number

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


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> None:
    if len(pairs) > 1 and len({key for key, _ in pairs}) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)


# Builds nothing: the value comes from orjson, this pass only looks at each object's keys.
_duplicate_finder = json.JSONDecoder(object_pairs_hook=_refuse_duplicates)  # type: ignore[arg-type]


def duplicated_key(text: str) -> str | None:
    """The first key repeated inside one JSON object of `text` (already valid JSON), or None.

    orjson (like every JSON parser) silently keeps the last of duplicated keys, so
    `{"event_id": "a", "event_id": "b"}` would be stored as "b" while a log or a proxy that
    reads the first one sees "a". The stdlib decoder's pairs hook sees every key; measured
    on a 1,000-event batch (210 KB) this pass costs about 1.0-1.4 ms on top of orjson's
    0.4-0.7 ms, small beside the batch's insert, so every body is checked, whatever its size.
    """
    try:
        _duplicate_finder.decode(text)
    except _DuplicateKey as exc:
        return exc.key
    return None


class OrjsonParser(BaseParser):
    """Strict JSON: invalid UTF-8, NaN/Infinity, trailing garbage, deep nesting and keys
    repeated within one object are 400s."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        _, params = parse_header_parameters(media_type or "")
        charset = params.get("charset", "utf-8").strip().lower()
        if charset not in ("utf-8", "utf8"):
            raise exceptions.UnsupportedMediaType(
                media_type or "", detail=f"JSON must be encoded as UTF-8, not {charset[:32]!r}."
            )
        body = read_limited_body(stream, meta)
        if not body.strip():
            raise exceptions.ParseError("Request body is empty; send a JSON object or array.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                raise exceptions.ParseError(
                    "The body is not valid UTF-8; send JSON encoded as UTF-8."
                ) from exc
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from exc
        try:
            repeated = duplicated_key(body.decode("utf-8"))
        except RecursionError as exc:  # orjson allows 1,024 levels, the stdlib somewhat fewer
            raise exceptions.ParseError("Malformed JSON: nested too deeply.") from exc
        if repeated is not None:
            raise exceptions.ParseError(
                f"Duplicated key {repeated[:64]!r} in one JSON object; send each key once."
            )
        return data


class ClientRateThrottle(BaseThrottle):
    """Backpressure: writes per API client and scope, from DEFAULT_THROTTLE_RATES.

    A view opts in with `throttle_scope`; reads are never throttled. The caller is its API
    client (the token's row, `request.auth`) or its logged-in user. Requests are counted in
    fixed windows (a 1 s window for "600/second") with the cache's atomic increment: one
    Redis INCR per request, shared by every web process. DRF's own ScopedRateThrottle keeps
    a list of timestamps per client that each request reads and writes back, which costs
    more and loses counts when two processes write at once.

    The cache being down must not stop ingestion (docs/rules.md §4: in this service the API
    never depends on Redis), so a cache error lets the request through.
    """

    def __init__(self) -> None:
        self.window_end = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope or request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)  # read per request: settings can change
        if not rate:
            return True
        allowed, seconds = parse_rate(str(rate))
        client = getattr(request.auth, "pk", None)
        ident = f"c{client}" if client is not None else f"u{getattr(request.user, 'pk', None)}"
        now = time.time()
        window = int(now // seconds)
        self.window_end = (window + 1) * seconds
        key = f"kx:throttle:{scope}:{ident}:{window}"
        try:
            count = _count(key, timeout=seconds + 1)
        except (RedisError, OSError):
            logger.warning("rate limit of %s not checked: cache unavailable", scope, exc_info=True)
            return True
        return count <= allowed

    def wait(self) -> float:
        # Never 0: DRF sends Retry-After only for a positive wait.
        return max(self.window_end - time.time(), 0.001)


def query_whole_number(request: Any, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter (a limit, a page size), or a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    parsed = parse_whole_number(raw, minimum=minimum, maximum=maximum)
    if isinstance(parsed, str):
        raise exceptions.ValidationError({name: [parsed]})
    return parsed


def parse_rate(rate: str) -> tuple[int, int]:
    """("600/second") -> (600, 1): requests allowed per window, window length in seconds."""
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[:1])
    if not count.isdigit() or seconds is None:
        raise ValueError(f'Rates look like "600/second" or "100/minute", not {rate!r}.')
    return int(count), seconds


def _count(key: str, *, timeout: int) -> int:
    """This request's number in its window (atomic in Redis and in the local-memory cache)."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # the window's key expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1


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
    elif isinstance(exc, exceptions.Throttled):
        scope = getattr(context.get("view"), "throttle_scope", "")
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope, "")
        wait = getattr(exc, "wait", None) or 1
        response = drf_exception_handler(exc, context)
        if response is not None:
            response.data = {
                "detail": f"Too many requests from this client: the {scope} rate is {rate}. Nothing "
                f"of this request was stored; send it again after {wait} s (Retry-After).",
                "retry_after": wait,
            }
        return response
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


ERROR_ANSWERS = {
    "400": "Malformed request or invalid values; the body names each problem.",
    "401": "No credentials, or an unknown or revoked token.",
    "403": "This endpoint is not for the caller's role.",
    "404": "No such object that the caller may see.",
    "405": "Method not allowed.",
    "406": "The Accept header asks for a media type this endpoint cannot answer in.",
    "413": "Request body larger than API_MAX_BODY_BYTES.",
    "415": "Not JSON (UTF-8, application/json).",
    "503": "The database is briefly unavailable; nothing was stored. Retry after Retry-After.",
}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def document_error_answers(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the JSON error answers every endpoint can give.

    They come from this module (the parser, the exception handler) and DRF's permission
    and negotiation steps, not from any one view, so they are documented here once.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "description": '{"detail": "..."} for the request as a whole, or {"field": ["message", ...]} '
        "per field (per-item errors of a batch under `rejected`).",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = ["400", "404", "405", "406", "503"]
            if any(requirement for requirement in operation.get("security", [])):
                codes += ["401", "403"]
            if method in ("post", "put", "patch"):
                codes += ["413", "415"]
            for code in codes:
                responses.setdefault(code, {"description": ERROR_ANSWERS[code]})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response.setdefault("content", _ERROR_CONTENT)
    return result


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
