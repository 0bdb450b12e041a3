from django.urls import path

from streams import views

urlpatterns = [
    path("streams", views.StreamEventsView.as_view(), name="streams-ingest"),
    path("revenue", views.RevenueView.as_view(), name="revenue-ingest"),
]
