"""Support at phone size, against the sandbox SmartISP: open a ticket, reply to it (htmx, inline),
then mark it resolved."""

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, WAIT_MS
from tests.e2e.conftest import assert_no_page_errors, watched

pytestmark = pytest.mark.e2e


def _smartisp_ticket(portal, ticket_id: str) -> dict:
    return requests.get(
        f"{portal.smartisp_url}/api/SmartIPS-v1/tickets/{ticket_id}",
        headers={"X-Authorization": "sandbox-key", "Accept": "application/json"},
        timeout=10,
    ).json()


def test_new_ticket_reply_and_resolve(portal, new_context, signed_in_state):
    subject = f"Router sin luz {uuid.uuid4().hex[:6]}"
    page = watched(new_context(viewport=PHONE, storage_state=signed_in_state).new_page())
    page.goto("/support/tickets/")
    page.locator("main a[href='/support/tickets/new/']").first.click()
    expect(page).to_have_url(re.compile(r"/support/tickets/new/$"))

    page.fill("input[name=subject]", subject)
    for name in ("type", "priority"):
        select = page.locator(f"select[name={name}]")
        if not select.input_value():
            select.select_option(index=1)
    page.fill("textarea[name=message]", "La luz PON del router está apagada desde anoche.")
    page.locator("main form[action$='/support/tickets/new/'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/support/tickets/\d+/$"), timeout=WAIT_MS)
    ticket_id = re.search(r"/support/tickets/(\d+)/$", page.url).group(1)
    expect(page.locator("h1")).to_have_text(subject)
    expect(page.locator(".conversation")).to_contain_text("luz PON")

    reply = "Ya reinicié el router y sigue igual."
    page.evaluate("() => { window.e2eNoReload = true; }")
    page.fill("#reply-form textarea[name=message]", reply)
    page.locator("#reply-form button[type=submit]").click()
    expect(page.locator(".conversation .message-mine").last).to_contain_text(reply, timeout=WAIT_MS)
    assert page.evaluate("() => window.e2eNoReload === true"), "the reply reloaded the page"
    expect(page.locator("#reply-form textarea[name=message]")).to_have_value("")

    page.locator("form[action$='/resolve/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/resolve/$"))  # asks to confirm
    page.locator("main form:has(input[name=confirm]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/support/tickets/{ticket_id}/$"), timeout=WAIT_MS)
    expect(page.locator("form[action$='/resolve/']")).to_have_count(0)
    expect(page.locator("#ticket-body .badge").first).to_have_text(
        re.compile(r"Resolved|Resuelt", re.IGNORECASE)
    )

    ticket = _smartisp_ticket(portal, ticket_id)
    assert "resolved" in str(ticket).lower(), ticket
    assert reply in str(ticket), ticket
    assert_no_page_errors(page)
