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
        line = next(x for x in text.splitlines() if x.startswith("json = { plan"))
        text = text.replace(line, f"{line}\n{checkout}")
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


def test_a_scenario_needing_an_authentication_card_runs_through_the_apps_checkout(examples,
                                                                                 tmp_path):
    """The customer types the card the scenario needs (4000 0027 6000 3184 asks for 3D Secure
    on every payment): Checkout's own payment is authenticated on the page, the renewal then
    waits for the customer, and the app must hold the subscription past_due until then."""
    seen = []
    report, gaps = _run(_config(examples, tmp_path), ["renewal_requires_authentication"],
                        ["2025-03-31.basil"], ["in_order"], seen)
    assert not gaps
    assert report.results and not [r for r in report.results if r.skipped]
    assert report.ok, report.failures[0].failure_text()
    _, _, world = seen[0]
    card = world.payment_methods[next(iter(world.subscriptions.values())).default_payment_method]
    assert (card.last4, card.requires_authentication) == ("3184", True)


def test_a_trial_and_seats_chosen_at_checkout_reach_the_apps_session(examples, tmp_path):
    """[checkout] tells the route the user's choice ({quantity}, {trial_days}): scenarios that
    need several seats or a trial run through the app's own session, and the session is checked
    against the choice."""
    seen = []
    report, gaps = _run(_config(examples, tmp_path), ["trial_to_paid", "seats_changed"],
                        ["2025-09-30.clover"], ["in_order"], seen)
    assert not gaps
    assert report.ok and not [r for r in report.results if r.skipped], \
        report.failures[0].failure_text()
    trial = [s for _, _, w in seen for s in w.subscriptions.values() if s.trial_end]
    assert trial and trial[0].trial_end - trial[0].trial_start == 14 * 86400
    seats = [i.quantity for _, _, w in seen for s in w.subscriptions.values() for i in s.items]
    assert max(seats) >= 3


def test_a_route_that_ignores_the_trial_chosen_fails_checkout_trial(examples, tmp_path):
    config = _config(examples, tmp_path)
    text = config.read_text().replace(', trial_days = "{trial_days}"',
                                      ', trial = "{trial_days}"')  # the app never sees it
    config.write_text(text)
    report, _ = _run(config, ["trial_to_paid"], ["2025-09-30.clover"], ["in_order"])
    checks = {v.check for r in report.results for v in r.violations}
    assert "checkout.trial" in checks, report.results[0].failure_text()
