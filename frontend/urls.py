"""The pages: public landing and calculator, login, the artist dashboard, the payout console."""

from django.contrib.auth import views as auth_views
from django.urls import path

import kalipxo.converters  # noqa: F401 - registers <id:...> and <ext:...>
from frontend import account_views, identity_views, messages_views, payments_views, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("calculator/", views.calculator, name="calculator"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/", account_views.account_settings, name="account-settings"),
    path("account/claim/", account_views.claim_artist, name="account-claim"),
    path("dashboard/", views.dashboard_home, name="dashboard"),
    path("dashboard/<ext:artist_id>/team/", account_views.artist_team, name="artist-team"),
    path("dashboard/<ext:artist_id>/identity/", identity_views.artist_identity, name="artist-identity"),
    path("dashboard/<ext:artist_id>/messages/", messages_views.artist_messages, name="artist-messages"),
    path(
        "dashboard/<ext:artist_id>/messages/<str:fan_id>/",
        messages_views.artist_conversation,
        name="artist-conversation",
    ),
    path("console/moderation/", messages_views.console_moderation, name="console-moderation"),
    path(
        "console/moderation/<id:report_id>",
        messages_views.console_report_decide,
        name="console-report-decide",
    ),
    path(
        "dashboard/<ext:artist_id>/team/<id:account_id>/remove",
        account_views.artist_team_remove,
        name="artist-team-remove",
    ),
    path(
        "dashboard/<ext:artist_id>/team/codes/<id:code_id>/revoke",
        account_views.artist_code_revoke,
        name="artist-code-revoke",
    ),
    path("console/claims/", account_views.console_claims, name="console-claims"),
    path("console/claims/<id:claim_id>", account_views.console_claim_decide, name="console-claim-decide"),
    path("works/<ext:payee_id>/", views.payee_works, name="payee-works"),
    path("dashboard/<ext:artist_id>/", views.artist_dashboard, name="artist-dashboard"),
    path("dashboard/<ext:artist_id>/payouts.csv", views.artist_payouts_csv, name="artist-payouts-csv"),
    path("console/", views.console, name="console"),
    path("console/runs/<id:run_id>/", views.console_run, name="console-run"),
    path("console/payments/", payments_views.payments_console, name="console-payments"),
    path(
        "console/payments/accounts",
        payments_views.verification_record_view,
        name="console-verification-record",
    ),
    path(
        "console/payments/verifications/<id:verification_id>",
        payments_views.verification_decide,
        name="console-verification-decide",
    ),
    path(
        "console/payments/verifications/<id:verification_id>/document",
        identity_views.verification_document,
        name="console-verification-document",
    ),
    path("console/payments/batches", payments_views.batch_create_view, name="console-batch-create"),
    path(
        "console/payments/batches/<id:batch_id>/approve",
        payments_views.batch_approve_view,
        name="console-batch-approve",
    ),
    path(
        "console/payments/adjustments",
        payments_views.adjustment_record_view,
        name="console-adjustment-record",
    ),
    path(
        "console/payments/adjustments/<id:adjustment_id>/approve",
        payments_views.adjustment_approve_view,
        name="console-adjustment-approve",
    ),
    path(
        "console/payments/batches/<id:batch_id>/results",
        payments_views.batch_results_view,
        name="console-batch-results",
    ),
]
