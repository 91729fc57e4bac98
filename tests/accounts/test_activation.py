"""Activation: a DNI, an emailed one-time link, a password, signed in on the dashboard."""

from datetime import datetime, timedelta
from unittest import mock

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail

from accounts.models import User
from tests.accounts.conftest import (
    link_path,
    mock_down,
    mock_unknown,
    mock_user,
    sent_emails,
    set_password,
    stable,
    the_email,
)
from tests.conftest import PASSWORD, api

NEW_PASSWORD = "tortuga-galapagos-71"


def test_activation_emails_one_link_that_sets_a_password_and_signs_in(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)

    response = client.post("/accounts/activate/", {"dni": "2100-454590"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/activate/sent/"
    assert smartisp.calls[0].request.url == api("get-user/2100454590")
    account = User.objects.get(dni="2100454590")
    assert (account.smartisp_id, account.name, account.email) == (
        1,
        "Shiguango Esthela",
        "jaquelines@gmail.com",
    )
    assert not account.has_usable_password()

    message, link, html = the_email()
    assert message.to == ["jaquelines@gmail.com"]
    assert "Mi ISP" in message.subject
    assert "Mi ISP" in message.body and "Mi ISP" in html
    assert link_path(link).startswith("/accounts/activate/")

    done = set_password(client, link, NEW_PASSWORD)

    assert done.status_code == 302
    assert done["Location"] == "/"
    assert client.session["_auth_user_id"] == str(account.pk)
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    # Signed in from a link, not "remembered": the session ends with the browser.
    assert client.session.get_expire_at_browser_close()


def test_activation_link_has_expired_after_31_minutes(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/activate/", {"dni": "2100454590"})
    _, link, _ = the_email()

    later = datetime.now() + timedelta(minutes=31)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        response = client.get(link_path(link))

    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    assert 'name="new_password1"' not in response.content.decode()


def test_activation_link_still_works_after_29_minutes(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/activate/", {"dni": "2100454590"})
    _, link, _ = the_email()

    later = datetime.now() + timedelta(minutes=29)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        done = set_password(client, link, NEW_PASSWORD)

    assert done.status_code == 302


def test_activation_link_works_only_once(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/activate/", {"dni": "2100454590"})
    _, link, _ = the_email()
    set_password(client, link, NEW_PASSWORD)
    client.post("/accounts/logout/")

    again = client.get(link_path(link), follow=True)

    assert "This link no longer works" in again.content.decode()
    assert 'name="new_password1"' not in again.content.decode()
    assert not again.wsgi_request.user.is_authenticated


def test_known_unknown_and_emailless_dnis_get_the_same_answer(client, smartisp, db, settings):
    settings.PORTAL_SUPPORT_CONTACT = "WhatsApp +593 99 000 0000"
    mock_user(smartisp, "2100454590", 1)
    mock_unknown(smartisp, "0999999999")
    mock_user(smartisp, "0401234567", 105, name="Luis Chávez", email=None)

    answers = [
        client.post("/accounts/activate/", {"dni": dni}, follow=True)
        for dni in ("2100454590", "0999999999", "0401234567")
    ]

    assert {a.status_code for a in answers} == {200}
    assert {tuple(a.redirect_chain) for a in answers} == {(("/accounts/activate/sent/", 302),)}
    assert len({stable(a.content) for a in answers}) == 1
    page = answers[0].content.decode()
    assert "Check your email" in page
    # How to reach the provider if nothing arrives: a tap opens the WhatsApp chat.
    assert 'WhatsApp <a href="https://wa.me/593990000000">+593 99 000 0000</a>' in page
    assert len(sent_emails()) == 1
    assert mail.outbox[0].to == ["jaquelines@gmail.com"]
    # The subscriber without email gets an account only when a link can prove who they are.
    assert not User.objects.filter(dni__in=["0999999999", "0401234567"]).exists()


def test_reset_form_answers_the_same_for_known_and_unknown_dnis(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)
    mock_unknown(smartisp, "0999999999")

    known = client.post("/accounts/password-reset/", {"dni": "2100454590"}, follow=True)
    unknown = client.post("/accounts/password-reset/", {"dni": "0999999999"}, follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert stable(known.content) == stable(unknown.content)
    assert len(sent_emails()) == 1


def test_smartisp_down_keeps_the_dni_typed_and_says_so(client, smartisp, db):
    mock_down(smartisp, "0102030405")

    response = client.post("/accounts/activate/", {"dni": "0102 030 405"})

    assert response.status_code == 503
    page = response.content.decode()
    assert "cannot reach the billing system" in page
    assert 'value="0102 030 405"' in page
    assert not User.objects.exists()
    assert sent_emails() == []


def test_active_account_asking_to_activate_gets_a_reset_link(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = client.post("/accounts/activate/", {"dni": "2100454590"})

    assert response["Location"] == "/accounts/activate/sent/"
    _, link, _ = the_email()
    assert link_path(link).startswith("/accounts/password-reset/")
    subscriber.refresh_from_db()
    assert subscriber.check_password(PASSWORD)  # nothing changes until the link is used


def test_activation_refreshes_the_email_smartisp_holds(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1, email="nuevo@example.com")

    client.post("/accounts/activate/", {"dni": "2100454590"})

    message, _, _ = the_email()
    assert message.to == ["nuevo@example.com"]
    subscriber.refresh_from_db()
    assert subscriber.email == "nuevo@example.com"


def test_switched_off_account_gets_no_link_and_the_same_page(client, smartisp, subscriber):
    subscriber.is_active = False
    subscriber.save()
    mock_user(smartisp, "2100454590", 1)

    response = client.post("/accounts/activate/", {"dni": "2100454590"})

    assert response["Location"] == "/accounts/activate/sent/"
    assert sent_emails() == []


def test_more_than_three_links_in_30_minutes_are_not_sent(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)

    answers = [client.post("/accounts/activate/", {"dni": "2100454590"}) for _ in range(4)]

    assert {a["Location"] for a in answers} == {"/accounts/activate/sent/"}
    assert len(sent_emails()) == 3


def test_email_is_in_the_subscribers_language(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)
    User.objects.create_user("2100454590", None, smartisp_id=1, language="en")

    client.post("/accounts/activate/", {"dni": "2100454590"}, HTTP_ACCEPT_LANGUAGE="es")

    _, _, html = the_email()
    assert '<html lang="en">' in html


def test_email_follows_the_request_language_for_a_new_account(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)

    client.post("/accounts/activate/", {"dni": "2100454590"}, HTTP_ACCEPT_LANGUAGE="en")

    _, _, html = the_email()
    assert '<html lang="en">' in html
    assert User.objects.get(dni="2100454590").language == "en"


def test_dni_in_a_wrong_shape_is_refused_next_to_the_field(client, smartisp, db):
    response = client.post("/accounts/activate/", {"dni": "../plans"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_dni_error"' in page
    assert 'aria-invalid="true"' in page
    assert "id_dni_error" in page.split('name="dni"')[1].split(">")[0]
    assert len(smartisp.calls) == 0


def test_dni_moved_to_another_smartisp_client_needs_a_new_activation(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 77)

    client.post("/accounts/activate/", {"dni": "2100454590"})

    subscriber.refresh_from_db()
    assert subscriber.smartisp_id == 77
    assert not subscriber.has_usable_password()
    _, link, _ = the_email()
    assert link_path(link).startswith("/accounts/activate/")
