"""`next` and every other user-given redirect: checked with Django's
url_has_allowed_host_and_scheme, followed as a path on this site only, never a 500."""

import pytest

from tests.accounts.conftest import mock_user
from tests.conftest import PASSWORD

# What the red team sent: bare words Django's redirect() took for URL names, and the classic
# open-redirect shapes (scheme-relative, backslashes, encoded, userinfo, other schemes).
OPEN_REDIRECTS = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example/",
    "\t//evil.example",
    "%2F%2Fevil.example",
    "https://evil.example\\@testserver/",
]
BARE_WORDS = ["foo", "null", "home", "accounts:login", "admin:index", "None", ".", ".."]


def sign_in(client, next_value, *, where="query"):
    data = {"dni": "2100454590", "password": PASSWORD}
    if where == "query":
        return client.post("/accounts/login/?" + _query(next_value), data)
    return client.post("/accounts/login/", {**data, "next": next_value})


def _query(value: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": value})


@pytest.mark.parametrize("word", BARE_WORDS)
def test_bare_word_next_signs_in_to_a_path_never_a_500(client, smartisp, subscriber, word):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, word)

    assert response.status_code == 302
    assert response["Location"].startswith("/")
    assert client.session["_auth_user_id"] == str(subscriber.pk)


@pytest.mark.parametrize("word", BARE_WORDS)
def test_signed_in_visit_with_bare_word_next_redirects_to_a_path(subscriber_client, word):
    response = subscriber_client.get("/accounts/login/?" + _query(word))

    assert response.status_code == 302
    assert response["Location"].startswith("/")


@pytest.mark.parametrize("where", ["query", "form"])
@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_open_redirect_payloads_on_sign_in_go_to_the_dashboard(
    client, smartisp, subscriber, payload, where
):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, payload, where=where)

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_open_redirect_payloads_when_signed_in_go_to_the_dashboard(subscriber_client, payload):
    response = subscriber_client.get("/accounts/login/?" + _query(payload))

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_same_site_absolute_next_is_followed_as_its_path_only(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)

    response = sign_in(client, "http://testserver/billing/invoices/?status=paid")

    assert response["Location"] == "/billing/invoices/?status=paid"


def _language_post(client, next_value):
    token_page = client.get("/accounts/login/")
    token = token_page.cookies["csrftoken"].value
    client.cookies["csrftoken"] = token
    return client.post(
        "/i18n/setlang/", {"language": "en", "next": next_value, "csrfmiddlewaretoken": token}
    )


@pytest.mark.parametrize("payload", [*OPEN_REDIRECTS, *BARE_WORDS])
def test_language_switch_next_stays_on_a_path_of_this_site(client, db, payload):
    response = _language_post(client, payload)

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


def test_language_switch_returns_to_the_page_it_was_on(client, db):
    response = _language_post(client, "/accounts/password-reset/")

    assert response["Location"] == "/accounts/password-reset/"
