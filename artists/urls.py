from django.urls import path

from artists import views

urlpatterns = [
    path("catalog/tracks", views.CatalogTracksView.as_view(), name="catalog-tracks"),
    path("catalog/tracks/<str:isrc>", views.CatalogTrackDetailView.as_view(), name="catalog-track"),
]
