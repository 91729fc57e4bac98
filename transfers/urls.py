"""URLs of bank transfers under /billing/transfers/ (DESIGN.md section 5)."""

from django.urls import path

from portal import converters  # noqa: F401  (registers the path converters)
from transfers import views

app_name = "transfers"
urlpatterns = [
    path("new/", views.transfer_new, name="new"),
    path("<row_id:pk>/", views.transfer_detail, name="detail"),
    path("<row_id:pk>/receipt/", views.transfer_receipt, name="receipt"),
]
