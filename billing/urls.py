"""URLs of billing (DESIGN.md section 5)."""

from django.urls import path

from billing import payment_views, pdf, views, webhooks
from portal import converters  # noqa: F401  (registers the path converters)

app_name = "billing"
urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<num_bill:num_bill>/", views.invoice_detail, name="invoice"),
    path("invoices/<num_bill:num_bill>/pdf/", pdf.invoice_pdf, name="invoice_pdf"),
    path("invoices/<num_bill:num_bill>/pay/", payment_views.pay, name="pay"),
    path("pay/", payment_views.pay_many, name="pay_many"),
    path("payments/<reference:reference>/", payment_views.payment_detail, name="payment"),
    path("payments/<reference:reference>/pdf/", pdf.payment_pdf, name="payment_pdf"),
    path(
        "payments/<reference:reference>/restart/",
        payment_views.payment_restart,
        name="payment_restart",
    ),
    path("webhooks/<gateway:gateway>/", webhooks.webhook, name="webhook"),
    path("return/<gateway:gateway>/", payment_views.gateway_return, name="return"),
]
