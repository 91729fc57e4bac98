"""URLs of support tickets (DESIGN.md section 5)."""

from django.urls import path

from support import views

app_name = "support"
urlpatterns = [
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_new, name="new"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:ticket_id>/resolve/", views.ticket_resolve, name="resolve"),
]
