"""The dashboard at the site root."""

from django.urls import path

from billing import views

urlpatterns = [path("", views.dashboard, name="home")]
