"""Every page, signed out and signed in, at phone (390x844) and desktop (1280x800) size, and at
phone size in dark mode: axe-core finds no serious or critical WCAG 2.2 A/AA violation; and at
360x640, 390x844 and 1366x768 nothing scrolls sideways."""

import re

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.browser import (
    NARROW,
    SETTLE_MS,
    VIEWPORTS,
    WAIT_MS,
    axe_report,
    axe_violations,
    eventually,
    invoice_pay,
    transfer_report,
)
from tests.e2e.test_transfer import reporter_session

pytestmark = pytest.mark.e2e

CARD_DECLINED = "4000 0000 0000 0002"
CARD_SUCCEEDS = "4242 4242 4242 4242"

SIGNED_OUT = {
    "sign-in": "/accounts/login/",
    "activation": "/accounts/activate/",
    "password-reset": "/accounts/password-reset/",
    "code": "/accounts/code/",
    "code-verify": "/accounts/code/verify/",
    "offline": "/offline/",
}
SIGNED_IN = [
    "dashboard",
    "invoices-unpaid",
    "invoices-paid",
    "invoice",
    "payment-declined",
    "receipt",
    "tickets",
    "ticket",
    "new-ticket",
    "profile",
    "transfer-new",
]
# Seen as another account (tests/e2e/test_transfer.py makes them): a transfer report's page as
# the subscriber who reported it (not the demo one: his invoices stay payable for the pay test),
# the staff pages as a staff member.
OTHER_ACCOUNTS = {"transfer": "reporter", "staff-transfers": "staff", "staff-transfer": "staff"}
PAGES = [*SIGNED_OUT, *SIGNED_IN, *OTHER_ACCOUNTS]
# The sizes every page is looked at in (issue 19): the smallest phone, a common one, a laptop.
SIZES = {**VIEWPORTS, "narrow": NARROW, "laptop": {"width": 1366, "height": 768}}


@pytest.fixture(scope="module")
def signed_in_paths(portal) -> dict[str, str]:
    """The signed-in pages' paths, ids included: an invoice, a ticket, a declined payment and a
    settled one (its receipt).

    The payments are for unpaid invoices other than the dashboard's next one (the one the pay
    test pays), so the other tests still find it unpaid.
    """
    session = portal.session()
    dashboard = session.get(portal.url + "/", timeout=30).text
    # The next invoice: its own Pay form, or its link beside "pay everything" (issue 14).
    next_bill = re.search(r"/billing/invoices/(\d+)/", dashboard).group(1)
    unpaid = session.get(portal.url + "/billing/invoices/?status=unpaid", timeout=30).text
    bills = list(dict.fromkeys(re.findall(r'href="/billing/invoices/(\d+)/"', unpaid)))
    others = [b for b in bills if b != next_bill]
    assert len(others) >= 2, f"the demo subscriber needs 3 unpaid invoices, has {bills}"
    tickets = session.get(portal.url + "/support/tickets/", timeout=30).text
    ticket = re.search(r'href="/support/tickets/(\d+)/"', tickets).group(1)

    declined = invoice_pay(portal.url, session, others[0], CARD_DECLINED)
    transfer = transfer_report(portal.url, reporter_session(portal), reference="A11Y-0001")
    receipt = invoice_pay(portal.url, session, others[-1], CARD_SUCCEEDS)
    eventually(
        lambda: 'data-status="settled"' in session.get(portal.url + receipt, timeout=30).text,
        seconds=SETTLE_MS / 1000,
        what="the task worker to settle the payment",
    )
    return {
        "dashboard": "/",
        "invoices-unpaid": "/billing/invoices/?status=unpaid",
        "invoices-paid": "/billing/invoices/?status=paid",
        "invoice": f"/billing/invoices/{next_bill}/",
        "payment-declined": declined,
        "receipt": receipt,
        "tickets": "/support/tickets/",
        "ticket": f"/support/tickets/{ticket}/",
        "new-ticket": "/support/tickets/new/",
        "profile": "/accounts/profile/",
        "transfer-new": "/billing/transfers/new/",
        "transfer": transfer,
        "staff-transfers": "/staff/transfers/",
        "staff-transfer": transfer.replace("/billing/transfers/", "/staff/transfers/"),
    }


