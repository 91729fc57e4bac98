"""Reads settings from the environment, with an optional `.env` file beside manage.py.

Variables in the real environment win over `.env`. A required variable missing outside DEBUG stops
start-up with one line naming it.
"""

import os
from pathlib import Path


class MissingSetting(SystemExit):
    """Raised at start-up when a required variable is unset; prints one clear line."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Configuration error: the environment variable {name} is required.")


def load_dotenv(path: Path) -> None:
    """Put `KEY=value` lines of `path` into os.environ unless already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(
            f"Configuration error: the environment variable {name} must be a whole number."
        ) from None


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def envrequired(name: str, *, debug: bool, demo_default: str) -> str:
    """A variable that must be set in production; under DEBUG it falls back to the demo value."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if debug:
        return demo_default
    raise MissingSetting(name)
