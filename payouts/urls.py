from django.urls import path

import kalipxo.converters  # noqa: F401 - registers <id:...> and <ext:...>
from payouts import earnings_views, review_views, run_views, views

urlpatterns = [
    path("calculator", views.CalculatorView.as_view(), name="calculator"),
    path(
        "artists/<ext:artist_id>/earnings",
        earnings_views.ArtistEarningsView.as_view(),
        name="artist-earnings",
    ),
    path("artists/<ext:artist_id>/fans", earnings_views.ArtistFansView.as_view(), name="artist-fans"),
    path(
        "artists/<ext:artist_id>/review-requests",
        review_views.ReviewRequestsView.as_view(),
        name="artist-review-requests",
    ),
    path("payout-runs", run_views.PayoutRunsView.as_view(), name="payout-runs"),
    path("payout-runs/<id:run_id>", run_views.PayoutRunDetailView.as_view(), name="payout-run"),
    path("payout-runs/<id:run_id>/holds", run_views.PayoutRunHoldsView.as_view(), name="payout-run-holds"),
    path(
        "payout-runs/<id:run_id>/holds/<id:hold_id>",
        run_views.PayoutRunHoldDecisionView.as_view(),
        name="payout-run-hold",
    ),
    path(
        "payout-runs/<id:run_id>/finalize",
        run_views.PayoutRunFinalizeView.as_view(),
        name="payout-run-finalize",
    ),
    path("payout-runs/<id:run_id>/payouts.csv", run_views.PayoutRunCsvView.as_view(), name="payout-run-csv"),
    path("payout-runs/<id:run_id>/usage.csv", run_views.PayoutRunUsageView.as_view(), name="run-usage"),
    path(
        "payout-runs/<id:run_id>/statements/<ext:payee>.csv",
        run_views.PayeeStatementView.as_view(),
        name="payout-run-statement",
    ),
]
