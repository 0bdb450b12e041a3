from django.urls import path

from payments import views

urlpatterns = [
    path(
        "payees/<ext:payee_id>/verification", views.PayeeVerificationView.as_view(), name="payee-verification"
    ),
    path("payees/<ext:payee_id>/balance", views.PayeeBalanceView.as_view(), name="payee-balance"),
    path(
        "distributors/<str:name>/verification",
        views.DistributorVerificationView.as_view(),
        name="distributor-verification",
    ),
    path("payment-batches", views.PaymentBatchesView.as_view(), name="payment-batches"),
    path("payment-batches/<id:batch_id>", views.PaymentBatchView.as_view(), name="payment-batch"),
    path(
        "payment-batches/<id:batch_id>/approve",
        views.PaymentBatchApproveView.as_view(),
        name="payment-batch-approve",
    ),
    path(
        "payment-batches/<id:batch_id>/results",
        views.PaymentBatchResultsView.as_view(),
        name="payment-batch-results",
    ),
    path(
        "payment-batches/<id:batch_id>/sepa.xml",
        views.PaymentBatchSepaView.as_view(),
        name="payment-batch-sepa",
    ),
    path(
        "payment-batches/<id:batch_id>/paypal.csv",
        views.PaymentBatchPaypalView.as_view(),
        name="payment-batch-paypal",
    ),
    path("tax-years/<id:year>/summary.csv", views.TaxYearSummaryView.as_view(), name="tax-year-summary"),
]
