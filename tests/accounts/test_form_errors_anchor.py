"""A refused password form opens at its error summary, not at the top of the page: on a phone the
summary is a screen or two down, and a page that seems unchanged looks like nothing happened.
The summary has the id form-errors, which app.js focuses (bringing it into view); without
JavaScript it is still the first thing in the form. The form's action has no fragment: a fragment
would follow the successful POST's redirect into the next page's address."""

import re

import pytest

from accounts.models import User
from tests.accounts.conftest import link_path, mock_user, signed_in_by_code, the_email

NEW_PASSWORD = "volcan-chimborazo-6310"
MISMATCH = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}


def form_action(page: str) -> str:
    return re.search(r'<form method="post" action="([^"]*)"', page).group(1)


def assert_opens_at_the_summary(page: str, first_field: str) -> None:
    """The summary, focusable and announced, comes before the form's first field."""
    summary = page.find('id="form-errors"')
    assert summary != -1, "no error summary"
    assert summary < page.find(f'name="{first_field}"')
    tag = page[page.rfind("<", 0, summary) : page.find(">", summary)]
    assert 'tabindex="-1"' in tag and 'role="alert"' in tag
    assert "Please check the fields marked below." in page


@pytest.mark.parametrize("purpose", ["activate", "password-reset"])
def test_the_emailed_link_password_form_opens_at_its_errors(client, smartisp, db, purpose):
    if purpose == "password-reset":
        User.objects.create_user("2100454590", "old-pass-9876", smartisp_id=1)
    mock_user(smartisp, "2100454590", 1)
    client.post(f"/accounts/{purpose}/", {"dni": "2100454590"})
    _, link, _ = the_email()
    form_url = client.get(link_path(link))["Location"]

    opened = client.get(form_url).content.decode()
    refused = client.post(form_url, MISMATCH)

    assert "#" not in form_action(opened)
    assert refused.status_code == 200
    assert_opens_at_the_summary(refused.content.decode(), "new_password1")


def test_the_password_form_after_a_code_opens_at_its_errors(client, db):
    signed_in_by_code(client, User.objects.create_user("0401234567", None, smartisp_id=105))

    opened = client.get("/accounts/code/password/").content.decode()
    refused = client.post("/accounts/code/password/", MISMATCH)

    assert "#" not in form_action(opened)
    assert_opens_at_the_summary(refused.content.decode(), "new_password1")


def test_the_profile_password_change_opens_at_its_errors(subscriber_client, smartisp):
    mock_user(smartisp, "2100454590", 1)

    opened = subscriber_client.get("/accounts/profile/").content.decode()
    refused = subscriber_client.post(
        "/accounts/profile/", {"old_password": "not-my-password", **MISMATCH}
    )

    assert "#" not in form_action(opened)
    assert_opens_at_the_summary(refused.content.decode(), "old_password")


def test_an_untouched_password_form_has_no_summary(client, db):
    signed_in_by_code(client, User.objects.create_user("0401234567", None, smartisp_id=105))

    page = client.get("/accounts/code/password/").content.decode()

    assert 'id="form-errors"' not in page
    assert "Please check the fields marked below." not in page
