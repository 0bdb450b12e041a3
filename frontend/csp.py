"""Content-Security-Policy header, set by a small middleware.

Django 5.2 has no CSP support of its own (it arrives in 6.0). The pages are built for a
strict policy: scripts and styles come only from our static files, data reaches scripts
through `json_script` (a JSON <script> block, which CSP does not execute) or the API. The
interactive API docs (Swagger UI, ReDoc) start from an inline script, so those two paths
are left without the header; everything else, the Django admin included, gets it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY_HEADER", DEFAULT_POLICY)
        self.exempt = tuple(getattr(settings, "CONTENT_SECURITY_POLICY_EXEMPT_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and not request.path.startswith(self.exempt):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
