"""Request checks that no single view should have to remember."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "NUL characters (%00) are not allowed in URLs."


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
