"""App-driven checkout: the harness calls the app's own checkout route as the signed-in user,
follows the Checkout session the app created through the fake Stripe API, checks what the app
put into it, pays it with test cards, and plays the portal flows from the subscription that
payment created. examples/checkout-app creates its own Stripe customer on the first checkout."""

from __future__ import annotations

import pytest

from harness import Session
from harness.errors import ConfigError

pytestmark = pytest.mark.http


def _config(examples, tmp_path, *, env: str = "", checkout: str = ""):
    text = (examples / "checkout-app" / "harness.toml").read_text()
    text = text.replace('command = ["{python}", "app.py"]',
                        f'command = ["{{python}}", "app.py"]\ncwd = "{examples / "checkout-app"}"')
    if env:
        text = text.replace('PLAN_PRICES = "{plans}"', f'PLAN_PRICES = "{{plans}}"\n{env}')
    if checkout:
        text = text.replace('json = { plan = "{plan}" }',
                            f'json = {{ plan = "{{plan}}" }}\n{checkout}')
    path = tmp_path / "harness.toml"
    path.write_text(text)
    return path


def _run(config, scenarios, versions, deliveries, seen=None):
    with Session.create(config=str(config), scenarios=scenarios, api_versions=versions,
                        deliveries=deliveries) as session:
        fake = session.runner.fake

        def look(result):
            if seen is not None:
                seen.append((result, list(fake.requests), fake.world))

        report = session.run(progress=look)
        gaps = list(fake.gaps)
    return report, gaps


def test_the_portal_flows_play_from_the_apps_own_checkout(examples, tmp_path):
    seen = []
    report, gaps = _run(_config(examples, tmp_path),
                        ["upgrade", "cancel_at_period_end", "payment_failed_recovered"],
                        ["2024-06-20", "2025-03-31.basil", "2025-09-30.clover"],
                        ["in_order", "shuffled"], seen)
    assert not gaps
    assert report.ok, report.failures[0].failure_text()
    result, requests, world = seen[0]
    created = [r for r in requests if r.method == "POST" and r.path == "/v1/checkout/sessions"
               and r.status == 200]
    assert len(created) == 1
    params = created[0].params
    assert params["mode"] == "subscription"
    assert params["line_items"] == [{"price": "price_basic_monthly", "quantity": "1"}]
    # The app made its own customer; the harness followed it (state was read for that id).
    customer = params["customer"]
    assert any(r.method == "POST" and r.path == "/v1/customers"
               and r.response.get("id") == customer for r in requests)
    session = world.checkout_sessions[created[0].response["id"]]
    assert (session.status, session.payment_status) == ("complete", "paid")
    # the paying customer's browser came back to success_url, whose page read the session
    assert any(r.method == "GET" and r.path == f"/v1/checkout/sessions/{session.id}"
               and r.params.get("expand") == ["subscription"] for r in requests)
    assert world.subscriptions[session.subscription].customer == customer
    assert all(customer in cp.actual for cp in result.checkpoints)


@pytest.mark.parametrize(("bug", "check"), [
    ("payment_mode", "checkout.mode"),
    ("email_from_request", "checkout.customer"),
    ("external_success", "checkout.return_url"),
    ("success_crash", "checkout.success_page"),
])
def test_a_flawed_checkout_session_is_caught(examples, tmp_path, bug, check):
    report, _ = _run(_config(examples, tmp_path, env=f'BUG = "{bug}"'), ["upgrade"],
                     ["2025-03-31.basil"], ["in_order"])
    found = {v.check for r in report.results for v in r.violations}
    assert check in found, found
    violation = next(v for r in report.results for v in r.violations if v.check == check)
    assert violation.checkpoint == "checkout"


def test_a_declined_card_then_one_that_needs_authentication(examples, tmp_path):
    seen = []
    config = _config(examples, tmp_path,
                     checkout='cards = ["4000000000000002", "4000002500003155"]')
    report, _ = _run(config, ["upgrade"], ["2025-03-31.basil"], ["in_order"], seen)
    assert report.ok, report.failures[0].failure_text()
    _, _, world = seen[0]
    (sub,) = world.subscriptions.values()
    assert world.payment_methods[sub.default_payment_method].last4 == "3155"


def test_only_declined_cards_is_a_config_error(examples, tmp_path):
    config = _config(examples, tmp_path, checkout='cards = ["4000000000000002"]')
    with pytest.raises(ConfigError, match=r"\[checkout\.cards\]: the last card must go through"):
        Session.create(config=str(config), scenarios=["upgrade"])


def test_an_unknown_card_names_the_key(examples, tmp_path):
    config = _config(examples, tmp_path, checkout='cards = ["4111111111111111"]')
    with pytest.raises(ConfigError, match=r"\[checkout\.cards\]: unknown test card"):
        Session.create(config=str(config), scenarios=["upgrade"])
