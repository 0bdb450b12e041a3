"""The pages: public landing and calculator, login, the artist dashboard, the payout console."""

from django.contrib.auth import views as auth_views
from django.urls import path

import kalipxo.converters  # noqa: F401 - registers <id:...> and <ext:...>
from frontend import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("calculator/", views.calculator, name="calculator"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("dashboard/", views.dashboard_home, name="dashboard"),
    path("works/<ext:payee_id>/", views.payee_works, name="payee-works"),
    path("dashboard/<ext:artist_id>/", views.artist_dashboard, name="artist-dashboard"),
    path("dashboard/<ext:artist_id>/payouts.csv", views.artist_payouts_csv, name="artist-payouts-csv"),
    path("console/", views.console, name="console"),
    path("console/runs/<id:run_id>/", views.console_run, name="console-run"),
]
