"""Browser tests of the hosted pages: Playwright for Python driving the system's Chromium.

Chromium comes from the operating system's packages (`apt-get install chromium`, which CI's
.ci/run does); Playwright is pointed at that executable, so nothing is downloaded at run time.
Where either is missing the tests skip and say which. `PORTAL_HARNESS_CHROMIUM` names another
executable.

The app under test is either the reference app in process or examples/python-app over HTTP;
both are `Shop`s: a customer is made, subscribes, opens the portal through the app's own
route, and after each journey the app's database is compared with the simulator's truth.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.checks.invariants import compare_state
from harness.fake_stripe import FakeStripe
from harness.hosted import HostedPages
from harness.scenario import default_catalog
from harness.sim import World
from harness.targets import CaseContext, ReferenceTarget
from harness.targets.http import fill

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + "browser" * 5
APP_URL = "https://app.example.test"  # the reference app's site url (return_url lives here)


def chromium_executable() -> str | None:
    named = os.environ.get("PORTAL_HARNESS_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Not for the whole session: while Playwright's sync API is
    running, its event loop counts as running in this thread, and other tests that call
    asyncio.run() (the reference app's own) would fail after these in the same process."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[browser]'")
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium (or set "
                    "PORTAL_HARNESS_CHROMIUM to a Chromium executable)")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=args)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    # The reference app's own pages are not served in these tests: the portal's way back
    # (return_url) lands on this stand-in, so a test can see that it got there.
    context.route(f"{APP_URL}/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<h1>Back in the app</h1>"))
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@dataclass
class Shop:
    """An app under test with the fake Stripe and the hosted pages wired to it."""

    name: str
    world: World
    fake: FakeStripe
    pages: HostedPages
    target: Any
    app_url: str | None = None  # where a browser reaches the app, if it can
    users: dict[str, str] = field(default_factory=dict)  # customer id -> user id

    def customer(self, name: str) -> str:
        email = f"{name}@example.test"
        with self.fake.lock:
            cust = self.world.create_customer(email, name.title())
        self.users[cust.id] = f"user_{name}"
        self.target.seed(f"user_{name}", email, cust.id)
        return cust.id

    def subscribed(self, name: str, price: str = "price_basic_monthly") -> str:
        """A customer who subscribed through Checkout already (recorded in the journey)."""
        customer = self.customer(name)
        self.pages.act(customer, "checkout", price=price,
                       client_reference_id=self.users[customer])
        return customer

    def subscription(self, customer: str) -> Any:
        return [s for s in self.world.subscriptions_of(customer) if not s.ended][-1]

    def open_portal(self, page: Any, customer: str, **form: str) -> None:
        """What the app's "Manage billing" button does: its portal route, then the session."""
        user = self.users[customer]
        if self.app_url is not None:  # a real button on a page, posting to the app's route
            page.context.set_extra_http_headers({"X-User-Id": user})
            route = fill(self.target.spec.portal.url, self.target.values)
            page.set_content(f'<form method="post" action="{route}">'
                             "<button>Manage billing</button></form>")
            page.get_by_role("button", name="Manage billing").click()
            page.wait_for_url("**/p/session/**")
            return
        answer = self.target.portal(user, form=form)
        assert answer.status == 303, answer
        assert answer.location.startswith(self.fake.url + "/p/session/")
        page.goto(answer.location)

    def assert_in_sync(self, customer: str) -> None:
        """The app's database agrees with Stripe, and every event was accepted."""
        refused = [d for d in self.pages.deliveries if not d.ok]
        assert not refused, refused
        with self.fake.lock:
            expected = self.world.expected_state(customer)
        violations = compare_state(expected, self.target.state(customer), customer=customer,
                                   checkpoint="after the journey")
        assert not violations, [v.message for v in violations]


def reference_shop(api_version: str) -> Iterator[Shop]:
    world = World(default_catalog(), api_version)
    fake = FakeStripe(world).start()
    target = ReferenceTarget()
    target.start_case(CaseContext(api_version, SECRET, world.catalog, fake))
    pages = HostedPages(fake, webhook=target, webhook_secret=SECRET).install()
    try:
        yield Shop("reference", world, fake, pages, target)
    finally:
        pages.uninstall()
        target.close()
        fake.stop()
    fake.check()


@pytest.fixture
def shop() -> Iterator[Shop]:
    """The reference app in process, on 2026-10-28.endive (flexible billing: pause offered)."""
    yield from reference_shop("2026-10-28.endive")


@pytest.fixture
def basil_shop() -> Iterator[Shop]:
    """The reference app on 2025-03-31.basil, classic billing: the portal offers no pause."""
    yield from reference_shop("2025-03-31.basil")


@pytest.fixture
def python_shop() -> Iterator[Shop]:
    """examples/python-app as its own process, over HTTP, set up by its own target file."""
    from harness.targets.files import load_target_file

    target_file = load_target_file(ROOT / "examples" / "python-app" / "harness.toml")
    version = target_file.api_versions[0]
    world = World(target_file.catalog, version)
    fake = FakeStripe(world).start()
    target = target_file.build_target(fake)
    try:
        with target:
            target.start_case(CaseContext(version, target_file.webhook_secret,
                                          target_file.catalog, fake))
            pages = HostedPages(fake, webhook=target, webhook_secret=target_file.webhook_secret,
                                api_version=version).install()
            app_url = f"http://127.0.0.1:{target.values['port']}"
            yield Shop("python-app", world, fake, pages, target, app_url)
            pages.uninstall()
    finally:
        fake.stop()
    fake.check()
