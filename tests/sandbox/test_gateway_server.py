"""The sandbox gateway: sessions, the hosted page, signed webhooks, refunds, lost webhooks."""

from __future__ import annotations

import hashlib
import hmac
import time

from tests.sandbox.conftest import GATEWAY_SECRET, TIMEOUT

SUCCESS_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def assert_signed(delivery: dict) -> None:
    """Check the Sandbox-Signature header with hmac, independently of portal.sandbox.signing."""
    header = delivery["headers"]["Sandbox-Signature"]
    parts = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(parts["t"])
    assert abs(time.time() - timestamp) < 60
    expected = hmac.new(
        GATEWAY_SECRET.encode(), f"{timestamp}.".encode() + delivery["raw"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)


def test_create_session_and_read_its_status(sandbox_gateway):
    created = sandbox_gateway.create()
    assert set(created) == {"id", "url"}
    assert created["id"].startswith("cs_")
    assert created["url"] == f"{sandbox_gateway.root}/checkout/{created['id']}"
    assert sandbox_gateway.status(created["id"]) == {
        "id": created["id"],
        "reference": "pay_ref_123",
        "status": "open",
        "transaction": None,
        "amount": "21.51",
        "currency": "USD",
    }
    assert sandbox_gateway.status(sandbox_gateway.create(amount=21.5)["id"])["amount"] == "21.50"


def test_create_session_validation(sandbox_gateway):
    url = sandbox_gateway.root + "/checkout/sessions"
    response = sandbox_gateway.http.post(url, json={"amount": "-1"}, timeout=TIMEOUT)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert {"reference", "amount", "success_url", "cancel_url"} <= set(fields)
    response = sandbox_gateway.http.post(url, json={"amount": "1.234"}, timeout=TIMEOUT)
    assert "amount" in response.json()["fields"]
    response = sandbox_gateway.http.post(
        url, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert response.status_code == 400
    assert (
        sandbox_gateway.http.get(
            sandbox_gateway.root + "/checkout/sessions/cs_nope", timeout=TIMEOUT
        ).status_code
        == 404
    )


def test_checkout_page_renders_amount_and_form(sandbox_gateway):
    session = sandbox_gateway.create(description="Factura <b>1171</b>")
    response = sandbox_gateway.http.get(session["url"], timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert '<html lang="es">' in page
    assert 'name="viewport"' in page
    assert "$21.51" in page
    assert "Factura &lt;b&gt;1171&lt;/b&gt;" in page  # escaped
    assert '<label for="card">' in page and 'id="card" name="card"' in page
    assert "4242 4242 4242 4242" in page and "4000 0000 0000 0002" in page
    assert f'href="/checkout/{session["id"]}/cancel"' in page
    assert "min-height:44px" in page or "min-height:48px" in page
    assert "http" not in page.split("<style>")[1].split("</style>")[0]  # no external assets
    missing = sandbox_gateway.http.get(sandbox_gateway.root + "/checkout/cs_nope", timeout=TIMEOUT)
    assert missing.status_code == 404


def test_successful_card_sends_signed_webhook_then_redirects(sandbox_gateway, webhook_receiver):
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    response = sandbox_gateway.pay(session["id"], SUCCESS_CARD)
    assert response.status_code == 303
    assert response.headers["Location"] == "http://portal.test/billing/return/sandbox/?ok=1"
    # The webhook went out before the redirect.
    assert len(webhook_receiver.received) == 1
    delivery = webhook_receiver.received[0]
    assert delivery["path"] == "/billing/webhooks/sandbox/"
    assert delivery["headers"]["Content-Type"] == "application/json"
    assert_signed(delivery)
    event = delivery["json"]
    assert event["id"].startswith("evt_")
    assert event["type"] == "payment.succeeded"
    assert isinstance(event["created"], int)
    status = sandbox_gateway.status(session["id"])
    assert status["status"] == "succeeded"
    assert status["transaction"].startswith("txn_")
    assert event["data"] == {
        "session": session["id"],
        "reference": "pay_ref_123",
        "transaction": status["transaction"],
        "amount": "21.51",
        "currency": "USD",
    }
    log = sandbox_gateway.http.get(
        sandbox_gateway.root + "/_sandbox/webhooks", timeout=TIMEOUT
    ).json()
    assert log["count"] == 1
    assert log["webhooks"][0]["url"] == webhook_receiver.url
    assert log["webhooks"][0]["status_code"] == 200
    assert log["webhooks"][0]["event_id"] == event["id"]

    # Paying again changes nothing and sends nothing.
    again = sandbox_gateway.pay(session["id"], SUCCESS_CARD)
    assert again.status_code == 409
    assert "ya fue aprobado" in again.text
    assert len(webhook_receiver.received) == 1


def test_declined_card_sends_payment_failed(sandbox_gateway, webhook_receiver):
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    response = sandbox_gateway.pay(session["id"], DECLINED_CARD)
    assert response.status_code == 303
    assert response.headers["Location"] == "http://portal.test/billing/return/sandbox/?cancel=1"
    assert len(webhook_receiver.received) == 1
    assert_signed(webhook_receiver.received[0])
    event = webhook_receiver.received[0]["json"]
    assert event["type"] == "payment.failed"
    assert event["data"]["transaction"].startswith("txn_")
    assert sandbox_gateway.status(session["id"])["status"] == "failed"


def test_refund_sends_payment_refunded(sandbox_gateway, webhook_receiver):
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    url = sandbox_gateway.root + f"/checkout/sessions/{session['id']}/refund"
    assert sandbox_gateway.http.post(url, timeout=TIMEOUT).status_code == 409  # still open
    sandbox_gateway.pay(session["id"], SUCCESS_CARD)
    response = sandbox_gateway.http.post(url, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    assert len(webhook_receiver.received) == 2
    succeeded, refunded = (d["json"] for d in webhook_receiver.received)
    assert_signed(webhook_receiver.received[1])
    assert refunded["type"] == "payment.refunded"
    assert refunded["id"] != succeeded["id"]
    assert refunded["data"]["transaction"] == succeeded["data"]["transaction"]
    assert sandbox_gateway.status(session["id"])["status"] == "refunded"
    assert sandbox_gateway.http.post(url, timeout=TIMEOUT).status_code == 409  # only once


def test_expire_closes_an_open_session_so_it_can_no_longer_be_paid(
    sandbox_gateway, webhook_receiver
):
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    url = sandbox_gateway.root + f"/checkout/sessions/{session['id']}/expire"

    response = sandbox_gateway.http.post(url, timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json()["status"] == "expired"
    assert sandbox_gateway.status(session["id"])["status"] == "expired"
    paid = sandbox_gateway.pay(session["id"], SUCCESS_CARD)
    assert paid.status_code == 409 and "caducó" in paid.text
    assert webhook_receiver.received == []  # expiring sends nothing, and nothing was charged
    assert sandbox_gateway.http.post(url, timeout=TIMEOUT).status_code == 409  # only once


def test_a_paid_session_cannot_be_expired(sandbox_gateway, webhook_receiver):
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    sandbox_gateway.pay(session["id"], SUCCESS_CARD)
    url = sandbox_gateway.root + f"/checkout/sessions/{session['id']}/expire"

    assert sandbox_gateway.http.post(url, timeout=TIMEOUT).status_code == 409
    assert sandbox_gateway.status(session["id"])["status"] == "succeeded"
    missing = sandbox_gateway.root + "/checkout/sessions/cs_nope/expire"
    assert sandbox_gateway.http.post(missing, timeout=TIMEOUT).status_code == 404


def test_unknown_card_rerenders_with_an_error(sandbox_gateway, webhook_receiver):
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    response = sandbox_gateway.pay(session["id"], "1234 5678")
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="1234 5678"' in response.text  # what was typed is kept
    assert sandbox_gateway.pay(session["id"], "").status_code == 422
    assert sandbox_gateway.status(session["id"])["status"] == "open"
    assert webhook_receiver.received == []
    # And the session can still be paid.
    assert sandbox_gateway.pay(session["id"], "4242-4242-4242-4242").status_code == 303
    assert sandbox_gateway.status(session["id"])["status"] == "succeeded"


def test_cancel_redirects_and_leaves_the_session_open(sandbox_gateway):
    session = sandbox_gateway.create()
    response = sandbox_gateway.http.get(
        session["url"] + "/cancel", allow_redirects=False, timeout=TIMEOUT
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "http://portal.test/billing/return/sandbox/?cancel=1"
    assert sandbox_gateway.status(session["id"])["status"] == "open"


def test_dropped_webhook_can_be_resent(sandbox_gateway, webhook_receiver):
    config = sandbox_gateway.http.post(
        sandbox_gateway.root + "/_sandbox/config", json={"drop_webhooks": True}, timeout=TIMEOUT
    ).json()
    assert config["drop_webhooks"] is True
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    assert sandbox_gateway.pay(session["id"], SUCCESS_CARD).status_code == 303
    assert webhook_receiver.received == []
    assert sandbox_gateway.status(session["id"])["status"] == "succeeded"  # the source of truth
    log = sandbox_gateway.http.get(
        sandbox_gateway.root + "/_sandbox/webhooks",
        params={"session": session["id"]},
        timeout=TIMEOUT,
    ).json()
    assert log["webhooks"][0]["status_code"] is None
    assert "dropped" in log["webhooks"][0]["error"]

    resent = sandbox_gateway.http.post(
        sandbox_gateway.root + f"/checkout/sessions/{session['id']}/resend", timeout=TIMEOUT
    ).json()
    assert resent["status_code"] == 200
    assert len(webhook_receiver.received) == 1
    assert_signed(webhook_receiver.received[0])
    assert webhook_receiver.received[0]["json"]["id"] == log["webhooks"][0]["event_id"]
    # Resending again delivers the same event id: a duplicate, as real gateways do.
    sandbox_gateway.http.post(
        sandbox_gateway.root + f"/checkout/sessions/{session['id']}/resend", timeout=TIMEOUT
    )
    assert webhook_receiver.received[1]["json"]["id"] == webhook_receiver.received[0]["json"]["id"]


def test_redirect_does_not_wait_long_for_a_slow_receiver(sandbox_gateway, webhook_receiver):
    sandbox_gateway.http.post(
        sandbox_gateway.root + "/_sandbox/config", json={"webhook_timeout": 0.5}, timeout=TIMEOUT
    )
    webhook_receiver.delay = 3
    session = sandbox_gateway.create(webhook_url=webhook_receiver.url)
    started = time.monotonic()
    response = sandbox_gateway.pay(session["id"], SUCCESS_CARD)
    assert response.status_code == 303
    assert time.monotonic() - started < 2
    deadline = time.monotonic() + 3
    log: dict = {"count": 0}
    while time.monotonic() < deadline and not log["count"]:
        log = sandbox_gateway.http.get(
            sandbox_gateway.root + "/_sandbox/webhooks", timeout=TIMEOUT
        ).json()
        time.sleep(0.05)
    assert log["count"] == 1
    assert log["webhooks"][0]["status_code"] is None and log["webhooks"][0]["error"]


def test_unreachable_webhook_url_is_logged_not_fatal(sandbox_gateway):
    session = sandbox_gateway.create(webhook_url="http://127.0.0.1:9/hook")
    assert sandbox_gateway.pay(session["id"], SUCCESS_CARD).status_code == 303
    log = sandbox_gateway.http.get(
        sandbox_gateway.root + "/_sandbox/webhooks", timeout=TIMEOUT
    ).json()
    assert log["webhooks"][0]["error"]
    assert sandbox_gateway.status(session["id"])["status"] == "succeeded"


def test_public_url_shapes_the_checkout_url(tmp_path):
    from portal.sandbox import gateway_server

    server = gateway_server.make_server(
        "127.0.0.1", 0, tmp_path / "g.sqlite3", "s", "https://pay.example.test/sandbox/"
    )
    try:
        assert server.public_url == "https://pay.example.test/sandbox"
        assert server.base_path == "/sandbox"
    finally:
        server.server_close()
