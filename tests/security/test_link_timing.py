"""Activation and reset answer in the same time whatever the DNI: the email goes out on the task
worker, so a slow mail relay no longer tells anyone who is a subscriber (DESIGN.md section 5)."""

import statistics
import time

import pytest
from django.core import mail

from tests.accounts.conftest import mock_unknown, mock_user
from tests.billing.payment_helpers import queued, run_tasks

ROUNDS = 12
# The relay takes 250 ms; a request that waited for it would be far over this.
MAX_MEDIAN_GAP_SECONDS = 0.05


def _timed_post(client, url, dni) -> float:
    start = time.perf_counter()
    response = client.post(url, {"dni": dni})
    elapsed = time.perf_counter() - start
    assert response.status_code == 302
    return elapsed


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
    _timed_post(client, url, "1800000000")  # warm-up: templates, URL map, first queries

    known_times, unknown_times = [], []
    for known_dni, unknown_dni in zip(known, unknown, strict=True):
        known_times.append(_timed_post(client, url, known_dni))
        unknown_times.append(_timed_post(client, url, unknown_dni))

    gap = statistics.median(known_times) - statistics.median(unknown_times)
    assert abs(gap) < MAX_MEDIAN_GAP_SECONDS, (known_times, unknown_times)
    # Nothing was sent inside a request: the emails wait for the worker, then all go out.
    assert mail.outbox == []
    assert queued().count("link_email_send") == ROUNDS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"abonado{n}@example.com" for n in range(ROUNDS)
    )
