"""Before the lock: the sign-in page warns when 2 and then 1 attempt remain for this number from
here, with how long the lock lasts; never earlier, never after a success."""

from tests.accounts.conftest import mock_user
from tests.conftest import PASSWORD


def attempt(client, dni="0102030405", password="wrong-password"):
    return client.post(
        "/accounts/login/", {"dni": dni, "password": password}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()


def test_the_last_two_attempts_are_announced_before_the_lock(client, smartisp, other_subscriber):
    pages = [attempt(client) for _ in range(5)]

    assert "left before" not in pages[0] + pages[1]
    assert "2 attempts left before signing in with this number is locked for 30 minutes" in pages[2]
    assert "1 attempt left before signing in with this number is locked for 30 minutes" in pages[3]
    assert "left before" not in pages[4] and "is paused" in pages[4]  # locked now: said instead


def test_the_warning_is_in_spanish_by_default(client, smartisp, other_subscriber):
    for _ in range(4):
        page = client.post(
            "/accounts/login/", {"dni": "0102030405", "password": "x"}, HTTP_ACCEPT_LANGUAGE="es"
        ).content.decode()

    assert "Le queda 1 intento antes de que el ingreso con este número se bloquee" in page


def test_a_success_clears_the_count_and_the_warning(client, smartisp, other_subscriber):
    mock_user(smartisp, "0102030405", 1057)
    for _ in range(3):
        attempt(client)
    client.post("/accounts/login/", {"dni": "0102030405", "password": PASSWORD})
    client.post("/accounts/logout/")

    assert "left before" not in attempt(client)
