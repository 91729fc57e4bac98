"""URLs of the staff review under /staff/transfers/ (DESIGN.md section 5)."""

from django.urls import path

from portal import converters  # noqa: F401  (registers the path converters)
from transfers import staff_views

app_name = "staff_transfers"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<row_id:pk>/", staff_views.review, name="review"),
]
