"""Screenshots of every page of the portal, taken from the demo stack (the sandbox subscribers of
`make demo`): each page at 360x640, 390x844 and 1366x768, light and dark, Spanish and English, the
whole page, into docs/screenshots/<size>-<scheme>-<language>-<page>.png.

One command: `.venv/bin/python -m tests.e2e.screenshots` (a few minutes; `--only 360-light-es`
narrows it, `--pages dashboard,tickets` too). It rewrites docs/screenshots/*.png; the README shows
a few of them."""

import argparse
import logging
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from portal.audit import CHROMIUM_FLAGS, CHROMIUM_PATH, portal_session
from portal.sandbox.demo import DEMO_PASSWORD, DEMO_SUBSCRIBERS, Stack, free_port
from tests.e2e.browser import SETTLE_MS, invoice_pay, transfer_report

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {
    "360": {"width": 360, "height": 640},
    "390": {"width": 390, "height": 844},
    "1366": {"width": 1366, "height": 768},
}
SCHEMES = ("light", "dark")
LANGUAGES = {"es": "es-EC", "en": "en-GB"}
CARD_SUCCEEDS = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"
OWES, SUSPENDED, _NO_EMAIL, ALL_PAID = (s.dni for s in DEMO_SUBSCRIBERS)
STAFF, STAFF_PASSWORD = "0999999999", "revisora-de-pagos-2026"  # a portal account, not a subscriber

logger = logging.getLogger("screenshots")


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    dni: str | None  # signed in as; None: signed out


def shots_plan(stack: Stack, sessions: dict[str, requests.Session]) -> list[Shot]:
    """Every page to take, ids included; pays one invoice (the receipt) and declines one."""
    owes = sessions[OWES]
    unpaid = owes.get(stack.url + "/billing/invoices/?status=unpaid", timeout=30).text
    bills = list(dict.fromkeys(re.findall(r'href="/billing/invoices/(\d+)/"', unpaid)))
    home = owes.get(stack.url + "/", timeout=30).text
    # The invoice due first: its link beside "pay everything" (or its own Pay form).
    next_bill = re.search(r'href="/billing/invoices/(\d+)/"', home).group(1)
    others = [b for b in bills if b != next_bill]
    tickets = owes.get(stack.url + "/support/tickets/", timeout=30).text
    ticket = re.search(r'href="(/support/tickets/\d+/)"', tickets).group(1)
    receipt = invoice_pay(stack.url, owes, others[-1], CARD_SUCCEEDS)
    declined = invoice_pay(stack.url, owes, others[0], CARD_DECLINED)
    # A transfer report of the suspended subscriber's oldest invoice, for its page and staff's.
    transfer = transfer_report(
        stack.url, sessions[SUSPENDED], reference="00451287", bank="2201234567"
    )
    signed_out = [
        Shot("sign-in", "/accounts/login/", None),
        Shot("activation", "/accounts/activate/", None),
        Shot("password-reset", "/accounts/password-reset/", None),
        Shot("code", "/accounts/code/", None),
        Shot("not-found", "/no-such-page/", None),
    ]
    return [
        *signed_out,
        Shot("dashboard", "/", OWES),
        Shot("dashboard-suspended", "/", SUSPENDED),
        Shot("dashboard-all-paid", "/", ALL_PAID),
        Shot("invoices", "/billing/invoices/?status=unpaid", OWES),
        Shot("invoices-paid", "/billing/invoices/?status=paid", ALL_PAID),
        Shot("invoice", f"/billing/invoices/{next_bill}/", OWES),
        Shot("invoice-declined", f"/billing/invoices/{others[0]}/", OWES),
        Shot("payment-declined", declined, OWES),
        Shot("receipt", receipt, OWES),
        Shot("tickets", "/support/tickets/", OWES),
        Shot("ticket", ticket, OWES),
        Shot("new-ticket", "/support/tickets/new/", OWES),
        Shot("profile", "/accounts/profile/", OWES),
        Shot("transfer-new", "/billing/transfers/new/", OWES),
        Shot("transfer", transfer, SUSPENDED),
        Shot("staff-transfers", "/staff/transfers/", STAFF),
        Shot("staff-transfer", transfer.replace("/billing/", "/staff/"), STAFF),
    ]


