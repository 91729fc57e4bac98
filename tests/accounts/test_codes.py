"""Sign-in by a code sent by WhatsApp or SMS: the way in for subscribers without an email."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from accounts.models import PhoneCode, User
from tests.accounts.code_helpers import mock_subscriber, run_tasks, whatsapp_codes
from tests.accounts.conftest import flashed, mock_down, mock_unknown, sent_emails, stable
from tests.conftest import PASSWORD
from tests.messaging.shapes import (
    TW_MESSAGES,
    WA_MESSAGES,
    WA_UNDELIVERABLE,
    tw_created,
    use_whatsapp,
    wa_accepted,
)

DNI = "0401234567"
E164 = "+593991234567"
NEW_PASSWORD = "tortuga-galapagos-71"


@pytest.fixture(autouse=True)
def _whatsapp(settings):
    use_whatsapp(settings)


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """POST the code form as a browser would; the queued task is really enqueued at commit."""

    def post(dni: str = DNI, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/accounts/code/", {"dni": dni}, **extra)

    return post


def a_minute_passes(dni: str = DNI) -> None:
    """What a minute does to the per-DNI minute limit (the hour's count stays)."""

    from accounts import codes

    cache.delete(codes._key("dni-minute", dni))


def verify(client, code: str, dni: str = DNI):
    return client.post("/accounts/code/verify/", {"dni": dni, "code": code})


def the_code(smartisp) -> str:
    to, code = whatsapp_codes(smartisp)[-1]
    assert to == E164
    return code


def test_subscriber_without_email_signs_in_by_whatsapp_code_then_chooses_a_password(
    client, smartisp, ask, db
):
    mock_subscriber(smartisp, DNI, 105, email="")
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))

    asked = ask()

    assert asked.status_code == 302
    assert asked["Location"] == "/accounts/code/verify/"
    assert len(smartisp.calls) == 0  # the request only enqueued: SmartISP and WhatsApp come later
    assert run_tasks() == ["code_send"]
    code = the_code(smartisp)
    assert len(code) == 6 and code.isdigit()

    page = client.get("/accounts/code/verify/")
    assert page.status_code == 200
    assert f'value="{DNI}"' in page.content.decode()  # the DNI typed is kept

    done = verify(client, code)

    assert done.status_code == 302
    assert done["Location"] == "/accounts/code/password/"
    account = User.objects.get(dni=DNI)
    assert client.session["_auth_user_id"] == str(account.pk)
    assert (account.smartisp_id, account.phone, account.channel) == (105, E164, "whatsapp")
    assert not PhoneCode.objects.exists()  # used up
    choose = client.get("/accounts/code/password/")
    assert "ending in 67" in choose.content.decode()
    assert "991234567" not in choose.content.decode()

    saved = client.post(
        "/accounts/code/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert saved.status_code == 302
    assert saved["Location"] == "/"
    assert flashed(client) == ["Your password is set. Welcome!"]  # a new account
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(account.pk)


def test_new_account_may_skip_the_password_and_keep_signing_in_by_code(
    client, smartisp, ask, db, settings
):
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    verify(client, the_code(smartisp))
    client.post("/accounts/logout/")

    # A minute later, a new code signs the same account in again.
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        cache.clear()  # the per-minute limit's key would outlive the patched clock
        ask()
        run_tasks()
        done = verify(client, the_code(smartisp))
    assert done["Location"] == "/accounts/code/password/"
    assert client.session["_auth_user_id"] == str(User.objects.get(dni=DNI).pk)


def test_subscriber_with_a_password_goes_to_the_dashboard_and_keeps_it(client, smartisp, ask, db):
    account = User.objects.create_user(DNI, PASSWORD, smartisp_id=105, name="Luis")
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()

    done = verify(client, the_code(smartisp))

    assert done["Location"] == "/"
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    assert client.session.get_expire_at_browser_close()


@pytest.mark.parametrize("kind", ["phone", "email only", "unknown", "unreadable phone"])
def test_the_code_form_answers_the_same_whatever_the_dni(client, smartisp, ask, db, kind):
    if kind == "phone":
        mock_subscriber(smartisp, DNI, 105)
    elif kind == "email only":
        mock_subscriber(smartisp, DNI, 105, phone="", email="luis@example.com")
    elif kind == "unreadable phone":
        mock_subscriber(smartisp, DNI, 105, phone="no tiene")
    else:
        mock_unknown(smartisp, DNI)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))

    asked = ask()
    page = client.get(asked["Location"])

    assert (asked.status_code, asked["Location"]) == (302, "/accounts/code/verify/")
    assert len(smartisp.calls) == 0
    assert page.status_code == 200
    reference = (
        "If the cédula number you entered belongs to a subscriber of Mi ISP with a phone on "
        "file, a 6-digit code is on its way by WhatsApp or SMS."
    )
    assert reference in page.content.decode()
    assert "991234567" not in stable(page.content) and "+593" not in stable(page.content)

    run_tasks()
    sent_codes = whatsapp_codes(smartisp)
    if kind == "phone":
        assert len(sent_codes) == 1 and mail.outbox == []
    elif kind == "email only":
        # Email is the only channel on file: the activation link goes there.
        assert sent_codes == []
        assert [m.to for m in sent_emails()] == [["luis@example.com"]]
    else:
        assert sent_codes == [] and mail.outbox == []
        assert not PhoneCode.objects.exists()


