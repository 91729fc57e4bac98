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


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def transfer_report(base_url: str, session, *, reference: str, bank: str = "other") -> str:
    """Report a transfer of the first unpaid invoice, with a small JPEG receipt, as the form posts
    it (DESIGN.md section 5); the report's path."""
    import io
    from datetime import date, timedelta

    from PIL import Image, ImageDraw

    form_url = f"{base_url}/billing/transfers/new/"
    form = session.get(form_url, timeout=30).text
    num_bill = re.search(r'name="invoices" value="(\d+)"', form).group(1)
    total = re.search(
        rf'value="{num_bill}"[^>]*>.*?<span class="num">\$([\d.,]+)</span>', form, re.S
    ).group(1)
    image = Image.new("RGB", (600, 800), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(["BANCO PICHINCHA", "Transferencia", f"Ref. {reference}", total]):
        draw.text((40, 80 + row * 60), text, fill=(20, 30, 60))
    receipt = io.BytesIO()
    image.save(receipt, format="JPEG")
    answer = session.post(
        form_url,
        data={
            "csrfmiddlewaretoken": csrf_token(form),
            "invoices": num_bill,
            "bank": bank,
            "paid_on": (date.today() - timedelta(days=1)).isoformat(),
            "amount": total,
            "reference": reference,
        },
        files={"receipt": ("comprobante.jpg", receipt.getvalue(), "image/jpeg")},
        headers={"Referer": form_url},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["Location"]


def invoice_pay(base_url: str, session, num_bill: str, card: str) -> str:
    """Pay `num_bill` at the sandbox gateway with `card`, as a browser would; the payment page's
    path (after a decline the gateway's return passes through it on to the invoice)."""
    invoice_url = f"{base_url}/billing/invoices/{num_bill}/"
    checkout = session.post(
        f"{invoice_url}pay/",
        data={"csrfmiddlewaretoken": csrf_token(session.get(invoice_url, timeout=30).text)},
        headers={"Referer": invoice_url},
        allow_redirects=False,
        timeout=30,
    )
    assert checkout.status_code in (302, 303), checkout.text[:500]
    back = session.post(checkout.headers["Location"], data={"card": card}, timeout=30)
    visited = " ".join(r.url for r in [*back.history, back])
    payment = re.search(r"/billing/payments/[^/?]+/", visited)
    assert payment, f"paying did not pass through a payment page: {visited}"
    return payment.group(0)
