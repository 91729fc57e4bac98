"""Password reset: the same email-link flow, for an account that already has a password."""

from accounts.models import User
from tests.accounts.conftest import link_path, mock_user, sent_emails, set_password, the_email
from tests.conftest import PASSWORD

NEW_PASSWORD = "volcan-cotopaxi-5897"


def test_reset_link_sets_a_new_password_and_signs_in(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = client.post("/accounts/password-reset/", {"dni": "2100 454 590"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    message, link, _ = the_email()
    assert message.to == ["jaquelines@gmail.com"]
    assert link_path(link).startswith("/accounts/password-reset/")

    done = set_password(client, link, NEW_PASSWORD)

    assert done["Location"] == "/"
    assert client.session["_auth_user_id"] == str(subscriber.pk)
    subscriber.refresh_from_db()
    assert subscriber.check_password(NEW_PASSWORD)
    assert not subscriber.check_password(PASSWORD)


def test_reset_link_works_only_once(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/password-reset/", {"dni": "2100454590"})
    _, link, _ = the_email()
    set_password(client, link, NEW_PASSWORD)
    client.post("/accounts/logout/")

    again = client.get(link_path(link), follow=True)

    assert "This link no longer works" in again.content.decode()


def test_reset_link_dies_when_the_password_changes_another_way(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/password-reset/", {"dni": "2100454590"})
    _, link, _ = the_email()
    subscriber.set_password("cambiada-en-otro-lado-4")
    subscriber.save()

    response = client.get(link_path(link), follow=True)

    assert "This link no longer works" in response.content.decode()


def test_reset_for_a_subscriber_never_activated_sends_an_activation_link(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)

    client.post("/accounts/password-reset/", {"dni": "2100454590"})

    _, link, _ = the_email()
    assert link_path(link).startswith("/accounts/activate/")
    assert User.objects.get(dni="2100454590").smartisp_id == 1


def test_an_activation_token_does_not_open_the_reset_page(client, smartisp, db):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/activate/", {"dni": "2100454590"})
    _, link, _ = the_email()

    swapped = link_path(link).replace("/accounts/activate/", "/accounts/password-reset/")
    response = client.get(swapped, follow=True)

    assert "This link no longer works" in response.content.decode()


def test_new_password_is_checked_by_djangos_validators(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)
    client.post("/accounts/password-reset/", {"dni": "2100454590"})
    _, link, _ = the_email()

    response = set_password(client, link, "12345678")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_new_password2_error"' in page  # Django's validators said no, beside the field
    assert 'aria-invalid="true"' in page
    assert not response.wsgi_request.user.is_authenticated
    subscriber.refresh_from_db()
    assert subscriber.check_password(PASSWORD)


def test_staff_account_gets_no_link(client, smartisp, db):
    User.objects.create_user("2100454590", "staff-password-93", is_staff=True)
    mock_user(smartisp, "2100454590", 1)

    response = client.post("/accounts/password-reset/", {"dni": "2100454590"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    assert sent_emails() == []
