"""better-auth's Stripe plugin (npm: @better-auth/stripe), which nobody here wrote, run under
the harness as an app on better-auth would use it: sign-up, the plugin's upgrade endpoint (its
own customer and Checkout session), its webhook route and its billing-portal endpoint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness import Session
from harness.scenario import list_scenarios

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
    # two_subscriptions is left out: the plugin keeps one subscription per user (see
    # examples/oss/README.md), which test_a_second_checkout_loses_the_first shows.
    scenarios = [s.name for s in list_scenarios() if s.name != "two_subscriptions"]
    with Session.create(config=str(app / "harness.toml"), scenarios=scenarios,
                        api_versions=["2024-06-20", "2025-09-30.clover"],
                        deliveries=["in_order"]) as session:
        fake = session.runner.fake
        report = session.run(progress=lambda _r: gaps.update(
            (r.method, r.path, r.gap) for r in fake.gaps))
        created = fake.requests_to("/v1/checkout/sessions", method="POST")
    # Every request is answered and acted on: the plugin's session create sends
    # subscription_data (metadata carried onto the subscription) and customer_update (the
    # name and address entered on the page saved onto the customer).
    assert not gaps, sorted(gaps)
    # The plugin's own upgrade endpoint made the session, tagged with its own row's id.
    assert created and created[-1].params["subscription_data"]["metadata"]["subscriptionId"]
    assert created[-1].params["customer_update"] == {"name": "auto", "address": "auto"}
    assert not [v for r in report.results for v in r.violations
                if v.check == "harness.unserved_request"]
    failing = {(r.scenario, v.check) for r in report.results for v in r.violations
               if v.check != "harness.unserved_request"}
    assert not failing, report.failures[0].failure_text()


def test_a_late_update_resurrects_a_canceled_subscription(app):
    """A real defect of the plugin: it writes each customer.subscription.updated snapshot as
    it comes, so an update created before the deletion but delivered after it (Stripe does not
    promise order) makes the ended subscription active again, with its plan."""
    with Session.create(config=str(app / "harness.toml"), scenarios=["cancel_at_period_end"],
                        api_versions=["2025-09-30.clover"], deliveries=["delayed"]) as session:
        report = session.run()
    (result,) = report.results
    by_check = {v.check: v for v in result.violations}
    assert {"state.status", "state.plan"} <= set(by_check), result.failure_text()
    assert by_check["state.status"].checkpoint == "period_ended"
    assert (by_check["state.status"].expected, by_check["state.status"].actual) == \
        ("canceled", "active")


def test_a_second_checkout_loses_the_first(app):
    """The plugin keeps one subscription row per user: a second Checkout reuses the row, so the
    first subscription, still billed at Stripe, is no longer in the app's database."""
    with Session.create(config=str(app / "harness.toml"), scenarios=["two_subscriptions"],
                        api_versions=["2025-03-31.basil"], deliveries=["in_order"],
                        billing_mode="classic") as session:
        report = session.run()
    (result,) = report.results
    missing = [v for v in result.violations if v.check == "state.subscription_missing"]
    assert missing and missing[0].checkpoint == "subscribed_twice", result.failure_text()


def test_an_older_update_delivered_late_undoes_past_due(app):
    """The same defect in shuffled order: the renewal's update (active, new period) arrives
    after the newer one that made the subscription past_due, and the plugin writes its status
    over the newer one (`status: stripeSubscriptionUpdated.status` in its
    customer.subscription.updated handler), so a customer whose payment failed keeps access."""
    with Session.create(config=str(app / "harness.toml"), scenarios=["payment_failed_recovered"],
                        api_versions=["2024-06-20"], deliveries=["shuffled"]) as session:
        report = session.run()
    (result,) = report.results
    status = next(v for v in result.violations if v.check == "state.status")
    assert (status.checkpoint, status.expected, status.actual) == (
        "payment_failed", "past_due", "active"), result.failure_text()
