from django.urls import path

from artists import views

urlpatterns = [
    path("catalog/tracks", views.CatalogTracksView.as_view(), name="catalog-tracks"),
    path("catalog/tracks/<str:isrc>", views.CatalogTrackDetailView.as_view(), name="catalog-track"),
    path("catalog/works", views.CatalogWorksView.as_view(), name="catalog-works"),
    # <path:>: a work id may hold "/" (kalipxo.validation.ID_RE).
    path("catalog/works/<path:work_id>", views.CatalogWorkDetailView.as_view(), name="catalog-work"),
]
