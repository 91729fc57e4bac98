"""/healthz: 200 when the database and SmartISP answer, 503 naming the part that is down."""

import pytest
import requests
from django.db import DatabaseError

from tests.conftest import api, example

pytestmark = pytest.mark.django_db


class BrokenConnection:
    def cursor(self):
        raise DatabaseError("could not connect to server")


def test_healthz_is_ok_when_database_and_smartisp_answer(client, smartisp):
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"db": "ok", "smartisp": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_asks_smartisp_every_time(client, smartisp):
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))

    client.get("/healthz")
    client.get("/healthz")

    assert len(smartisp.calls) == 2


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": {"message": "Server Error"}},
        {"body": requests.exceptions.ReadTimeout()},
        {"body": requests.exceptions.ConnectionError()},
        {"status": 401, "json": {"message": "Unauthenticated."}},
        {"body": "<html>Mantenimiento</html>", "content_type": "text/html"},
    ],
    ids=["500", "timeout", "refused", "bad-key", "maintenance-page"],
)
def test_healthz_is_503_when_smartisp_is_down(client, smartisp, failure):
    smartisp.get(api("tickets/meta"), **failure)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["smartisp"] == "down"
    assert response.json()["db"] == "ok"


def test_healthz_is_503_when_the_database_is_down(client, smartisp, monkeypatch):
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))
    monkeypatch.setattr("portal.views.connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"db": "down", "smartisp": "ok"}


def test_healthz_needs_no_sign_in_even_after_a_lockout(client, smartisp, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))
    for _ in range(8):
        refused = client.post(
            "/accounts/login/",
            {"dni": "2100454590", "username": "2100454590", "password": "wrong"},
        )
    # Locked out (axes keeps its records in the database or, with Redis, in the cache).
    assert refused.status_code == 429

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"db": "ok", "smartisp": "ok"}


def test_healthz_answers_get_only(client, smartisp):
    assert client.post("/healthz").status_code == 405
    assert len(smartisp.calls) == 0


@pytest.mark.parametrize(
    "refusal",
    [
        {"status": 401, "json": {"message": "Unauthenticated."}},
        {"status": 403, "body": "<html>Forbidden</html>"},
        {"status": 200, "json": {"message": "Unauthenticated."}},
    ],
    ids=["401", "403-html", "200-unauthenticated"],
)
def test_healthz_says_smartisp_refused_the_key(client, smartisp, caplog, refusal):
    smartisp.get(api("tickets/meta"), **refusal)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "db": "ok",
        "smartisp": "down",
        "smartisp_error": "SmartISP refused the API key",
    }
    assert any("SmartISP refused the API key" in r.getMessage() for r in caplog.records)
    assert len(smartisp.calls) == 1  # a refused key is not asked again elsewhere


def test_healthz_does_not_depend_on_tickets_meta_alone(client, smartisp):
    smartisp.get(api("tickets/meta"), status=404, json={"message": "Not Found"})
    smartisp.get(api("plans"), body=example("plans"))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"db": "ok", "smartisp": "ok"}


def test_healthz_is_503_when_smartisp_has_none_of_the_probed_endpoints(client, smartisp):
    for path in ("tickets/meta", "plans", "clients"):
        smartisp.get(api(path), status=404, body="<html>Not Found</html>")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert "none of the endpoints" in response.json()["smartisp_error"]
