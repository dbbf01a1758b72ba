"""Deep links, the portal configuration, session expiry and recovery, and journeys saved as
scenarios, in Chromium against the reference app."""

from __future__ import annotations

import time

import pytest

from harness.hosted import HostedPages
from harness.run import Case, Runner
from harness.scenario import load_scenario

pytestmark = pytest.mark.browser


def test_a_cancel_deep_link_opens_straight_on_the_flow(page, shop):
    alice = shop.subscribed("alice")
    sub = shop.subscription(alice).id
    shop.open_portal(page, alice, flow="subscription_cancel", subscription=sub)
    assert page.url.endswith(f"/subscriptions/{sub}/cancel")
    page.get_by_role("button", name="Cancel subscription").click()
    # after_completion defaults to the portal homepage
    page.get_by_text("will be canceled at the end of the billing period").wait_for()
    shop.assert_in_sync(alice)


def test_an_update_confirm_deep_link_opens_on_the_preview(page, shop):
    alice = shop.subscribed("alice")
    sub = shop.subscription(alice).id
    shop.open_portal(page, alice, flow="subscription_update_confirm", subscription=sub,
                     price="price_enterprise_monthly")
    assert page.url.endswith(f"/subscriptions/{sub}/update/price_enterprise_monthly")
    page.get_by_role("table", name="Proration preview").wait_for()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Your plan was updated.").wait_for()
    shop.assert_in_sync(alice)
    assert shop.target.state(alice)["plan"] == "enterprise"


def test_a_payment_method_deep_link_and_after_completion_redirect(page, shop):
    alice = shop.subscribed("alice")
    session = shop.fake.stripe_client().v1.billing_portal.sessions.create({
        "customer": alice, "return_url": "https://app.example.test/billing",
        "flow_data": {"type": "payment_method_update", "after_completion": {
            "type": "redirect",
            "redirect": {"return_url": "https://app.example.test/billing?card=saved"}}}})
    page.goto(session.url)
    assert page.url.endswith("/payment-methods/new")
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_label("Expiration (MM/YY)").fill("01/30")
    page.get_by_label("CVC").fill("999")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url("https://app.example.test/billing?card=saved")
    shop.assert_in_sync(alice)


def test_after_completion_hosted_confirmation_shows_the_custom_message(page, shop):
    alice = shop.subscribed("alice")
    sub = shop.subscription(alice).id
    session = shop.fake.stripe_client().v1.billing_portal.sessions.create({
        "customer": alice, "return_url": "https://app.example.test/billing",
        "flow_data": {"type": "subscription_update", "subscription_update": {"subscription": sub},
                      "after_completion": {"type": "hosted_confirmation", "hosted_confirmation": {
                          "custom_message": "Welcome to Pro!"}}}})
    page.goto(session.url)
    page.get_by_role("link", name="Select Pro, $29.00 per month").click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Welcome to Pro!").wait_for()
    page.get_by_role("link", name="Return to app.example.test").wait_for()
    shop.assert_in_sync(alice)


def test_the_page_shows_only_what_the_configuration_enables(page):
    from harness.fake_stripe import FakeStripe
    from harness.scenario import default_catalog
    from harness.sim import World

    world = World(default_catalog(), "2026-10-28.endive")
    with FakeStripe(world, configurations=("bpc_1Narrow",)) as fake:
        configuration = {"features": {
            "invoice_history": {"enabled": False},
            "payment_method_update": {"enabled": False},
            "subscription_cancel": {"enabled": False, "mode": "at_period_end"},
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                    "proration_behavior": "always_invoice",
                                    "products": [{"product": "prod_pro",
                                                  "prices": ["price_pro_monthly"]},
                                                 {"product": "prod_basic",
                                                  "prices": ["price_basic_monthly"]}]}}}
        with HostedPages(fake, configurations={"bpc_1Narrow": configuration}) as pages:
            alice = world.create_customer("alice@example.test", "Alice").id
            pages.act(alice, "checkout", price="price_basic_monthly")
            client = fake.stripe_client()
            narrow = client.v1.billing_portal.sessions.create(
                {"customer": alice, "configuration": "bpc_1Narrow"})
            page.goto(narrow.url)
            page.get_by_role("link", name="Update subscription").wait_for()
            for absent in ("Cancel subscription", "Pause subscription",
                           "Update payment method"):
                assert page.get_by_role("link", name=absent).count() == 0, absent
            assert page.get_by_role("region", name="Invoice history").count() == 0
            page.get_by_role("link", name="Update subscription").click()
            offered = page.get_by_role("list", name="Plans").inner_text()
            assert "Pro, $29.00 per month" in offered and "Enterprise" not in offered
            assert "per year" not in offered
            page.get_by_role("link", name="Select Pro, $29.00 per month").click()
            preview = page.get_by_role("table", name="Proration preview")
            assert "Amount due today" in preview.inner_text()  # always_invoice
            assert page.goto(page.url.replace("/update/price_pro_monthly", "/cancel")
                             ).status == 404
            # the default configuration offers everything
            full = client.v1.billing_portal.sessions.create({"customer": alice})
            page.goto(full.url)
            page.get_by_role("link", name="Cancel subscription").wait_for()


