"""Passwords are hashed with Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane); a PBKDF2
hash from before still signs in and is replaced by an Argon2id one at that sign-in."""

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
    identify_hasher,
    make_password,
)

import portal.settings as production
from accounts.models import User
from tests.accounts.conftest import mock_user
from tests.conftest import PASSWORD

ARGON2ID_OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


def pbkdf2_hash(password: str) -> str:
    # A stored PBKDF2 hash of before; fewer rounds than Django's million keep the test quick,
    # and are read (and upgraded) the same way.
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=10_000)


@pytest.fixture
def real_hashers(settings):
    # The suite hashes with MD5 for speed (conftest.py); these tests use what production uses.
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def test_production_hashes_with_argon2id_first_and_keeps_pbkdf2_second():
    hashers = production.PASSWORD_HASHERS

    assert hashers[0] == "portal.hashers.Argon2idHasher"
    assert hashers[1] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_a_new_password_is_argon2id_with_the_owasp_parameters(real_hashers):
    encoded = make_password(PASSWORD)

    assert encoded.startswith(ARGON2ID_OWASP)
    assert identify_hasher(encoded).verify(PASSWORD, encoded)
    assert not identify_hasher(encoded).verify("not-" + PASSWORD, encoded)


def test_a_pbkdf2_hash_signs_in_and_becomes_argon2id(client, smartisp, db, real_hashers):
    old = pbkdf2_hash(PASSWORD)
    account = User.objects.create(dni="2100454590", smartisp_id=1, password=old)
    mock_user(smartisp, "2100454590", 1)

    response = client.post("/accounts/login/", {"dni": "2100454590", "password": PASSWORD})

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.password.startswith(ARGON2ID_OWASP)
    # And the new hash signs in too.
    client.post("/accounts/logout/")
    again = client.post("/accounts/login/", {"dni": "2100454590", "password": PASSWORD})
    assert again.status_code == 302


def test_a_wrong_password_leaves_a_pbkdf2_hash_as_it_was(client, db, real_hashers):
    old = pbkdf2_hash(PASSWORD)
    account = User.objects.create(dni="2100454590", smartisp_id=1, password=old)

    client.post("/accounts/login/", {"dni": "2100454590", "password": "wrong-" + PASSWORD})

    account.refresh_from_db()
    assert account.password == old


def test_an_argon2_hash_with_other_parameters_is_brought_to_ours(real_hashers):
    django_default = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert "m=102400" in django_default  # Django's own default: 100 MiB, 8 lanes

    assert identify_hasher(django_default).must_update(django_default)
    assert not identify_hasher(make_password(PASSWORD)).must_update(make_password(PASSWORD))


def test_the_argon2_parameters_are_settings_with_owasps_numbers():
    assert production.PASSWORD_ARGON2_MEMORY_KIB == 19456  # 19 MiB
    assert production.PASSWORD_ARGON2_TIME_COST == 2
    assert production.PASSWORD_ARGON2_PARALLELISM == 1


def test_the_hasher_takes_its_parameters_from_settings(real_hashers, settings):
    ours = make_password(PASSWORD)
    settings.PASSWORD_ARGON2_TIME_COST = 3
    settings.PASSWORD_ARGON2_MEMORY_KIB = 20 * 1024
    settings.PASSWORD_ARGON2_PARALLELISM = 2

    stronger = make_password(PASSWORD)

    assert stronger.startswith("argon2$argon2id$v=19$m=20480,t=3,p=2$")
    assert identify_hasher(stronger).verify(PASSWORD, stronger)
    # A hash of the old numbers is re-made with the new ones at its next sign-in.
    assert identify_hasher(ours).must_update(ours)
