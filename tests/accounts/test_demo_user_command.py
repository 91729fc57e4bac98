"""`accounts_demo_user`: a ready sign-in for a subscriber SmartISP knows (used by `make demo`)."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from tests.accounts.conftest import mock_unknown, mock_user


def test_demo_user_is_created_ready_to_sign_in(smartisp, db, capsys):
    mock_user(smartisp, "0102030405", 101, name="Juan Pérez González", email="juan@example.com")

    call_command("accounts_demo_user", "--dni", "0102030405", "--password", "demo-portal-2026")

    user = User.objects.get(dni="0102030405")
    assert (user.smartisp_id, user.name, user.email) == (
        101,
        "Juan Pérez González",
        "juan@example.com",
    )
    assert user.is_active and user.check_password("demo-portal-2026")
    assert "0102030405" in capsys.readouterr().out


def test_demo_user_is_updated_when_it_exists(smartisp, other_subscriber):
    mock_user(smartisp, "0102030405", 101)

    call_command("accounts_demo_user", "--dni", "0102030405", "--password", "demo-portal-2026")

    other_subscriber.refresh_from_db()
    assert other_subscriber.smartisp_id == 101
    assert other_subscriber.check_password("demo-portal-2026")
    assert User.objects.count() == 1


def test_demo_user_for_an_unknown_dni_fails_clearly(smartisp, db):
    mock_unknown(smartisp, "0999999999")

    with pytest.raises(CommandError, match="no subscriber with DNI 0999999999"):
        call_command("accounts_demo_user", "--dni", "0999999999", "--password", "x")


def test_demo_users_for_several_dnis_are_made_in_one_run(smartisp, db):
    mock_user(smartisp, "0102030405", 101)
    mock_user(smartisp, "0603456789", 103)

    call_command(
        "accounts_demo_user", "--dni", "0102030405", "--dni", "0603456789", "--password", "pw-2026"
    )

    users = User.objects.order_by("smartisp_id")
    assert [(u.dni, u.smartisp_id) for u in users] == [("0102030405", 101), ("0603456789", 103)]
    assert all(u.check_password("pw-2026") for u in users)
