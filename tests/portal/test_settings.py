"""Production settings pass Django's deploy checks; missing variables stop start-up in one line."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from portal.env import MissingSetting, envrequired, load_dotenv

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "PORTAL_TESTING": "false",
    "SECRET_KEY": secrets.token_urlsafe(60)[:60],
    "SMARTISP_URL": "https://isp.example.com/api/SmartIPS-v1/",
    "SMARTISP_API_KEY": "prod-key-0123456789",
    "PORTAL_URL": "https://portal.example.com",
}


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """manage.py in a clean environment: PRODUCTION plus `env` (None removes), no .env file."""
    variables = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PORTAL_ENV_FILE": "",
        **PRODUCTION,
    }
    for name, value in env.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=variables,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_of(**env: str | None) -> dict:
    names = "SECURE_SSL_REDIRECT SECURE_REDIRECT_EXEMPT SMARTISP_URL SMARTISP_API_KEY DEBUG"
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names.split()!r}}}))"
    )
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


@pytest.mark.parametrize("name", ["SMARTISP_URL", "SECRET_KEY", "SMARTISP_API_KEY"])
def test_missing_required_variable_stops_start_up_with_one_line(name):
    result = manage("check", **{name: None})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr


def test_empty_required_variable_counts_as_missing():
    result = manage("check", SMARTISP_URL="  ")

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: the environment variable SMARTISP_URL is required."
    ]


def test_missing_variable_is_allowed_under_debug():
    result = manage("check", DEBUG="true", SMARTISP_URL=None, SECRET_KEY=None)

    assert result.returncode == 0, result.stderr


def test_healthz_is_reachable_over_plain_http_in_production():
    found = settings_of()

    assert found["SECURE_SSL_REDIRECT"] is True
    assert any(re.search(p, "healthz") for p in found["SECURE_REDIRECT_EXEMPT"])


def test_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "SMARTISP_URL=https://from-dotenv.example.com/api/SmartIPS-v1/\n"
        "SMARTISP_API_KEY=dotenv-key\n"
    )

    found = settings_of(PORTAL_ENV_FILE=str(env_file), SMARTISP_URL=None)

    assert found["SMARTISP_URL"] == "https://from-dotenv.example.com/api/SmartIPS-v1/"
    assert found["SMARTISP_API_KEY"] == PRODUCTION["SMARTISP_API_KEY"]


# -- portal.env -------------------------------------------------------------------------------


def test_load_dotenv_fills_only_unset_variables(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n"
        "\n"
        "PORTAL_T_SET=from-file\n"
        "PORTAL_T_UNSET=from-file\n"
        "export PORTAL_T_EXPORTED=exported\n"
        'PORTAL_T_QUOTED="two words"\n'
        "PORTAL_T_SINGLE='x=1'\n"
        "not a variable line\n"
    )
    monkeypatch.setenv("PORTAL_T_SET", "from-environment")
    for name in ("PORTAL_T_UNSET", "PORTAL_T_EXPORTED", "PORTAL_T_QUOTED", "PORTAL_T_SINGLE"):
        # setenv first, so that monkeypatch removes what load_dotenv sets when the test ends.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    load_dotenv(env_file)

    assert os.environ["PORTAL_T_SET"] == "from-environment"
    assert os.environ["PORTAL_T_UNSET"] == "from-file"
    assert os.environ["PORTAL_T_EXPORTED"] == "exported"
    assert os.environ["PORTAL_T_QUOTED"] == "two words"
    assert os.environ["PORTAL_T_SINGLE"] == "x=1"


def test_load_dotenv_without_a_file_does_nothing(tmp_path):
    before = dict(os.environ)
    load_dotenv(tmp_path / "missing.env")
    assert dict(os.environ) == before


def test_envrequired_falls_back_only_under_debug(monkeypatch):
    monkeypatch.delenv("PORTAL_T_REQUIRED", raising=False)

    assert envrequired("PORTAL_T_REQUIRED", debug=True, demo_default="demo") == "demo"
    with pytest.raises(MissingSetting, match="PORTAL_T_REQUIRED"):
        envrequired("PORTAL_T_REQUIRED", debug=False, demo_default="demo")
