"""Sign-in by DNI and password: normalised DNI, remember me, `next`, the SmartISP check."""

import pytest

from accounts.models import User
from tests.accounts.conftest import mock_down, mock_unknown, mock_user
from tests.conftest import PASSWORD, api


def sign_in(client, dni, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"dni": dni, "password": password, **extra})


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_sign_in_goes_to_the_dashboard(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "2100454590")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == str(subscriber.pk)
    assert smartisp.calls[0].request.url == api("get-user/2100454590")


@pytest.mark.parametrize("typed", ["0102030405", "0102 030 405", "0102.030.405", "0102-030405"])
def test_dni_variants_sign_in_to_the_same_account(client, smartisp, other_subscriber, typed):
    mock_user(smartisp, "0102030405", 1057, name="Juan Perez Gonzalez")

    response = sign_in(client, typed)

    assert response.status_code == 302
    assert signed_in_as(client) == str(other_subscriber.pk)


def test_wrong_password_keeps_the_dni_but_never_the_password(client, smartisp, subscriber):
    response = sign_in(client, "2100 454590", "not-the-password")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2100 454590"' in page
    assert "not-the-password" not in page
    assert 'role="alert"' in page
    assert signed_in_as(client) is None
    assert len(smartisp.calls) == 0  # SmartISP is asked only once the password is right


def test_sign_in_form_has_the_contract_field_names(client, db):
    page = client.get("/accounts/login/").content.decode()

    for name in ('name="dni"', 'name="password"', 'name="remember"', 'type="checkbox"'):
        assert name in page
    assert 'for="id_dni"' in page and 'for="id_password"' in page and 'for="id_remember"' in page
    assert 'href="/accounts/activate/"' in page
    assert 'href="/accounts/password-reset/"' in page


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://evil.example", "javascript:x"]
)
def test_off_site_next_is_ignored(client, smartisp, subscriber, target):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "2100454590", next=target)

    assert response["Location"] == "/"


def test_on_site_next_is_followed(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "2100454590", next="/billing/invoices/?tab=paid")

    assert response["Location"] == "/billing/invoices/?tab=paid"


def test_next_from_the_address_is_kept_in_the_form(client, db):
    page = client.get("/accounts/login/?next=/support/tickets/").content.decode()

    assert '<input type="hidden" name="next" value="/support/tickets/">' in page


def test_off_site_next_from_the_address_is_dropped(client, db):
    page = client.get("/accounts/login/?next=https://evil.example/").content.decode()

    assert 'name="next" value="https://evil.example/"' not in page


def test_remember_me_keeps_the_session_30_days(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "2100454590", remember="on")

    assert not client.session.get_expire_at_browser_close()
    assert 30 * 24 * 3600 - 60 < client.session.get_expiry_age() <= 30 * 24 * 3600
    assert 30 * 24 * 3600 - 60 < response.cookies["sessionid"]["max-age"] <= 30 * 24 * 3600


def test_without_remember_me_the_session_ends_with_the_browser(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "2100454590")

    assert client.session.get_expire_at_browser_close()
    assert response.cookies["sessionid"]["max-age"] == ""
    assert response.cookies["sessionid"]["expires"] == ""


def test_subscriber_smartisp_no_longer_knows_cannot_sign_in(client, smartisp, subscriber, settings):
    settings.PORTAL_SUPPORT_CONTACT = "WhatsApp +593 99 000 0000"
    mock_unknown(smartisp, "2100454590")

    response = sign_in(client, "2100454590")

    assert response.status_code == 403
    page = response.content.decode()
    assert "no longer has you as a subscriber" in page
    assert "WhatsApp +593 99 000 0000" in page
    assert signed_in_as(client) is None


def test_dni_that_now_belongs_to_another_client_cannot_sign_in(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 999)

    response = sign_in(client, "2100454590")

    assert response.status_code == 403
    assert signed_in_as(client) is None


def test_sign_in_goes_ahead_when_smartisp_is_down(client, smartisp, subscriber):
    mock_down(smartisp, "2100454590")

    response = sign_in(client, "2100454590")

    assert response.status_code == 302
    assert signed_in_as(client) == str(subscriber.pk)


def test_sign_in_refreshes_name_and_email_from_smartisp(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1, name="Esthela Shiguango", email="nueva@example.com")

    sign_in(client, "2100454590")

    subscriber.refresh_from_db()
    assert (subscriber.name, subscriber.email) == ("Esthela Shiguango", "nueva@example.com")


def test_sign_in_records_the_language_in_use(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    client.post(
        "/accounts/login/",
        {"dni": "2100454590", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    subscriber.refresh_from_db()
    assert subscriber.language == "en"


def test_staff_sign_in_skips_smartisp(client, smartisp, db):
    staff = User.objects.create_user("operador", "staff-password-93", is_staff=True)

    response = sign_in(client, "operador", "staff-password-93")

    assert response.status_code == 302
    assert signed_in_as(client) == str(staff.pk)
    assert len(smartisp.calls) == 0


def test_switched_off_account_cannot_sign_in(client, smartisp, subscriber):
    subscriber.is_active = False
    subscriber.save()

    response = sign_in(client, "2100454590")

    assert response.status_code == 200
    assert signed_in_as(client) is None


def test_account_waiting_for_activation_cannot_sign_in(client, smartisp, db):
    User.objects.create_user("2100454590", None, smartisp_id=1)

    response = sign_in(client, "2100454590", "")

    assert response.status_code == 200
    assert signed_in_as(client) is None


def test_signed_in_subscriber_opening_sign_in_goes_to_the_dashboard(subscriber_client):
    response = subscriber_client.get("/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"