def _shoot(page: Page, path: str, out: Path) -> None:
    page.goto(path)
    expect(page.locator("main").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out), full_page=True, animations="disabled", caret="hide")


def _variants(only: str | None) -> Iterator[tuple[str, str, str]]:
    for size in SIZES:
        for scheme in SCHEMES:
            for language in LANGUAGES:
                if only is None or f"{size}-{scheme}-{language}".startswith(only):
                    yield size, scheme, language


def _settled(stack: Stack, session: requests.Session, path: str) -> None:
    for _ in range(int(SETTLE_MS / 250)):
        if 'data-status="settled"' in session.get(stack.url + path, timeout=30).text:
            return
        time.sleep(0.25)
    raise RuntimeError(f"{path} was not settled in time")


def screenshots_take(out_dir: Path, *, only: str | None = None, pages: set[str] | None = None):
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="portal-shots-") as tmp:
        stack = Stack(
            state_dir=Path(tmp),
            port=free_port(),
            smartisp_port=free_port(),
            gateway_port=free_port(),
            quiet=True,
        )
        stack.start()
        try:
            sessions = {
                dni: portal_session(stack.url, dni, DEMO_PASSWORD)
                for dni in (OWES, SUSPENDED, ALL_PAID)
            }
            stack._run(
                "shell",
                "-c",
                "from accounts.models import User\n"
                f"User.objects.create_user('{STAFF}', '{STAFF_PASSWORD}', name='Ana Revisora',"
                " is_staff=True)",
            )
            sessions[STAFF] = portal_session(stack.url, STAFF, STAFF_PASSWORD)
            plan = [s for s in shots_plan(stack, sessions) if not pages or s.name in pages]
            receipt = next((s.path for s in plan if s.name == "receipt"), None)
            if receipt:
                _settled(stack, sessions[OWES], receipt)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_FLAGS)
                for size, scheme, language in _variants(only):
                    written += _take_variant(
                        browser, stack, sessions, plan, out_dir, size, scheme, language
                    )
                browser.close()
        finally:
            stack.stop()
    return written


def _take_variant(
    browser: Browser, stack, sessions, plan, out_dir, size, scheme, language
) -> list[Path]:
    written = []
    contexts = {}
    for shot in plan:
        if shot.dni not in contexts:
            ctx = browser.new_context(
                base_url=stack.url,
                viewport=SIZES[size],
                device_scale_factor=1,
                color_scheme=scheme,
                locale=LANGUAGES[language],
                service_workers="block",
            )
            if shot.dni:
                ctx.add_cookies(
                    [
                        {"name": c.name, "value": c.value, "url": stack.url}
                        for c in sessions[shot.dni].cookies
                    ]
                )
            contexts[shot.dni] = ctx
        target = out_dir / f"{size}-{scheme}-{language}-{shot.name}.png"
        page = contexts[shot.dni].new_page()
        _shoot(page, shot.path, target)
        page.close()
        written.append(target)
    for ctx in contexts.values():
        ctx.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", help="a variant prefix, e.g. 360-light-es or 1366")
    parser.add_argument("--pages", help="comma-separated page names, e.g. dashboard,tickets")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="screenshots: %(message)s")
    pages = set(args.pages.split(",")) if args.pages else None
    if args.only is None and pages is None:
        for old in args.out.glob("*.png"):
            old.unlink()
    written = screenshots_take(args.out, only=args.only, pages=pages)
    logger.info("wrote %s screenshots into %s", len(written), args.out)


if __name__ == "__main__":
    main()
