"""Light pages: the dashboard's first load (document, stylesheets, scripts) is under 60 KB
compressed."""

import gzip
import re
from html.parser import HTMLParser

import pytest

from tests.e2e.test_transfer import reporter_session

pytestmark = pytest.mark.e2e

BUDGET = 60 * 1024


class _Resources(HTMLParser):
    """The stylesheets and scripts a page loads, in order."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.urls.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])


def test_dashboard_first_load_is_under_60_kb_compressed(portal):
    """The first load of the dashboard, with an empty cache, transfers under 60 KB gzip-compressed.

    The demo stack's runserver does not compress (production does: whitenoise for static files,
    the reverse proxy for pages), so this fetches the document and every stylesheet and script it
    loads with `requests`, gzip-compresses each one here (level 6, what nginx and whitenoise use),
    and sums the compressed sizes. Images and the service worker's later fetches are not counted.
    """
    # The suspended sandbox subscriber (c): he owes four months, and no other test pays them, so
    # his dashboard has its Pay button whatever ran before (the demo subscriber's may be paid up).
    # The transfer tests set his password; signing in the same way leaves the order of tests free.
    session = reporter_session(portal)
    document = session.get(portal.url + "/", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert document.ok and re.search(r"/pay/", document.text), "not the dashboard with a Pay button"
    parser = _Resources()
    parser.feed(document.text)
    assert parser.urls, "the dashboard loads no stylesheet or script?"

    sizes = {"document": len(gzip.compress(document.content, compresslevel=6))}
    for url in parser.urls:
        answer = session.get(portal.url + url, timeout=30)
        assert answer.ok, url
        sizes[url] = len(gzip.compress(answer.content, compresslevel=6))
    total = sum(sizes.values())
    listing = ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in sizes.items())
    assert total < BUDGET, (
        f"the dashboard's first load is {total / 1024:.1f} KB compressed: {listing}"
    )
