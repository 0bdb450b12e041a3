"""Request checks that no single view should have to remember."""

from collections.abc import Callable

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    JsonResponse,
)

NUL_MESSAGE = "NUL characters (%00) are not allowed in URLs."
# Every method some URL of the service answers; OPTIONS on an API URL gives its own list.
SERVED_METHODS = ("GET", "HEAD", "OPTIONS", "POST")


class RefuseNulInUrlMiddleware:
    """400 for a NUL in the path or the query string, before any view sees it.

    Ids from URLs (artist ids, payees, `?after=`) go straight into queries, and PostgreSQL
    text cannot hold a NUL: psycopg raises ValueError, which would be a 500. No id or
    parameter of ours ever contains one, so refusing it here covers every view at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class RefuseTraceMiddleware:
    """405 for TRACE on every URL, API and pages alike.

    A TRACE answer echoes the request, its cookies and authorization headers included, back
    to whoever sent it (cross-site tracing). DRF's views refuse it, but Django's function
    views (the pages) answer any method they do not check, so it is refused here once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "TRACE":
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": 'Method "TRACE" not allowed.'}, status=405)
            response["Allow"] = ", ".join(SERVED_METHODS)
            return response
        return HttpResponseNotAllowed(SERVED_METHODS)


class RefuseHugeBodyMiddleware:
    """413 for a page's request body larger than the largest upload it takes, before anything
    reads it. Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but spools an uploaded
    file of any size to disk first; the CSRF check reads the body before the view could
    refuse it. The API has its own limit (API_MAX_BODY_BYTES, kalipxo/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.PAGE_MAX_BODY_BYTES:
                megabytes = settings.IDENTITY_DOCUMENT_MAX_BYTES // (1024 * 1024)
                return HttpResponse(
                    f"Too large: a file may be at most {megabytes} MB. Nothing was sent on.",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
