"""Screenshots of the portal's main pages for the README, taken from the demo stack in Spanish (the
default): every page at phone size (390x844), dashboard and invoices at desktop size (1280x800).

Run `.venv/bin/python -m tests.e2e.screenshots` (about half a minute); it rewrites
docs/screenshots/*.png."""

import argparse
import logging
import re
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from portal.audit import CHROMIUM_FLAGS, CHROMIUM_PATH, portal_session
from portal.sandbox.demo import DEMO_DNI, DEMO_PASSWORD, Stack, free_port
from tests.e2e.browser import DESKTOP, PHONE, SETTLE_MS

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

logger = logging.getLogger("screenshots")


def _shoot(page: Page, path: str, out: Path, *, ready: str = "main") -> None:
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out), animations="disabled", caret="hide")


def screenshots_take(out_dir: Path) -> list[Path]:
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
            session = portal_session(stack.url, DEMO_DNI, DEMO_PASSWORD)
            cookies = [
                {"name": c.name, "value": c.value, "url": stack.url} for c in session.cookies
            ]
            home = session.get(stack.url + "/", timeout=30).text
            next_bill = re.search(r'href="/billing/invoices/(\d+)/"', home).group(1)
            tickets = session.get(stack.url + "/support/tickets/", timeout=30).text
            ticket = re.search(r'href="(/support/tickets/\d+/)"', tickets).group(1)
            invoice = f"/billing/invoices/{next_bill}/"

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_FLAGS)

                def context(viewport, *, signed_in=True, scheme="light", scale=2):
                    ctx = browser.new_context(
                        base_url=stack.url,
                        viewport=viewport,
                        device_scale_factor=scale,
                        color_scheme=scheme,
                        locale="es-EC",
                        service_workers="block",
                    )
                    if signed_in:
                        ctx.add_cookies(cookies)
                    return ctx

                def shoot(ctx, name, path, **kwargs):
                    target = out_dir / f"{name}.png"
                    _shoot(ctx.new_page(), path, target, **kwargs)
                    written.append(target)

                signed_out = context(PHONE, signed_in=False)
                shoot(signed_out, "phone-sign-in", "/accounts/login/")
                shoot(signed_out, "phone-activation", "/accounts/activate/")

                phone = context(PHONE)
                shoot(phone, "phone-dashboard", "/")
                shoot(phone, "phone-invoices", "/billing/invoices/")
                shoot(phone, "phone-invoice", invoice)
                shoot(phone, "phone-tickets", "/support/tickets/")
                shoot(phone, "phone-ticket", ticket)
                shoot(phone, "phone-new-ticket", "/support/tickets/new/")
                shoot(phone, "phone-profile", "/accounts/profile/")
                shoot(context(PHONE, scheme="dark"), "phone-dashboard-dark", "/")

                desktop = context(DESKTOP, scale=1)
                shoot(desktop, "desktop-dashboard", "/")
                shoot(desktop, "desktop-invoices", "/billing/invoices/")
                shoot(desktop, "desktop-invoice", invoice)

                # Last, since it pays the dashboard's next invoice: the receipt.
                page = phone.new_page()
                page.goto("/")
                page.locator("main form[action$='/pay/'] button[type=submit]").first.click()
                page.fill("input[name=card]", "4242 4242 4242 4242")
                page.locator("form button[type=submit]").click()
                expect(page.locator("#payment-status[data-status=settled]")).to_be_visible(
                    timeout=SETTLE_MS
                )
                page.screenshot(path=str(out_dir / "phone-receipt.png"), animations="disabled")
                written.append(out_dir / "phone-receipt.png")
                browser.close()
        finally:
            stack.stop()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="screenshots: %(message)s")
    for path in screenshots_take(args.out):
        logger.info("wrote %s", path)


if __name__ == "__main__":
    main()
