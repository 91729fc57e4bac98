"""The installable web app's views: manifest, service worker, offline page (the browser side is in
tests/e2e/test_installable_app.py)."""

import json
import re


def test_manifest_carries_the_providers_name_and_colour(client, settings):
    settings.PORTAL_NAME = "Red Andina"
    settings.PORTAL_PRIMARY_COLOR = "#aa3300"
    client.cookies["django_language"] = "es"

    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Red Andina"
    assert manifest["theme_color"] == "#aa3300"
    assert manifest["start_url"] == "/"
    assert manifest["lang"] == "es"
    assert {"sizes": "192x192", "type": "image/png"}.items() <= manifest["icons"][1].items()
    assert all(icon["src"].startswith("/static/icons/") for icon in manifest["icons"])


def test_service_worker_is_served_from_the_root_with_static_files_to_cache(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    first_line, script = response.content.decode().split("\n", 1)
    config = json.loads(re.fullmatch(r"self\.PORTAL_SW = (.*);", first_line).group(1))
    assert config["offline"] == "/offline/"
    assert config["staticUrl"] == "/static/"
    assert "/static/css/portal.css" in config["precache"]
    assert all(url.startswith("/static/") for url in config["precache"])
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert 'addEventListener("fetch"' in script


def test_offline_page_holds_nothing_personal_even_when_signed_in(subscriber_client, subscriber):
    response = subscriber_client.get("/offline/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "data-offline" in page
    assert subscriber.name not in page
    assert "csrfmiddlewaretoken" not in page
    assert "/accounts/logout/" not in page


def test_every_page_links_the_manifest_and_registers_the_service_worker(client):
    page = client.get("/accounts/login/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert re.search(r'<script src="/static/js/app\.js" data-sw="/sw\.js" defer>', page)
