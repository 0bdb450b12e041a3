"""Root URLs: the v1 API, its schema and docs, the admin and the pages."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from kalipxo.api import json_error_view

urlpatterns = [
    path("admin/", admin.site.urls),
    # One login page for everyone (/login/, throttled); allauth serves sign-up, e-mail,
    # password reset and two-factor under accounts/.
    path("accounts/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("accounts/password/change/", RedirectView.as_view(pattern_name="password_change")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("artists.urls")),
    path("api/v1/", include("streams.urls")),
    path("api/v1/", include("fx.urls")),
    path("api/v1/", include("payouts.urls")),
    path("api/v1/", include("deductions.urls")),
    path("api/v1/", include("payments.urls")),
    path("api/v1/", include("messaging.urls")),
    path("api/v1/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("frontend.urls")),
]

handler400 = json_error_view(400, "Bad request.")
handler404 = json_error_view(404, "Not found. The API lives under /api/v1/; see /api/docs/.")
handler500 = json_error_view(500, "Internal error; nothing was stored. Please report it.")
