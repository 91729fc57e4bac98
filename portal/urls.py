"""Root URL map (DESIGN.md section 5)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal import pwa, redirects, views

urlpatterns = [
    path("", include("billing.urls_home")),
    path("accounts/", include("accounts.urls")),
    path("billing/transfers/", include("transfers.urls")),
    path("billing/", include("billing.urls")),
    path("support/", include("support.urls")),
    path("staff/transfers/", include("transfers.staff_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("i18n/setlang/", redirects.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

# `make bench`'s baseline, routed only when the benchmark asks for it.
if settings.BENCH_BASELINE:
    urlpatterns.append(path("_bench/baseline", views.bench_baseline, name="bench_baseline"))

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
