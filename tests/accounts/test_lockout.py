"""Lockout: 5 failures lock one DNI from one IP for 30 minutes (429 with when); a higher IP-wide
limit; never a DNI alone. Passes with axes's database handler and with its cache handler."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from tests.accounts.conftest import clock_at, cool_off_passes, mock_user
from tests.conftest import PASSWORD

ANOTHER_IP = "203.0.113.9"


def attempt(client, dni="0102030405", password="wrong-password", **extra):
    return client.post("/accounts/login/", {"dni": dni, "password": password}, **extra)


def test_sixth_attempt_is_refused_with_429_saying_when(client, smartisp, other_subscriber):
    answers = [attempt(client) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert "is paused" in answers[4].content.decode()  # the fifth says what comes next
    sixth = attempt(client, password=PASSWORD)

    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "You can try again at" in page
    assert 1700 <= int(sixth["Retry-After"]) <= 1800
    assert "_auth_user_id" not in client.session
    assert len(smartisp.calls) == 0


def test_lockout_time_is_shown_in_the_local_zone(client, db, settings):
    settings.LANGUAGE_CODE = "es"  # 24-hour times, as a subscriber sees them by default
    # 20:00 UTC is 15:00 in Guayaquil: the lock ends at 15:30 there.
    frozen = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    with clock_at(frozen):
        for _ in range(5):
            attempt(client)
        refused = attempt(client)

    assert refused.status_code == 429
    assert "15:30" in refused.content.decode()


def test_dni_variants_count_as_one_dni(client, db):
    for typed in ("0102030405", "0102 030 405", "0102.030.405", "0102-030405", "0102030405"):
        attempt(client, typed)

    assert attempt(client, "01 02 03 04 05").status_code == 429


def test_a_locked_dni_still_signs_in_from_another_ip(client, smartisp, other_subscriber):
    mock_user(smartisp, "0102030405", 1057)
    for _ in range(5):
        attempt(client)

    response = attempt(client, password=PASSWORD, REMOTE_ADDR=ANOTHER_IP)

    assert response.status_code == 302


def test_other_dnis_still_sign_in_from_a_locked_pairs_ip(client, smartisp, subscriber):
    mock_user(smartisp, "2100454590", 1)
    for _ in range(5):
        attempt(client)

    assert attempt(client, "2100454590", PASSWORD).status_code == 302


def test_the_pair_signs_in_again_after_the_cool_off(client, smartisp, other_subscriber):
    mock_user(smartisp, "0102030405", 1057)
    for _ in range(5):
        attempt(client)
    assert attempt(client, password=PASSWORD).status_code == 429

    cool_off_passes("0102030405")
    later = timezone.now() + timedelta(minutes=31)
    with clock_at(later):
        response = attempt(client, password=PASSWORD)

    assert response.status_code == 302


def test_refused_attempts_do_not_extend_the_lock(client, smartisp, other_subscriber):
    for _ in range(5):
        attempt(client)
    first = attempt(client)
    for _ in range(3):
        attempt(client)
    last = attempt(client)

    assert first.status_code == last.status_code == 429
    assert int(last["Retry-After"]) <= int(first["Retry-After"])


def test_a_successful_sign_in_clears_the_count(client, smartisp, other_subscriber):
    mock_user(smartisp, "0102030405", 1057)
    for _ in range(4):
        attempt(client)
    assert attempt(client, password=PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    answers = [attempt(client) for _ in range(4)]

    assert {a.status_code for a in answers} == {200}


def test_ip_wide_limit_locks_the_ip_for_every_dni(client, smartisp, subscriber, settings):
    settings.AXES_IP_FAILURE_LIMIT = 12
    mock_user(smartisp, "2100454590", 1)
    # Twelve DNIs, one failure each: no pair is near its limit, the IP is at its own.
    answers = [attempt(client, f"09{n:08d}") for n in range(12)]
    assert {a.status_code for a in answers} == {200}

    refused = attempt(client, "2100454590", PASSWORD)

    assert refused.status_code == 429
    assert "You can try again at" in refused.content.decode()
    assert attempt(client, "2100454590", PASSWORD, REMOTE_ADDR=ANOTHER_IP).status_code == 302


def test_ip_wide_limit_is_50_by_default(settings):
    assert settings.AXES_IP_FAILURE_LIMIT == 50
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_ip_lock_lifts_after_the_cool_off(client, smartisp, subscriber, settings):
    settings.AXES_IP_FAILURE_LIMIT = 6
    mock_user(smartisp, "2100454590", 1)
    for n in range(6):
        attempt(client, f"09{n:08d}")
    assert attempt(client, "2100454590", PASSWORD).status_code == 429

    later = timezone.now() + timedelta(minutes=31)
    with clock_at(later):
        response = attempt(client, "2100454590", PASSWORD)

    assert response.status_code == 302


def test_behind_the_proxy_the_forwarded_client_address_is_locked(client, db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(5):
        attempt(client, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    # A forged left-most entry changes nothing: the proxy appended the real address last.
    forged = attempt(client, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **proxy)
    other = attempt(client, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)

    assert forged.status_code == 429
    assert other.status_code == 200


def test_admin_login_is_locked_with_the_same_page(client, db):
    User.objects.create_superuser("operador", "staff-password-93")
    for _ in range(5):
        client.post("/admin/login/", {"username": "operador", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "operador", "password": "wrong"})

    assert response.status_code == 429
    assert "You can try again at" in response.content.decode()
