from django.urls import path

from payouts import earnings_views, views

urlpatterns = [
    path("calculator", views.CalculatorView.as_view(), name="calculator"),
    path(
        "artists/<str:artist_id>/earnings",
        earnings_views.ArtistEarningsView.as_view(),
        name="artist-earnings",
    ),
    path("artists/<str:artist_id>/fans", earnings_views.ArtistFansView.as_view(), name="artist-fans"),
]
