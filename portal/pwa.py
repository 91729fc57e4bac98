"""The installable web app: the manifest (with the provider's name and colour), the service worker
served from /sw.js so it may control the whole site, and the offline page it falls back on."""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# Static files the service worker stores at install, so the offline page has its look.
PRECACHE = [
    "css/portal.css",
    "js/app.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "django_htmx/htmx-2.min.js",
]
ICONS = [
    {"src": "icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
    {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {
        "src": "icons/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
]
BACKGROUND = "#f4f6f9"  # --bg of portal.css: the splash screen while the portal starts


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "id": "/",
        "name": settings.PORTAL_NAME,
        "short_name": settings.PORTAL_NAME,
        "description": _("Your service, your invoices, online payments and support."),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": settings.PORTAL_PRIMARY_COLOR,
        "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def _source(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(path)
    return Path(found).read_text(encoding="utf-8")


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js with its configuration first; browsers check it for updates on each visit."""
    script = _source("js/sw.js")
    config = {
        "offline": reverse("offline"),
        "staticUrl": settings.STATIC_URL,
        "precache": [static(path) for path in PRECACHE],
    }
    # A new version (new fingerprints, a new offline page, new code) replaces the old cache.
    offline_source = Path(get_template("offline.html").origin.name).read_bytes()
    digest = hashlib.sha256(json.dumps(config).encode() + script.encode() + offline_source)
    config["version"] = digest.hexdigest()[:16]
    body = f"self.PORTAL_SW = {json.dumps(config)};\n{script}"
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows when a page cannot load; nothing personal in it."""
    return render(request, "offline.html")