@pytest.fixture(scope="module")
def contexts(browser, browser_context_args, signed_in_state, portal):
    """One context per (viewport, signed in or not), CSP bypassed so axe-core can be injected."""
    from tests.e2e.test_transfer import REPORTER_DNI, REPORTER_PASSWORD, staff_storage_state

    made: dict[tuple[str, bool | str], BrowserContext] = {}
    accounts = {
        True: lambda: signed_in_state,
        "staff": lambda: staff_storage_state(portal),
        "reporter": lambda: portal.storage_state(REPORTER_DNI, REPORTER_PASSWORD),
    }

    def get(size: str, signed_in: bool | str) -> BrowserContext:
        if (size, signed_in) not in made:
            context = browser.new_context(
                **{**browser_context_args, "viewport": SIZES.get(size.split("-")[0], NARROW)},
                color_scheme="dark" if size.endswith("-dark") else "light",
                bypass_csp=True,
                storage_state=accounts[signed_in]() if signed_in else None,
                # The service worker would answer some requests itself; these tests look at pages.
                service_workers="block",
            )
            context.set_default_timeout(WAIT_MS)
            made[size, signed_in] = context
        return made[size, signed_in]

    yield get
    for context in made.values():
        context.close()


def _open(contexts, signed_in_paths, name: str, size: str):
    signed_in = OTHER_ACCOUNTS.get(name, name in SIGNED_IN)
    path = signed_in_paths[name] if signed_in else SIGNED_OUT[name]
    page = contexts(size, signed_in).new_page()
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
    if signed_in:
        expect(page.locator("nav.tabbar")).to_be_attached()
    page.wait_for_load_state("load")
    return page, path


@pytest.mark.parametrize("size", ["phone", "desktop", "phone-dark"])
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(contexts, signed_in_paths, name, size):
    page, path = _open(contexts, signed_in_paths, name, size)
    try:
        violations = axe_violations(page)
        assert not violations, axe_report(f"{path} ({size})", violations)
    finally:
        page.close()


@pytest.mark.parametrize("size", ["narrow", "phone", "laptop"])
@pytest.mark.parametrize("name", PAGES)
def test_page_does_not_scroll_sideways(contexts, signed_in_paths, name, size):
    page, path = _open(contexts, signed_in_paths, name, size)
    width = SIZES[size]["width"]
    try:
        widths = page.evaluate(
            """(width) => {
                const wide = [...document.querySelectorAll("body *")]
                    .filter(e => e.getBoundingClientRect().right > width + 0.5)
                    .slice(0, 5).map(e => e.outerHTML.slice(0, 120));
                return {scroll: document.documentElement.scrollWidth, wide};
            }""",
            width,
        )
        assert widths["scroll"] <= width, (
            f"{path} is {widths['scroll']} px wide at {width} px; too wide: {widths['wide']}"
        )
    finally:
        page.close()


# Each word of the given elements, as the browser laid it out: a word broken across two lines has
# two rectangles (CSS hyphenation or `overflow-wrap: anywhere` would do that to "actualización").
BROKEN_WORDS = """(selector) => {
    const broken = [];
    for (const element of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.textContent.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                if (lines.size > 1) broken.push(match[0]);
            }
        }
    }
    return broken;
}"""


def test_no_word_is_broken_in_the_ticket_list_at_360_px(contexts, signed_in_paths):
    page, path = _open(contexts, signed_in_paths, "tickets", "narrow")
    try:
        assert page.locator(".ticket-list .ticket-subject").count() > 0
        broken = page.evaluate(BROKEN_WORDS, ".ticket-list li")
        assert broken == [], f"{path}: words broken across lines at 360 px: {broken}"
        # The check itself sees a broken word when one is (so its silence above means something).
        page.add_style_tag(content=".ticket-subject { word-break: break-all; width: 4ch; }")
        assert page.evaluate(BROKEN_WORDS, ".ticket-list .ticket-subject")
    finally:
        page.close()


def test_the_retry_after_a_declined_card_is_on_the_first_screen(contexts, signed_in_paths):
    page, path = _open(contexts, signed_in_paths, "payment-declined", "narrow")
    try:
        retry = page.locator("main form[action$='/restart/'] button[type=submit]").first
        expect(retry).to_be_visible()
        box = retry.bounding_box()
        assert box is not None and box["y"] + box["height"] <= NARROW["height"], (
            f"{path}: the retry button ends at {box} px, below the first 640 px"
        )
    finally:
        page.close()
