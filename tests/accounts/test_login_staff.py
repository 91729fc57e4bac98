"""Staff without a subscriber account land on the transfer queue after signing in, and every page
links to it for staff; subscribers sign in to the dashboard as before."""

from accounts.models import User
from tests.accounts.conftest import mock_user
from tests.accounts.test_login import sign_in

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
QUEUE_LINK = 'href="/staff/transfers/"'


def make_staff(**fields) -> User:
    return User.objects.create_user("operador", "staff-password-93", is_staff=True, **fields)


def test_staff_sign_in_goes_to_the_transfer_queue(client, smartisp, db):
    make_staff()

    response = sign_in(client, "operador", "staff-password-93")

    assert response.status_code == 302
    assert response["Location"] == "/staff/transfers/"


def test_staff_sign_in_follows_an_on_site_next(client, smartisp, db):
    make_staff()

    response = sign_in(client, "operador", "staff-password-93", next="/staff/transfers/7/")

    assert response["Location"] == "/staff/transfers/7/"


def test_staff_sign_in_ignores_an_off_site_next(client, smartisp, db):
    make_staff()

    response = sign_in(client, "operador", "staff-password-93", next="https://evil.example/")

    assert response["Location"] == "/staff/transfers/"


def test_signed_in_staff_opening_the_sign_in_page_go_to_the_queue(client, smartisp, db):
    client.force_login(make_staff())

    response = client.get("/accounts/login/")

    assert response["Location"] == "/staff/transfers/"


def test_staff_who_are_also_a_subscriber_go_to_the_dashboard(client, smartisp, db):
    make_staff(smartisp_id=1)

    response = sign_in(client, "operador", "staff-password-93")

    assert response["Location"] == "/"


def test_a_subscriber_still_goes_to_the_dashboard(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "2100454590")

    assert response["Location"] == "/"


def test_staff_see_the_transfer_queue_in_the_navigation(client, smartisp, db):
    client.force_login(make_staff())

    page = client.get("/accounts/profile/", **EN).content.decode()

    nav = page[page.index('<nav class="tabbar"') : page.index("</nav>")]
    assert QUEUE_LINK in nav
    assert "Transfers to review" in nav


def test_subscribers_have_no_transfer_queue_link(subscriber_client, smartisp):
    page = subscriber_client.get("/accounts/profile/", **EN).content.decode()

    assert QUEUE_LINK not in page
