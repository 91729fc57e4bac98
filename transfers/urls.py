"""URLs of bank transfers under /billing/transfers/ (DESIGN.md section 5)."""

from django.urls import path

from transfers import views

app_name = "transfers"
urlpatterns = [
    path("new/", views.transfer_new, name="new"),
    path("<int:pk>/", views.transfer_detail, name="detail"),
    path("<int:pk>/receipt/", views.transfer_receipt, name="receipt"),
]
