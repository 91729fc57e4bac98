"""URLs of support tickets (DESIGN.md section 5)."""

from django.urls import path

from portal import converters  # noqa: F401  (registers the path converters)
from support import views

app_name = "support"
urlpatterns = [
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_new, name="new"),
    path("tickets/<smartisp_id:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<smartisp_id:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<smartisp_id:ticket_id>/resolve/", views.ticket_resolve, name="resolve"),
]
