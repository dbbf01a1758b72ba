"""Take the README's screenshot of the local portal from the real page.

    python docs/screenshots.py            writes docs/img/portal.png

Needs the browser extra (`pip install -e ".[browser]"`) and Chromium from the system's packages
(`apt-get install chromium`; or PORTAL_HARNESS_CHROMIUM=/path/to/chromium).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.fake_stripe import FakeStripe
from harness.hosted import HostedPages
from harness.scenario import default_catalog
from harness.sim import World

OUT = Path(__file__).resolve().parent / "img" / "portal.png"


def main() -> int:
    chromium = os.environ.get("PORTAL_HARNESS_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print("no Chromium found: apt-get install chromium", file=sys.stderr)
        return 2
    world = World(default_catalog(), "2026-10-28.endive", seed=7)
    with FakeStripe(world) as fake, HostedPages(fake) as pages:
        alice = world.create_customer("alice@example.test", "Alice").id
        pages.act(alice, "checkout", price="price_pro_monthly")
        world.advance_to(world.now + 40 * 86400)  # one renewal in the invoice history
        session = fake.stripe_client().v1.billing_portal.sessions.create(
            {"customer": alice, "return_url": "https://app.example.test/billing"})
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=args)
            page = browser.new_page(viewport={"width": 760, "height": 720})
            page.goto(session.url)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT), full_page=True)
            browser.close()
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT} "
          f"({OUT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
