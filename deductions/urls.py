from django.urls import path

from deductions import views

urlpatterns = [
    path(
        "distributors/<str:name>/agreements",
        views.DistributorAgreementsView.as_view(),
        name="distributor-agreements",
    ),
    path("payees/<ext:payee_id>/tax-profile", views.PayeeTaxProfileView.as_view(), name="payee-tax-profile"),
]
