"""Request checks that no single view should have to remember."""

from collections.abc import Callable

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
