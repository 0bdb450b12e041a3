from django.urls import path

import kalipxo.converters  # noqa: F401 - registers <ext:...>
from accounts import views

urlpatterns = [
    path(
        "artists/<ext:artist_id>/claim-codes", views.ArtistClaimCodesView.as_view(), name="artist-claim-codes"
    ),
]
