"""Renders static/icons/icon.svg to the PNG icons the web-app manifest lists (192 and 512 px, and a
maskable 512 px one with the glyph inside the safe zone), with Debian's Chromium.

Run after changing the SVG: `.venv/bin/python -m tests.e2e.make_icons`; commit the PNGs."""

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

from portal.audit import CHROMIUM_FLAGS, CHROMIUM_PATH

ICONS = Path(__file__).resolve().parents[2] / "static" / "icons"


def maskable(svg: str) -> str:
    """The same glyph on a full-bleed square, shrunk into the central 80 % safe zone."""
    background = re.search(r'<rect [^>]*fill="(#[0-9a-fA-F]{6})"', svg).group(1)
    glyph = re.sub(r"<rect [^>]*/>", "", svg)
    glyph = glyph[glyph.index(">") + 1 : glyph.rindex("</svg>")]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" fill="{background}"/>'
        f'<g transform="translate(32 32) scale(0.78) translate(-32 -35.5)">{glyph}</g></svg>'
    )


def render(page, svg: str, size: int, out: Path) -> None:
    sized = svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
    page.set_viewport_size({"width": size, "height": size})
    page.set_content(f"<!doctype html><html><body style='margin:0'>{sized}</body></html>")
    page.locator("svg").screenshot(path=str(out), omit_background=True, type="png")


def main() -> None:
    svg = (ICONS / "icon.svg").read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_FLAGS)
        page = browser.new_page(device_scale_factor=1)
        render(page, svg, 192, ICONS / "icon-192.png")
        render(page, svg, 512, ICONS / "icon-512.png")
        render(page, maskable(svg), 512, ICONS / "icon-maskable-512.png")
        browser.close()


if __name__ == "__main__":
    main()
