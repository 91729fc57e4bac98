"""Helpers of the browser suite: viewports, axe-core, the emails the portal wrote, sign-in state."""

import email
import email.policy
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from playwright.sync_api import Page

from portal.audit import CHROMIUM_FLAGS, CHROMIUM_PATH, portal_session

BASE_DIR = Path(__file__).resolve().parents[2]
AXE_JS = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 360, "height": 640}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}

# Generous: the first request of a page may wait on the sandbox and a cold runserver.
WAIT_MS = 15_000
SETTLE_MS = 25_000

T = TypeVar("T")

__all__ = [
    "AXE_JS",
    "CHROMIUM_FLAGS",
    "CHROMIUM_PATH",
    "DESKTOP",
    "NARROW",
    "PHONE",
    "SETTLE_MS",
    "VIEWPORTS",
    "WAIT_MS",
    "axe_report",
    "axe_violations",
    "eventually",
    "latest_link",
    "portal_session",
]


def eventually(probe: Callable[[], T | None], *, seconds: float = 15, what: str = "") -> T:
    """Poll `probe` until it returns something truthy (for things outside the page, e.g. files)."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what or probe}")
        time.sleep(0.1)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now (needs a bypass_csp context)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                               resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                          summary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )
    return [v for v in result if v["impact"] in BLOCKING_IMPACTS]


def axe_report(where: str, violations: list[dict]) -> str:
    """The violations as lines a page owner can act on."""
    lines = [f"axe-core: {len(violations)} serious/critical violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {node['html']}\n      {summary}")
    return "\n".join(lines)


def _messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every message Django's file-based email backend wrote (one or more per file)."""
    found = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for chunk in path.read_text(encoding="utf-8").split("-" * 79):
            if chunk.strip():
                found.append(email.message_from_string(chunk.lstrip(), policy=email.policy.default))
    return found


def latest_link(mail_dir: Path, to: str, pattern: str) -> str | None:
    """The last link matching `pattern` in a plain-text email to `to`, or None."""
    for message in reversed(_messages(mail_dir)):
        if to not in str(message.get("To", "")):
            continue
        body = message.get_body(preferencelist=("plain",))
        if body is None:
            continue
        match = re.search(pattern, body.get_content())
        if match:
            return match.group(0)
    return None
