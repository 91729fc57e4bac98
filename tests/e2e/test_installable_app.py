"""The installable web app: a manifest with the provider's name and PNG icons, a service worker that
caches static files only (never a page, never personal data) and shows an offline page when the
network fails."""

import re
import struct

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, WAIT_MS
from tests.e2e.conftest import assert_no_page_errors, watched

pytestmark = pytest.mark.e2e


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", body[16:24])


def test_manifest_names_the_provider_and_lists_png_icons(portal):
    page = requests.get(portal.url + "/accounts/login/", timeout=30).text
    href = re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)
    answer = requests.get(portal.url + href, timeout=30)
    assert answer.headers["Content-Type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["name"] == "Mi ISP"  # PORTAL_NAME's default
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = set()
    for icon in manifest["icons"]:
        body = requests.get(portal.url + icon["src"], timeout=30)
        assert body.ok, icon
        if icon["type"] == "image/png":
            width, height = _png_size(body.content)
            assert f"{width}x{height}" == icon["sizes"], icon
            sizes.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes


def test_service_worker_caches_static_files_only_and_serves_offline_page(
    new_context, signed_in_state
):
    context = new_context(viewport=PHONE, storage_state=signed_in_state)
    page = watched(context.new_page())
    page.goto("/")
    page.evaluate(
        """() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller
            || new Promise(done =>
                navigator.serviceWorker.addEventListener("controllerchange", done)))"""
    )
    for path in ("/billing/invoices/", "/support/tickets/", "/accounts/profile/", "/"):
        page.goto(path)
        expect(page.locator("nav.tabbar")).to_be_visible()

    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls;
        }"""
    )
    assert "/offline/" in cached
    assert any(url.endswith(".css") for url in cached)
    personal = [url for url in cached if not (url.startswith("/static/") or url == "/offline/")]
    assert not personal, f"the service worker cached pages: {personal}"

    context.set_offline(True)
    page.goto("/billing/invoices/")
    expect(page.locator("[data-offline]")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/billing/invoices/$"))
    assert (
        page.evaluate("() => getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    )

    context.set_offline(False)
    page.locator("[data-offline] a.button").click()
    expect(page.locator("nav.tabbar")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/billing/invoices/$"))
    assert_no_page_errors(page)
