"""drf-stripe-subscription (PyPI), which nobody here wrote, run under the harness as a Django
REST framework shop would use it: its own webhook and customer-portal views, its own models read
back through its own `current_subscription_items`. Every request it makes is served (it pins
Stripe-Version 2020-08-27, answered in the oldest modelled shape with a note), and the verdicts
are about the library.

The shop's virtualenv is built by `.ci/run` (examples/oss/drf-stripe-subscription/
requirements.txt): the library needs a stripe-python with `stripe.error` and pydantic 1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import Session

pytestmark = pytest.mark.http

SHOP = Path(__file__).resolve().parents[2] / "examples" / "oss" / "drf-stripe-subscription"
SECURITY = {"security.forged_signature", "security.wrong_secret", "security.body_changed",
            "security.stale_timestamp", "security.missing_header"}


@pytest.fixture(scope="module")
def shop() -> Path:
    if not (SHOP / ".venv" / "bin" / "python").exists():
        message = (f"build the shop's virtualenv first: python -m venv {SHOP}/.venv && "
                   f"{SHOP}/.venv/bin/pip install -r {SHOP}/requirements.txt")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHOP


def _run(shop: Path, scenarios: list[str], versions: list[str], deliveries: list[str]):
    with Session.create(config=str(shop / "harness.toml"), scenarios=scenarios,
                        api_versions=versions, deliveries=deliveries) as session:
        report = session.run()
        gaps = sorted((r.method, r.path, r.gap) for r in session.runner.fake.gaps)
    violations = [v for r in report.results for v in r.violations]
    return report, gaps, violations


def test_before_basil_the_subscriptions_stay_in_sync_and_its_own_defects_show(shop):
    report, gaps, violations = _run(shop, ["upgrade", "cancel_at_period_end"], ["2024-06-20"],
                                    ["in_order", "duplicated"])
    assert not gaps, gaps
    assert report.exit_code == 1
    # nothing about the synced state: only the library's portal view and signature handling
    assert {v.check for v in violations} == {"portal.redirect", *SECURITY}, [
        v.message for v in violations if not v.check.startswith("security.")]
    # its portal view crashes for every user already linked to a customer:
    # get_or_create(user_id=..., customer_id=None) misses the row and inserts a second one
    assert all("answered 500" in v.message for v in violations if v.check == "portal.redirect")
    # a bad signature raises SignatureVerificationError out of the view: 500, not 400
    assert all(v.actual == 500 and "crashed (5xx)" in v.defect
               for v in violations if v.check in SECURITY)
    [note] = report.notes
    assert note.startswith("the app called the Stripe API with Stripe-Version 2020-08-27")


def test_from_basil_on_invoices_crash_the_handler_and_the_period_is_lost(shop):
    """Its pydantic models require an invoice line's `price` and `proration` and read the
    subscription's top-level `current_period_end`, all of which 2025-03-31.basil moved."""
    report, gaps, violations = _run(shop, ["upgrade"], ["2025-03-31.basil"], ["in_order"])
    assert not gaps, gaps
    assert report.exit_code == 1
    crashed = {v.message.split(" (")[0] for v in violations if v.check == "delivery.crashed"}
    assert {"the app answered 500 to invoice.created",
            "the app answered 500 to invoice.paid"} <= crashed
    assert any(v.check == "state.current_period_end" and "current_period_end is None"
               in v.message for v in violations)
