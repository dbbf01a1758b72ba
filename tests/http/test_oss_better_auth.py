"""better-auth's Stripe plugin (npm: @better-auth/stripe), which nobody here wrote, run under
the harness as an app on better-auth would use it: sign-up, the plugin's upgrade endpoint (its
own customer and Checkout session), its webhook route and its billing-portal endpoint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness import Session

pytestmark = pytest.mark.http

APP = Path(__file__).resolve().parents[2] / "examples" / "oss" / "better-auth-stripe"


@pytest.fixture(scope="module")
def app() -> Path:
    reason = None
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not (APP / "node_modules" / "@better-auth" / "stripe").is_dir():
        reason = "run `npm ci` in examples/oss/better-auth-stripe first"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return APP


def test_the_plugin_syncs_every_flow_from_its_own_checkout(app):
    gaps: set[tuple[str, str, str]] = set()
    with Session.create(config=str(app / "harness.toml"),
                        api_versions=["2024-06-20", "2025-09-30.clover"],
                        deliveries=["in_order"]) as session:
        fake = session.runner.fake
        report = session.run(progress=lambda _r: gaps.update(
            (r.method, r.path, r.gap) for r in fake.gaps))
        created = fake.requests_to("/v1/checkout/sessions", method="POST")
    assert not gaps, f"requests the fake Stripe did not serve: {sorted(gaps)}"
    # The plugin's own upgrade endpoint made the session, tagged with its own row's id.
    assert created and created[-1].params["subscription_data"]["metadata"]["subscriptionId"]
    failing = {(r.scenario, v.check) for r in report.results for v in r.violations}
    assert not failing, report.failures[0].failure_text()
