"""Profile: SmartISP's contact data, read-only, how to ask for a change; the password change."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.accounts.conftest import mock_down, mock_unknown, mock_user
from tests.conftest import PASSWORD, api

NEW_PASSWORD = "chimborazo-cumbre-6310"


def test_profile_shows_what_smartisp_holds(subscriber_client, smartisp):
    mock_user(smartisp, "2100454590", 1)

    response = subscriber_client.get("/accounts/profile/")

    assert response.status_code == 200
    page = response.content.decode()
    # The email may wrap after its "@" only, never inside a word.
    assert "<dd>jaquelines@<wbr>gmail.com</dd>" in page
    for shown in ("Shiguango Esthela", "Sector Jansdiacu"):
        assert shown in page
    assert "<dd>0001</dd>" in page  # subscriber number
    assert "<dd>2100454590</dd>" in page
    assert smartisp.calls[0].request.url == api("get-user/2100454590")
    assert 'name="email"' not in page  # read-only


def test_profile_shows_no_more_of_the_phone_than_its_last_two_digits(subscriber_client, smartisp):
    mock_user(smartisp, "2100454590", 1)  # SmartISP holds the phone 453345467

    page = subscriber_client.get("/accounts/profile/").content.decode()

    assert "<dt>Phone</dt><dd>Ending in 67</dd>" in page
    assert "453345467" not in page and "3345467" not in page


def test_profile_links_to_a_prefilled_ticket_for_changes(subscriber_client, smartisp):
    mock_user(smartisp, "2100454590", 1)

    page = subscriber_client.get("/accounts/profile/").content.decode()

    href = page.split('href="/support/tickets/new/?')[1].split('"')[0]
    subject = parse_qs(href.replace("&amp;", "&"))["subject"][0]
    assert subject


def test_profile_without_smartisp_still_offers_the_password_change(subscriber_client, smartisp):
    mock_down(smartisp, "2100454590")

    response = subscriber_client.get("/accounts/profile/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot reach the billing system" in page
    assert 'name="old_password"' in page
    assert 'name="new_password1"' in page


def test_profile_of_a_subscriber_smartisp_no_longer_knows(subscriber_client, smartisp):
    mock_unknown(smartisp, "2100454590")

    response = subscriber_client.get("/accounts/profile/")

    assert response.status_code == 200
    assert "has no subscriber details" in response.content.decode()


def test_profile_never_shows_another_clients_record(subscriber_client, smartisp):
    mock_user(smartisp, "2100454590", 2, name="Someone Else", email="else@example.com")

    page = subscriber_client.get("/accounts/profile/").content.decode()

    assert "Someone Else" not in page
    assert "else@example.com" not in page


def test_profile_needs_sign_in(client, db):
    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"


def test_password_change_keeps_the_session(subscriber_client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = subscriber_client.post(
        "/accounts/profile/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    subscriber.refresh_from_db()
    assert subscriber.check_password(NEW_PASSWORD)
    after = subscriber_client.get("/accounts/profile/")
    assert after.status_code == 200
    assert after.wsgi_request.user == subscriber


@pytest.mark.parametrize(
    ("old", "new1", "new2", "error_field"),
    [
        ("not-my-password", NEW_PASSWORD, NEW_PASSWORD, "old_password"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "new_password2"),
        (PASSWORD, "123", "123", "new_password2"),
    ],
)
def test_password_change_errors_show_next_to_the_field(
    subscriber_client, smartisp, subscriber, old, new1, new2, error_field
):
    mock_user(smartisp, "2100454590", 1)

    response = subscriber_client.post(
        "/accounts/profile/", {"old_password": old, "new_password1": new1, "new_password2": new2}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{error_field}_error"' in page
    assert f"id_{error_field}_error" in page.split(f'name="{error_field}"')[1].split(">")[0]
    assert NEW_PASSWORD not in page and "not-my-password" not in page
    subscriber.refresh_from_db()
    assert subscriber.check_password(PASSWORD)
