"""Activation at phone size: a subscriber SmartISP knows (with an email) but the portal does not yet
asks for a link, follows it from the email, chooses a password and lands on their dashboard."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, WAIT_MS, axe_report, axe_violations, eventually, latest_link

pytestmark = pytest.mark.e2e

# A seeded sandbox subscriber with an email on file and every invoice paid; no portal account.
DNI = "0501234567"  # has an email and, unlike the demo subscribers, no account yet
NEW_PASSWORD = "lluvia-en-quito-73"


def test_activation_email_link_sets_password_and_opens_dashboard(portal, new_context):
    client = requests.get(
        f"{portal.smartisp_url}/api/SmartIPS-v1/clients",
        params={"search": DNI},
        headers={"X-Authorization": "sandbox-key", "Accept": "application/json"},
        timeout=10,
    ).json()
    email = next(c["email"] for c in client["data"] if str(c["dni"]).zfill(10) == DNI)

    # bypass_csp only so axe-core can be injected on the pages only this flow reaches.
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    page.goto("/accounts/login/")
    page.locator("main a[href='/accounts/activate/']").click()
    expect(page).to_have_url(re.compile(r"/accounts/activate/$"))
    page.fill("input[name=dni]", DNI)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/activate/sent/$"), timeout=WAIT_MS)
    violations = axe_violations(page)
    assert not violations, axe_report("the activation link-sent page (phone)", violations)

    link = eventually(
        lambda: latest_link(
            portal.mail_dir, email, r"https?://\S+/accounts/activate/[^/\s]+/[^/\s]+/"
        ),
        what=f"the activation email to {email}",
    )
    assert link.startswith(portal.url), link
    page.goto(link)
    expect(page.locator("input[name=new_password1]")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, axe_report("the choose-a-password page (phone)", violations)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/$"), timeout=WAIT_MS)
    expect(page.locator("h1")).to_contain_text("Ana")
    expect(page.locator("nav.tabbar")).to_be_visible()

    # The link worked once; the password now signs in.
    page.goto(link)
    expect(page.locator("input[name=new_password1]")).to_have_count(0)
    assert portal.session(DNI, NEW_PASSWORD).cookies.get("sessionid")
