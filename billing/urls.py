"""URLs of billing (DESIGN.md section 5)."""

from django.urls import path

from billing import payment_views, pdf, views, webhooks

app_name = "billing"
urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<str:num_bill>/", views.invoice_detail, name="invoice"),
    path("invoices/<str:num_bill>/pdf/", pdf.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:num_bill>/pay/", payment_views.pay, name="pay"),
    path("payments/<str:reference>/", payment_views.payment_detail, name="payment"),
    path("payments/<str:reference>/pdf/", pdf.payment_pdf, name="payment_pdf"),
    path("webhooks/<str:gateway>/", webhooks.webhook, name="webhook"),
    path("return/<str:gateway>/", payment_views.gateway_return, name="return"),
]
