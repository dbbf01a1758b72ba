"""The hosted pages as `portal-harness serve` offers them to an app started by hand (the way a
Cypress or Selenium suite runs): examples/python-app on its own port, the browser sent from the
app to serve's pages and back, the events at the app's webhook as the customer clicks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.serve import StripeService
from harness.targets.files import free_port

pytestmark = [pytest.mark.browser, pytest.mark.http]

PYTHON_APP = Path(__file__).resolve().parents[2] / "examples" / "python-app"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[StripeService, str]]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    with StripeService(api_version="2025-03-31.basil",
                       webhook_url=f"{app_url}/api/webhooks/stripe") as service:
        env = {**os.environ, **service.environment(), "PORT": str(port),
               "DB_PATH": str(tmp_path / "app.db")}
        proc = subprocess.Popen([sys.executable, "app.py", uuid.uuid4().hex], cwd=PYTHON_APP,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{app_url}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, "no app"
                time.sleep(0.05)
            yield service, app_url
        finally:
            proc.terminate()
            proc.wait(10)


def test_an_app_started_by_hand_sends_the_customer_to_serves_portal(page: Any, served_app):
    service, app_url = served_app
    world = service.fake.world
    alice = world.create_customer("alice@example.test", "Alice").id
    httpx.post(f"{app_url}/__test/users", json={"id": "user_alice", "email": "alice@example.test",
                                                "stripe_customer_id": alice})
    service.pages.act(alice, "checkout", price="price_basic_monthly")
    # The app's own button, on a page of another origin: serve's pages open without its token.
    page.context.set_extra_http_headers({"X-User-Id": "user_alice"})
    page.set_content(f'<form method="post" action="{app_url}/api/billing/portal">'
                     "<button>Manage billing</button></form>")
    page.get_by_role("button", name="Manage billing").click()
    page.wait_for_url(f"{service.url}/p/session/**")
    page.get_by_role("link", name="Update subscription").click()
    page.get_by_role("link", name="Select Pro, $29.00 per month").click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your plan was updated.").wait_for()
    assert all(d.ok for d in service.pages.deliveries), service.pages.deliveries
    page.get_by_role("link", name="Return to 127.0.0.1").click()
    page.wait_for_url(f"{app_url}/dashboard/billing")
    assert page.get_by_text("Current plan:").inner_text() == "Current plan: pro"
    state = httpx.get(f"{app_url}/__test/state", params={"customer_id": alice}).json()
    assert state["plan"] == "pro"
    journey = httpx.get(f"{service.url}/_harness/journey", params={"name": "by_hand"},
                        headers=service.token_header).json()["yaml"]
    assert "switch_plan:" in journey and "price: price_pro_monthly" in journey
