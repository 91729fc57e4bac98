"""The sign-in form's "show password" (static/js/password.js): it shows what was typed and hides
it again; without JavaScript the field stays a password field and the toggle is not offered."""

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import NARROW
from tests.e2e.conftest import assert_no_page_errors, watched

pytestmark = pytest.mark.e2e


def test_show_password_shows_and_hides_what_was_typed(new_context):
    page = watched(new_context(viewport=NARROW).new_page())
    page.goto("/accounts/login/")
    field = page.locator("input[name=password]")
    toggle = page.locator("[data-show-password] input[type=checkbox]")
    field.fill("mi clave 123")

    expect(toggle).to_be_visible()
    toggle.check()
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_value("mi clave 123")
    toggle.uncheck()
    expect(field).to_have_attribute("type", "password")
    assert_no_page_errors(page)


def test_without_javascript_the_password_stays_hidden_and_no_toggle_is_offered(new_context):
    page = new_context(viewport=NARROW, java_script_enabled=False).new_page()
    page.goto("/accounts/login/")

    expect(page.locator("input[name=password]")).to_have_attribute("type", "password")
    expect(page.locator("[data-show-password]")).to_be_hidden()
