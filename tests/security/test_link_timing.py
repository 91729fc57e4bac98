"""Activation, reset and the phone-code form answer in the same time whatever the DNI: the email
or the WhatsApp code goes out on the task worker, so a slow mail relay or a slow messaging
provider no longer tells anyone who is a subscriber (DESIGN.md section 5, issue 18).

The bound. Every send the stand-ins make takes SEND_DELAY (250 ms, the red team's slow relay), so
a request that sent, or waited for, even one message is about 250 ms slower for a known DNI than
for an unknown one (measured with the task backend made immediate: 258-268 ms against 3-8 ms).
With the sends on the worker, five runs of ROUNDS interleaved requests per kind on the 2-core CI
machine (December 2026) gave medians of 3.8-4.1 ms (known) and 1.8-2.0 ms (unknown) on activation
and reset (the 2 ms is the task row only a known DNI gets) and 1.6-1.8 ms for all three kinds on
the code form; with both cores kept busy by other work, gaps reached 6 ms. MAX_MEDIAN_GAP_SECONDS
(15 ms) sits above that noise and far below one send, and below the red team's unknown-DNI
answers (6-48 ms), so a gap of their size, which the old 50 ms bound let through, now fails.
"""

import json
import statistics
import time

import pytest
from django.core import mail

from tests.accounts.code_helpers import mock_subscriber, whatsapp_codes
from tests.accounts.conftest import mock_unknown, mock_user
from tests.billing.payment_helpers import queued, run_tasks
from tests.messaging.shapes import WA_MESSAGES, use_whatsapp, wa_accepted
from tests.security.slow_mail import DELAY_SECONDS as SEND_DELAY

ROUNDS = 12
MAX_MEDIAN_GAP_SECONDS = 0.015
assert MAX_MEDIAN_GAP_SECONDS < SEND_DELAY / 10  # one leaked send could never hide in the bound


def _timed_post(client, url, dni, address) -> float:
    start = time.perf_counter()
    response = client.post(url, {"dni": dni}, REMOTE_ADDR=address)
    elapsed = time.perf_counter() - start
    assert response.status_code == 302, (url, response.status_code)
    return elapsed


def _medians_by_kind(client, url, dnis: dict[str, list[str]]) -> dict[str, float]:
    """Median answer time of each kind of DNI, the kinds taking turns so that whatever else the
    machine does falls on all of them alike. Each request comes from its own address, as many
    visitors would: the per-address limits are not what is measured here."""
    _timed_post(client, url, "1800000000", "10.9.9.9")  # warm-up: templates, URL map, queries
    times: dict[str, list[float]] = {kind: [] for kind in dnis}
    for n in range(ROUNDS):
        for k, (kind, numbers) in enumerate(dnis.items()):
            times[kind].append(_timed_post(client, url, numbers[n], f"10.{k}.0.{n + 1}"))
    return {kind: statistics.median(found) for kind, found in times.items()}


def _assert_same_time(medians: dict[str, float]) -> None:
    gap = max(medians.values()) - min(medians.values())
    shown = {kind: f"{seconds * 1000:.1f} ms" for kind, seconds in medians.items()}
    assert gap < MAX_MEDIAN_GAP_SECONDS, shown


@pytest.mark.django_db(transaction=True)  # commits, so on_commit enqueues as in production
@pytest.mark.parametrize("url", ["/accounts/activate/", "/accounts/password-reset/"])
def test_known_and_unknown_dni_answer_in_the_same_time_with_a_slow_mail_relay(
    client, smartisp, settings, url
):
    settings.EMAIL_BACKEND = "tests.security.slow_mail.SlowEmailBackend"
    known = [f"17{n:08d}" for n in range(ROUNDS)]
    unknown = [f"09{n:08d}" for n in range(ROUNDS)]
    for n, dni in enumerate(known):
        mock_user(smartisp, dni, 500 + n, email=f"abonado{n}@example.com")
    for dni in [*unknown, "1800000000"]:
        mock_unknown(smartisp, dni)

    _assert_same_time(_medians_by_kind(client, url, {"known": known, "unknown": unknown}))

    # Nothing was sent inside a request: the emails wait for the worker, then all go out.
    assert mail.outbox == []
    assert queued().count("link_email_send") == ROUNDS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"abonado{n}@example.com" for n in range(ROUNDS)
    )


def _slow_whatsapp(request):
    time.sleep(SEND_DELAY)
    return 200, {}, json.dumps(wa_accepted())


@pytest.mark.django_db(transaction=True)
def test_code_form_answers_in_the_same_time_for_a_phone_an_email_only_and_an_unknown_dni(
    client, smartisp, settings
):
    use_whatsapp(settings)
    settings.EMAIL_BACKEND = "tests.security.slow_mail.SlowEmailBackend"
    smartisp.add_callback("POST", WA_MESSAGES, callback=_slow_whatsapp)
    dnis = {
        "phone": [f"17{n:08d}" for n in range(ROUNDS)],
        "email only": [f"16{n:08d}" for n in range(ROUNDS)],
        "unknown": [f"09{n:08d}" for n in range(ROUNDS)],
    }
    for n, dni in enumerate(dnis["phone"]):
        mock_subscriber(smartisp, dni, 500 + n)
    for n, dni in enumerate(dnis["email only"]):
        mock_subscriber(smartisp, dni, 600 + n, phone="", email=f"abonado{n}@example.com")
    for dni in [*dnis["unknown"], "1800000000"]:
        mock_unknown(smartisp, dni)

    _assert_same_time(_medians_by_kind(client, "/accounts/code/", dnis))

    # SmartISP is not even asked inside the request; the worker looks up and sends.
    assert len(smartisp.calls) == 0
    assert mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_tasks()
    assert len(whatsapp_codes(smartisp)) == ROUNDS
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"abonado{n}@example.com" for n in range(ROUNDS)
    )
