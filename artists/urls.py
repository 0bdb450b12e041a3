from django.urls import path

import kalipxo.converters  # noqa: F401 - registers <ext:...>
from artists import views

urlpatterns = [
    path("catalog/tracks", views.CatalogTracksView.as_view(), name="catalog-tracks"),
    path("catalog/tracks/<str:isrc>", views.CatalogTrackDetailView.as_view(), name="catalog-track"),
    path("catalog/works", views.CatalogWorksView.as_view(), name="catalog-works"),
    path("catalog/works/<ext:work_id>", views.CatalogWorkDetailView.as_view(), name="catalog-work"),
]
