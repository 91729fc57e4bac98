"""Every string the code and templates mark for translation has its Spanish translation, and the
English catalogue lists it too.

The check runs `makemessages` on a copy of the source tree (so the real catalogues are not
touched), which merges any newly marked string into the copied catalogues, then asks Debian's
gettext (`msgattrib`) for untranslated and fuzzy entries.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SOURCES = [
    "accounts",
    "billing",
    "support",
    "transfers",
    "messaging",
    "portal",
    "templates",
    "locale",
    "manage.py",
]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", ".compiled")

pytestmark = pytest.mark.skipif(
    shutil.which("msgattrib") is None, reason="needs Debian's gettext (make setup installs it)"
)


def _tree_copy(target: Path) -> Path:
    for name in SOURCES:
        source = BASE_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORE)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def _makemessages(tree: Path) -> None:
    env = {**os.environ, "PORTAL_TESTING": "true", "PORTAL_ENV_FILE": ""}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "-l", "en", "--no-obsolete"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _catalogue(tree: Path, language: str) -> Path:
    return tree / "locale" / language / "LC_MESSAGES" / "django.po"


def _msgids(po_text: str) -> list[str]:
    """The msgids of a .po text, header left out."""
    found = []
    for block in re.split(r"\n\s*\n", po_text):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block + "\n", re.MULTILINE)
        if match:
            text = "".join(re.findall(r'"(.*)"', match.group(1)))
            if text:
                found.append(text)
    return found


def _msgattrib(po: Path, *flags: str) -> str:
    return subprocess.run(
        ["msgattrib", *flags, "--no-obsolete", "--no-wrap", str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def catalogue_gaps(tree: Path) -> dict[str, list[str]]:
    """What is missing: Spanish entries untranslated or fuzzy, msgids the English one lacks."""
    spanish = _catalogue(tree, "es")
    english = _catalogue(tree, "en")
    return {
        "untranslated in Spanish": _msgids(_msgattrib(spanish, "--untranslated")),
        "fuzzy in Spanish": _msgids(_msgattrib(spanish, "--only-fuzzy")),
        "fuzzy in English": _msgids(_msgattrib(english, "--only-fuzzy")),
        "missing from English": sorted(
            set(_msgids(spanish.read_text(encoding="utf-8")))
            - set(_msgids(english.read_text(encoding="utf-8")))
        ),
    }


def _report(gaps: dict[str, list[str]]) -> str:
    lines = []
    for kind, msgids in gaps.items():
        if msgids:
            lines.append(f"{len(msgids)} {kind} (run `make messages`, then translate):")
            lines += [f"  {msgid!r}" for msgid in msgids[:60]]
            if len(msgids) > 60:
                lines.append(f"  … and {len(msgids) - 60} more")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def merged_tree(tmp_path_factory) -> Path:
    """The source tree copied, its catalogues merged with every string the code marks today."""
    tree = _tree_copy(tmp_path_factory.mktemp("messages"))
    _makemessages(tree)
    return tree


def test_every_marked_string_is_translated(merged_tree):
    gaps = catalogue_gaps(merged_tree)
    if any(gaps.values()):
        pytest.fail(_report(gaps), pytrace=False)


def test_check_reports_a_new_string_without_translation(merged_tree, tmp_path):
    """The check above is not vacuous: from catalogues with everything translated, one new
    `{% translate %}` in a template makes it report exactly that string."""
    tree = tmp_path / "tree"
    shutil.copytree(merged_tree, tree)
    for language in ("es", "en"):
        po = _catalogue(tree, language)
        # msgen fills every msgstr with its msgid: a stand-in for complete translations.
        filled = subprocess.run(
            ["msgen", "--no-wrap", str(po)], check=True, capture_output=True, text=True
        ).stdout
        po.write_text(filled.replace("#, fuzzy\n", "", 1), encoding="utf-8")
    assert not any(catalogue_gaps(tree).values()), _report(catalogue_gaps(tree))

    new_string = "Your modem hums a quiet tune 7419"
    (tree / "templates" / "new_page.html").write_text(
        f'{{% extends "base.html" %}}{{% block content %}}<p>{{% translate "{new_string}" %}}</p>'
        "{% endblock %}\n",
        encoding="utf-8",
    )
    _makemessages(tree)
    gaps = catalogue_gaps(tree)
    assert gaps["untranslated in Spanish"] == [new_string], _report(gaps)
    assert gaps["fuzzy in Spanish"] == []
    assert gaps["missing from English"] == []