def test_an_expired_session_is_refused_and_points_back_to_the_app(page, shop):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    url = page.url
    shop.pages.expire(url)
    answer = page.goto(url)
    assert answer.status == 410
    assert page.get_by_role("heading", name="This session has expired").is_visible()
    assert page.get_by_label("Email").count() == 0  # no recovery was asked for
    page.get_by_role("link", name="Return to the app").click()
    page.wait_for_url("https://app.example.test/billing")


def test_an_unopened_link_expires_after_the_ttl(page, shop):
    alice = shop.subscribed("alice")
    now = [1000.0]
    shop.pages.clock = lambda: now[0]
    session = shop.fake.stripe_client().v1.billing_portal.sessions.create({"customer": alice})
    now[0] += shop.pages.session_ttl + 1
    assert page.goto(session.url).status == 410


def test_a_session_with_customer_login_recovers_by_email(page, shop):
    alice = shop.subscribed("alice")
    session = shop.fake.stripe_client().v1.billing_portal.sessions.create({
        "customer": alice, "return_url": "https://app.example.test/billing",
        "after_expiration": {"type": "customer_login",
                             "customer_login": {"expires_at": int(time.time()) + 3600}}})
    shop.pages.expire(session.id)
    page.goto(session.url)
    page.get_by_label("Email").fill("mallory@example.test")
    page.get_by_role("button", name="Continue").click()
    assert "does not match" in page.get_by_role("alert").inner_text()
    page.get_by_label("Email").fill("alice@example.test")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Billing for alice@example.test").wait_for()
    assert page.url != session.url
    page.get_by_role("link", name="Cancel subscription").click()
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_text("will be canceled at the end of the billing period").wait_for()
    shop.assert_in_sync(alice)


def test_recovery_ends_at_its_deadline(page, shop):
    alice = shop.subscribed("alice")
    session = shop.fake.stripe_client().v1.billing_portal.sessions.create({
        "customer": alice,
        "after_expiration": {"type": "customer_login",
                             "customer_login": {"expires_at": int(time.time()) - 1}}})
    shop.pages.expire(session.url)
    assert page.goto(session.url).status == 410
    assert page.get_by_label("Email").count() == 0


def test_only_sessions_that_exist_open(page, shop):
    assert page.goto(shop.fake.url + "/p/session/test_made_up").status == 404
    assert page.goto(shop.fake.url + "/c/pay/cs_test_made_up").status == 404


def test_a_subscription_of_another_customer_is_not_reachable(page, shop):
    alice, bob = shop.subscribed("alice"), shop.subscribed("bob")
    shop.open_portal(page, alice)
    other = shop.subscription(bob).id
    assert page.goto(page.url + f"/subscriptions/{other}/cancel").status == 404


def test_a_journey_saves_as_a_scenario_that_replays(page, shop, tmp_path):
    alice = shop.subscribed("alice")
    shop.open_portal(page, alice)
    page.get_by_role("link", name="Update subscription").click()
    page.get_by_role("link", name="Select Pro, $29.00 per month").click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Cancel subscription").click()
    page.get_by_label("Some features are missing").check()
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_role("button", name="Renew subscription").click()
    page.get_by_role("link", name="Pause subscription").click()
    page.get_by_role("button", name="Pause subscription").click()
    page.get_by_text("Your subscription is paused.").wait_for()
    path = shop.pages.save_journey(str(tmp_path / "clicked_journey.yaml"))
    scenario = load_scenario(path)
    steps = [type(s).__name__ for s in scenario.steps]
    assert steps == ["Checkout", "Checkpoint", "SwitchPlan", "Checkpoint",
                     "CancelAtPeriodEnd", "Checkpoint", "UndoCancel", "Checkpoint", "Pause",
                     "Checkpoint"]
    assert scenario.steps[4].feedback == "missing_features"
    # the saved journey plays against the reference app like any built-in scenario
    from harness.targets import ReferenceTarget

    target = ReferenceTarget()
    try:
        report = Runner(target).run([Case(scenario, "2026-10-28.endive", "shuffled")])
    finally:
        target.close()
    assert report.ok, report
