from django.urls import path

from fx import views

urlpatterns = [
    path("fx-rates", views.FxRatesView.as_view(), name="fx-rates"),
    path("fx-rates/month", views.FxMonthRatesView.as_view(), name="fx-month-rates"),
]
