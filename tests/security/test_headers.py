"""Response headers: a signed-in page never stays in a shared phone's browser cache
(Cache-Control: private, no-store), and no page may use powerful features it does not need
(Permissions-Policy)."""

import pytest
from django.test import Client

from billing.models import PaymentStatus
from tests.billing.payment_helpers import payment_make
from tests.billing.test_dashboard import mock_dashboard
from tests.conftest import api, example

PRIVATE = "private, no-store"


def directives(response) -> dict[str, str]:
    policy = response["Permissions-Policy"]
    return dict(part.strip().split("=", 1) for part in policy.split(","))


def test_signed_in_dashboard_and_its_kept_copy_are_private_and_not_stored(subscriber, smartisp):
    mock_dashboard(smartisp)
    browser = Client()
    browser.force_login(subscriber)

    first = browser.get("/")
    kept = browser.get("/")

    assert first.status_code == kept.status_code == 200
    assert not kept.templates  # served from portal/pagecache.py
    assert first["Cache-Control"] == kept["Cache-Control"] == PRIVATE


def test_signed_in_invoice_list_and_profile_are_private(subscriber_client, smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))

    for url in ("/billing/invoices/", "/accounts/profile/"):
        response = subscriber_client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == PRIVATE, url


def test_htmx_fragment_of_a_payment_is_private(subscriber_client, subscriber):
    payment = payment_make(subscriber, PaymentStatus.PENDING)

    response = subscriber_client.get(
        f"/billing/payments/{payment.reference}/", HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_signed_in_error_pages_are_private(subscriber_client, smartisp):
    # SmartISP is not answering (nothing is registered): the readable 503.
    unavailable = subscriber_client.get("/billing/invoices/")
    missing = subscriber_client.get("/billing/payments/nothing-here/")

    assert unavailable.status_code == 503 and missing.status_code == 404
    assert unavailable["Cache-Control"] == missing["Cache-Control"] == PRIVATE


def test_anonymous_pages_keep_their_own_caching(client, db):
    sign_in = client.get("/accounts/login/")
    manifest = client.get("/manifest.webmanifest")
    redirect = client.get("/billing/invoices/")

    assert "no-store" in sign_in["Cache-Control"]  # never_cache, as before
    assert manifest["Cache-Control"] == "max-age=3600"
    assert redirect.status_code == 302 and not redirect.has_header("Cache-Control")


def test_signing_out_leaves_no_private_header_on_the_next_anonymous_page(subscriber_client):
    subscriber_client.post("/accounts/logout/")

    manifest = subscriber_client.get("/manifest.webmanifest")

    assert manifest["Cache-Control"] == "max-age=3600"


@pytest.mark.parametrize("url", ["/accounts/login/", "/manifest.webmanifest", "/nothing/"])
def test_every_page_denies_the_powerful_features_the_portal_does_not_use(client, db, url):
    policy = directives(client.get(url))

    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert policy[feature] == "()", feature


def test_the_transfer_form_alone_may_use_the_camera(subscriber_client):
    response = subscriber_client.get("/billing/transfers/new/")  # added by a later issue

    policy = directives(response)
    assert policy["camera"] == "(self)"
    assert policy["microphone"] == policy["geolocation"] == "()"
