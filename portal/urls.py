"""Root URL map (DESIGN.md section 5)."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from portal import views

urlpatterns = [
    path("", include("billing.urls_home")),
    path("accounts/", include("accounts.urls")),
    path("billing/", include("billing.urls")),
    path("support/", include("support.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