def test_code_is_stored_only_as_a_keyed_hash(smartisp, ask, db):
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()

    code = the_code(smartisp)
    row = PhoneCode.objects.get()
    stored = " ".join(str(getattr(row, f.attname)) for f in PhoneCode._meta.concrete_fields)
    assert code not in stored
    assert row.channel == "whatsapp" and row.sent_at is not None
    assert row.expires_at - row.created_at == timedelta(minutes=10)


def test_code_has_expired_after_10_minutes(client, smartisp, ask, db):
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    code = the_code(smartisp)

    later = timezone.now() + timedelta(minutes=10, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        refused = verify(client, code)

    assert refused.status_code == 200
    assert "That code is not right, or it has expired." in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_wrong_tries_use_the_code_up(client, smartisp, ask, db):
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    code = the_code(smartisp)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for _ in range(5):
        assert "That code is not right" in verify(client, wrong).content.decode()
    refused = verify(client, code)

    assert refused.status_code == 429
    assert "Too many tries with this code. Ask for a new one." in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_tries_hold_even_when_the_cache_forgets(client, smartisp, ask, db):

    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    code = the_code(smartisp)
    for _ in range(5):
        verify(client, "000000" if code != "000000" else "111111")
    cache.clear()

    assert verify(client, code).status_code == 429
    assert PhoneCode.objects.get().tries == 5


def test_unknown_dni_gets_the_same_answers_to_wrong_codes_and_to_too_many(client, db):
    for _ in range(5):
        page = verify(client, "123456", dni="9999999999")
        assert page.status_code == 200
        assert "That code is not right, or it has expired." in page.content.decode()
    assert verify(client, "123456", dni="9999999999").status_code == 429


def test_a_new_code_replaces_the_old_one(client, smartisp, ask, db):

    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    first = the_code(smartisp)
    a_minute_passes()
    ask()
    run_tasks()
    second = the_code(smartisp)

    assert PhoneCode.objects.count() == 1
    if first != second:
        assert verify(client, first).status_code == 200
        assert "_auth_user_id" not in client.session
    assert verify(client, second)["Location"] == "/accounts/code/password/"


def test_a_second_code_within_a_minute_is_refused_for_any_dni(client, smartisp, ask, db):
    mock_subscriber(smartisp, DNI, 105)
    ask()
    again = ask()
    unknown_first = ask("9999999999")
    unknown_again = ask("9999999999")

    assert again.status_code == unknown_again.status_code == 429
    assert unknown_first.status_code == 302
    assert again["Retry-After"] == "60"
    assert "A code was asked for a moment ago. Wait a minute." in again.content.decode()
    assert stable(again.content) == stable(unknown_again.content).replace("9999999999", DNI)
    assert run_tasks() == ["code_send", "code_send"]  # one per DNI, none for the refused ones


def test_at_most_five_codes_an_hour_per_dni(client, ask, db):

    answers = []
    for _ in range(6):
        answers.append(ask().status_code)
        a_minute_passes()
    assert answers == [302] * 5 + [429]


def test_one_address_asking_for_many_dnis_is_stopped(client, ask, db):
    answers = [ask(f"17{n:08d}").status_code for n in range(31)]
    assert answers == [302] * 30 + [429]
    # From another address the same DNIs still work.
    assert ask("1800000001", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_number_without_whatsapp_gets_the_code_by_sms_and_sms_becomes_the_channel(
    client, smartisp, ask, db
):
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, status=400, json=WA_UNDELIVERABLE)
    smartisp.post(TW_MESSAGES, status=201, json=tw_created(E164))
    ask()
    run_tasks()

    from urllib.parse import parse_qs

    sms = [c for c in smartisp.calls if c.request.url == TW_MESSAGES]
    body = parse_qs(sms[0].request.body)["Body"][0]
    code = body.split()[0]
    assert body == f"{code} is your Mi ISP code. It expires in 10 minutes."

    verify(client, code)
    assert User.objects.get(dni=DNI).channel == "sms"


def test_provider_down_shows_a_clear_message_and_a_new_code_can_be_asked(
    client, smartisp, ask, db, settings
):

    use_whatsapp(settings, twilio=False)
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, status=503, body="<html>Service Unavailable</html>")
    ask()
    assert run_tasks() == ["code_send"]

    row = PhoneCode.objects.get()
    assert "HTTP 503" in row.failure and row.sent_at is None
    page = client.get("/accounts/code/verify/")
    assert "Our WhatsApp and SMS service is having trouble right now." in page.content.decode()
    # The web process may not share the worker's cache (local memory): the database says it too.
    cache.clear()
    page = client.get("/accounts/code/verify/")
    assert "Our WhatsApp and SMS service is having trouble right now." in page.content.decode()

    # A minute later WhatsApp answers again: the new code arrives and works.
    a_minute_passes()
    smartisp.replace("POST", WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    assert "having trouble" not in client.get("/accounts/code/verify/").content.decode()
    assert verify(client, the_code(smartisp))["Location"] == "/accounts/code/password/"


def test_smartisp_down_on_the_worker_loses_nothing_of_the_request(client, smartisp, ask, db):
    mock_down(smartisp, DNI)
    asked = ask()

    assert asked.status_code == 302
    assert run_tasks() == ["code_send"]  # answered, not crashed
    assert whatsapp_codes(smartisp) == []
    assert "having trouble" in client.get("/accounts/code/verify/").content.decode()


@pytest.mark.parametrize("who", ["staff", "switched off"])
def test_no_code_for_staff_or_switched_off_accounts(smartisp, ask, db, who):
    User.objects.create_user(
        DNI,
        PASSWORD,
        smartisp_id=105,
        is_staff=who == "staff",
        is_active=who != "switched off",
    )
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()

    assert whatsapp_codes(smartisp) == []
    assert not PhoneCode.objects.exists()


def test_code_form_asks_for_a_dni_and_keeps_what_was_typed(client, db):
    page = client.post("/accounts/code/", {"dni": "01-02#"})

    assert page.status_code == 200
    assert "Enter your cédula with digits only" in page.content.decode()
    assert 'value="01-02#"' in page.content.decode()


def test_sign_in_activation_and_reset_pages_offer_a_code(client, db):
    for path in ("/accounts/login/", "/accounts/activate/"):
        assert 'href="/accounts/code/"' in client.get(path).content.decode(), path
    reset = client.get("/accounts/password-reset/").content.decode()
    assert 'href="/accounts/code/?reset=1"' in reset


def test_forgotten_password_is_replaced_after_a_code_from_the_reset_page(
    client, smartisp, django_capture_on_commit_callbacks, db
):
    account = User.objects.create_user(DNI, PASSWORD, smartisp_id=105, name="Luis")
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/code/?reset=1", {"dni": DNI})
    run_tasks()

    done = verify(client, the_code(smartisp))

    assert done["Location"] == "/accounts/code/password/"
    page = client.get("/accounts/code/password/").content.decode()
    assert "Choose a new password" in page and "keep my current password" in page
    saved = client.post(
        "/accounts/code/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert saved["Location"] == "/"
    # A reset: changed, not a welcome as for a new account.
    assert flashed(client) == ["Your password has been changed."]
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    # Once: changing it again asks for the old one, on the profile.
    assert client.get("/accounts/code/password/")["Location"] == "/accounts/profile/"


def test_signed_in_with_a_password_cannot_set_one_without_the_old(client, subscriber):
    client.force_login(subscriber)

    page = client.post(
        "/accounts/code/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert page["Location"] == "/accounts/profile/"
    subscriber.refresh_from_db()
    assert subscriber.check_password(PASSWORD)


def test_without_a_phone_backend_no_page_offers_a_code(client, db, settings):
    settings.MESSAGING_BACKEND = ""
    assert 'href="/accounts/code/"' not in client.get("/accounts/login/").content.decode()


def test_code_request_page_uses_get_and_post_only(client, db):
    assert client.get("/accounts/code/").status_code == 200
    assert client.put("/accounts/code/").status_code == 405


def test_the_code_form_does_the_same_work_whatever_the_dni(smartisp, db):
    """The same database queries (and no SmartISP call) for a DNI with a phone, one with an
    email only, and one nobody has: nothing in the answer's time depends on who asked."""
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    mock_subscriber(smartisp, "0401234567", 105)
    mock_subscriber(smartisp, "0912345678", 106, phone="", email="maria@example.com")
    mock_unknown(smartisp, "9999999999")
    User.objects.create_user("0401234567", None, smartisp_id=105)
    shapes = []
    for dni in ("0401234567", "0912345678", "9999999999"):
        with CaptureQueriesContext(connection) as queries:
            Client().post("/accounts/code/", {"dni": dni})  # a new visitor each time
        sql = " ; ".join(q["sql"] for q in queries.captured_queries).replace(dni, "<dni>")
        # What differs by nature: savepoint names, session keys, task ids and times.
        sql = re.sub(r'"s\d+_x\d+"', "<savepoint>", sql)
        sql = re.sub(r"'[0-9a-z]{32}'|'[0-9a-f-]{36}'|'[0-9a-f]{32}'", "<key>", sql)
        sql = re.sub(r"'\d{4}-\d\d-\d\d[ T][\d:.+-]+'", "<time>", sql)
        sql = re.sub(r"'[A-Za-z0-9_:.-]{40,}'", "<signed session data>", sql)
        shapes.append(sql)

    assert shapes[0] == shapes[1] == shapes[2]
    assert len(smartisp.calls) == 0


def test_one_address_guessing_codes_across_many_dnis_is_stopped(client, smartisp, ask, db):
    mock_subscriber(smartisp, DNI, 105)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))
    ask()
    run_tasks()
    code = the_code(smartisp)
    for n in range(50):
        assert verify(client, "123456", dni=f"17{n:08d}").status_code == 200

    # Even the right code of a real account is refused from this address for now...
    assert verify(client, code).status_code == 429
    assert "_auth_user_id" not in client.session
    # ...not from another one.
    other = client.post(
        "/accounts/code/verify/", {"dni": DNI, "code": code}, REMOTE_ADDR="10.0.0.9"
    )
    assert other["Location"] == "/accounts/code/password/"
