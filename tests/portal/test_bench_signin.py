"""`make bench`'s sign-in phase measures the hashers the portal really uses, with the numbers
settings.py gives Argon2id (it runs in a process of its own, with production settings)."""

import os

from portal.bench import signin


def test_the_signin_phase_reports_the_settings_argon2id_numbers(settings):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PORTAL_TESTING", "DEBUG")},
        "DEBUG": "false",
        "SECRET_KEY": "bench-test-only-" + "x" * 40,
        "PORTAL_ENV_FILE": "",
        "SMARTISP_URL": "http://127.0.0.1:9/api/SmartIPS-v1/",
        "SMARTISP_API_KEY": "bench-test-key",
    }

    result = signin.signin_cpu(env, checks=1)

    assert result["argon2id"] == {
        "memory_kib": settings.PASSWORD_ARGON2_MEMORY_KIB,
        "time_cost": settings.PASSWORD_ARGON2_TIME_COST,
        "parallelism": settings.PASSWORD_ARGON2_PARALLELISM,
    }
    assert result["pbkdf2_iterations"] == 1_000_000
    assert isinstance(result["argon2id_ms"], float) and isinstance(result["pbkdf2_ms"], float)
