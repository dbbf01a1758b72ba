"""The hosted pages without a browser: configuration features, test cards, the proration
preview against what Stripe then bills, sessions and routes, serve, the fixture, journeys."""

from __future__ import annotations

import re

import httpx
import pytest

from harness.errors import ConfigError
from harness.fake_stripe import FakeStripe
from harness.hosted import TEST_CARDS, HostedPages, PortalFeatures
from harness.hosted.cards import CardError, read_card
from harness.hosted.preview import preview_switch
from harness.scenario import default_catalog
from harness.serve import StripeService
from harness.sim import World

pytest_plugins = ["pytester"]

# The configuration object of Stripe's API reference (billing_portal/configurations/object).
DOCS_CONFIGURATION = {
    "id": "bpc_1MrnZsLkdIwHu7ixNiQL1xPM", "object": "billing_portal.configuration",
    "features": {
        "customer_update": {"allowed_updates": ["email", "tax_id"], "enabled": True},
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": False},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "options": [
                "too_expensive", "missing_features", "switched_service", "unused", "other"]},
            "enabled": False, "mode": "at_period_end", "proration_behavior": "none"},
        "subscription_update": {"default_allowed_updates": [], "enabled": False,
                                "proration_behavior": "none"}}}


def test_features_are_read_from_a_stripe_configuration():
    features = PortalFeatures.from_configuration(DOCS_CONFIGURATION)
    assert features.invoice_history and not features.payment_method_update
    assert not features.cancel and features.cancellation_reasons == ()
    assert not features.update and features.prices(default_catalog()) == []
    assert not features.pause and features.customer_update == ("email", "tax_id")


def test_features_round_trip_through_the_stripe_shape():
    catalog = default_catalog()
    features = PortalFeatures(cancel_mode="immediately", update_prices=("price_pro_monthly",
                                                                        "price_basic_monthly"),
                              update_proration_behavior="always_invoice", pause=False)
    back = PortalFeatures.from_configuration(features.as_configuration_features(catalog))
    assert back.prices(catalog) == features.prices(catalog) == ["price_basic_monthly",
                                                                "price_pro_monthly"]
    assert (back.cancel_mode, back.update_proration_behavior, back.pause) == (
        "immediately", "always_invoice", False)


def test_a_bad_configuration_names_the_field():
    with pytest.raises(ConfigError, match=r"subscription_cancel\.mode"):
        PortalFeatures(cancel_mode="later")
    with pytest.raises(ConfigError, match="unknown reason 'bored'"):
        PortalFeatures(cancellation_reasons=("bored",))


def test_pause_is_offered_only_in_the_redesigned_portal():
    features = PortalFeatures()
    assert features.pause_offered("2026-10-28.endive", "flexible")
    assert not features.pause_offered("2026-10-28.endive", "classic")
    assert not features.pause_offered("2025-09-30.clover", "flexible")


@pytest.mark.parametrize("number,outcome", [
    ("4242424242424242", "succeeds"), ("4000 0000 0000 0002", "declined"),
    ("4000-0025-0000-3155", "authentication"), ("4000000000000341", "declines_later")])
def test_stripe_test_cards(number, outcome):
    assert read_card(number, "12/34", "123").outcome == outcome


@pytest.mark.parametrize("number,expiry,cvc,message", [
    ("", "12/34", "123", "incomplete"), ("4242424242424241", "12/34", "123", "invalid"),
    ("4242424242424242", "13/34", "123", "expiration"),
    ("4242424242424242", "12/34", "1", "security code"),
    ("4111111111111111", "12/34", "123", "non test card")])
def test_a_bad_card_says_what_is_wrong(number, expiry, cvc, message):
    with pytest.raises(CardError, match=message):
        read_card(number, expiry, cvc)


def test_every_test_card_passes_the_luhn_check():
    for number in TEST_CARDS:
        read_card(number, "01/30", "123")


@pytest.mark.parametrize("behavior", ["create_prorations", "always_invoice", "none"])
@pytest.mark.parametrize("new_price", ["price_pro_monthly", "price_pro_annual"])
def test_the_preview_is_what_the_switch_then_bills(behavior, new_price):
    world = World(default_catalog(), "2025-03-31.basil")
    alice = world.create_customer("alice@example.test", "Alice").id
    sub = world.checkout(alice, "price_basic_monthly")
    world.advance_to(world.now + 9 * 86400 + 3600)
    shown = preview_switch(world, sub, new_price, behavior)
    start = len(world.events)
    world.switch_plan(sub, new_price, proration_behavior=behavior)
    items = [e.object for e in world.events[start:] if e.type == "invoiceitem.created"]
    invoiced = [e.object for e in world.events[start:] if e.type == "invoice.created"]
    if shown.due_now:
        assert invoiced and invoiced[0].total == shown.total
    else:
        assert not invoiced
        assert sum(i.amount for i in items) == shown.total


def test_a_downgrade_scheduled_at_period_end_previews_nothing_due():
    from harness.sim.portal_config import load_portal_configuration

    world = World(default_catalog(), "2025-03-31.basil",
                  portal=load_portal_configuration("schedule_downgrades"))
    alice = world.create_customer("alice@example.test", "Alice").id
    sub = world.checkout(alice, "price_enterprise_monthly")
    world.advance_to(world.now + 9 * 86400)
    shown = preview_switch(world, sub, "price_basic_monthly", "none")
    assert shown.lines == [] and shown.next_renewal == sub.current_period_end
    start = len(world.events)
    world.switch_plan(sub, "price_basic_monthly")
    assert [e.type for e in world.events[start:]] == ["subscription_schedule.created",
                                                      "customer.subscription.updated"]


def test_the_pages_need_the_fake_served_over_http():
    fake = FakeStripe(World(default_catalog(), "2025-03-31.basil"))
    with pytest.raises(ConfigError, match=r"fake\.start"):
        HostedPages(fake).install()
    with pytest.raises(ConfigError, match="signing secret"):
        HostedPages(fake, webhook="http://127.0.0.1:9/hook")


def test_uninstalling_restores_the_fake():
    world = World(default_catalog(), "2025-03-31.basil")
    with FakeStripe(world) as fake:
        routes = list(fake.routes)
        alice = world.create_customer("alice@example.test", "Alice").id
        with HostedPages(fake):
            url = fake.stripe_client().v1.billing_portal.sessions.create({"customer": alice}).url
            assert url.startswith(fake.url + "/p/session/test_")
        assert fake.routes == routes and fake.pages is None
        url = fake.stripe_client().v1.billing_portal.sessions.create({"customer": alice}).url
        assert url.startswith("https://billing.stripe.com/p/session/test_")


def test_serve_opens_the_pages_and_sends_events_to_the_webhook(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    with StripeService(webhook_url=httpserver.url_for("/hook"),
                       api_version="2025-03-31.basil") as service:
        world = service.fake.world
        alice = world.create_customer("alice@example.test", "Alice").id
        service.pages.act(alice, "checkout", price="price_basic_monthly")
        client = service.fake.stripe_client(over_http=False)
        session = client.v1.billing_portal.sessions.create({"customer": alice})
        assert session.url.startswith(service.url + "/p/session/")
        http = httpx.Client(follow_redirects=True)
        home = http.get(session.url)
        assert home.status_code == 200 and "Billing for alice@example.test" in home.text
        sub = world.subscriptions_of(alice)[0].id
        done = http.post(f"{session.url}/subscriptions/{sub}/cancel",
                         data={"reason": "unused"})
        assert done.status_code == 200 and "will be canceled" in done.text
        sent = [r.get_json()["type"] for r, _ in httpserver.log]
        assert sent[-1] == "customer.subscription.updated"
        assert "checkout.session.completed" in sent
        assert http.get(f"{service.url}/_harness/journey").status_code == 401  # control route
        journey = http.get(f"{service.url}/_harness/journey", params={"name": "mine"},
                           headers=service.token_header).json()
        assert "cancel_at_period_end:" in journey["yaml"]
        assert "feedback: unused" in journey["yaml"]


def test_serve_opens_the_pages_from_the_app_but_takes_actions_only_from_them():
    with StripeService(api_version="2025-03-31.basil") as service:
        world = service.fake.world
        alice = world.create_customer("alice@example.test", "Alice").id
        service.pages.act(alice, "checkout", price="price_basic_monthly")
        url = service.fake.stripe_client().v1.billing_portal.sessions.create(
            {"customer": alice}).url
        sub = world.subscriptions_of(alice)[0].id
        from_the_app = {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:3000"}
        assert httpx.get(url, headers=from_the_app).status_code == 200  # no token needed
        assert httpx.get(url + "x").status_code == 404  # only sessions that exist
        foreign = httpx.post(f"{url}/subscriptions/{sub}/cancel", headers=from_the_app)
        assert foreign.status_code == 403 and not world.subscriptions[sub].cancellation_pending
        own = {"Origin": service.url, "Sec-Fetch-Site": "same-origin"}
        assert httpx.post(f"{url}/subscriptions/{sub}/cancel", headers=own).status_code == 303
        assert world.subscriptions[sub].cancellation_pending
        rebound = httpx.get(url, headers={"Host": f"evil.example:{service.url.rsplit(':')[-1]}"})
        assert rebound.status_code == 403


def test_a_journey_that_cannot_replay_is_not_saved(tmp_path):
    world = World(default_catalog(), "2025-03-31.basil")
    with FakeStripe(world) as fake, HostedPages(fake) as pages:
        alice = world.create_customer("alice@example.test", "Alice").id
        with pytest.raises(ConfigError, match="nothing to save"):
            pages.journey_yaml("empty")
        world.checkout(alice, "price_basic_monthly")  # outside the pages: not recorded
        session = fake.stripe_client().v1.billing_portal.sessions.create({"customer": alice})
        sub = world.subscriptions_of(alice)[0].id
        httpx.post(f"{session.url}/subscriptions/{sub}/cancel")
        with pytest.raises(ConfigError, match="does not replay"):
            pages.save_journey(str(tmp_path / "broken.yaml"))
        assert not (tmp_path / "broken.yaml").exists()
        with pytest.raises(ConfigError, match=r"saved as \.yaml"):
            pages.save_journey(str(tmp_path / "broken.json"))


def test_the_fixture_wires_the_pages_to_the_reference_app(pytester):
    pytester.makepyfile(test_mine="""
        import httpx

        def test_cancel_from_the_portal(fake_stripe, reference_app, hosted_pages):
            world = fake_stripe.world
            alice = world.create_customer("alice@example.test", "Alice").id
            reference_app.seed_user("user_alice", "alice@example.test", alice)
            hosted_pages.act(alice, "checkout", price="price_pro_monthly",
                             client_reference_id="user_alice")
            url = fake_stripe.stripe_client().v1.billing_portal.sessions.create(
                {"customer": alice}).url
            sub = world.subscriptions_of(alice)[0].id
            httpx.post(f"{url}/subscriptions/{sub}/cancel")
            assert reference_app.state(alice)["subscriptions"][sub]["cancel_at_period_end"]
            assert all(d.ok for d in hosted_pages.deliveries)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_page_routes_refuse_other_methods():
    world = World(default_catalog(), "2025-03-31.basil")
    with FakeStripe(world) as fake, HostedPages(fake):
        answer = httpx.delete(fake.url + "/p/session/test_x")
        assert answer.status_code == 405
        assert re.search(r"<h1>Method not allowed</h1>", answer.text)


def test_an_expired_checkout_session_takes_no_payment():
    world = World(default_catalog(), "2025-03-31.basil")
    with FakeStripe(world) as fake, HostedPages(fake):
        client = fake.stripe_client()
        session = client.v1.checkout.sessions.create({
            "mode": "subscription", "customer_email": "dave@example.test",
            "line_items": [{"price": "price_basic_monthly"}],
            "success_url": "https://app.example.test/billing"})
        world.advance_to(session.expires_at)
        answer = httpx.post(session.url, data={"cardnumber": "4242424242424242",
                                               "exp": "12/34", "cvc": "123"})
        assert answer.status_code == 410 and "expired" in answer.text
        assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
        assert world.subscriptions == {}


@pytest.mark.http
def test_serve_saves_the_journey_when_it_stops(tmp_path):
    import signal
    import subprocess
    import sys

    from harness.scenario import load_scenario

    saved = tmp_path / "bought_basic.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "--port", "0",
                             "--save-journey", str(saved)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env = {}
        while len(env) < 3:
            key, _, value = proc.stdout.readline().strip().partition("=")
            env[key] = value
        session = httpx.post(
            f"{env['STRIPE_API_BASE']}/v1/checkout/sessions",
            headers={"Authorization": f"Bearer {env['STRIPE_SECRET_KEY']}"},
            data={"mode": "subscription", "customer_email": "erin@example.test",
                  "line_items[0][price]": "price_basic_monthly",
                  "success_url": "https://app.example.test/thanks"}).json()
        paid = httpx.post(session["url"], data={"cardnumber": "4242424242424242",
                                                "exp": "12/34", "cvc": "123"})
        assert paid.status_code == 303
        assert paid.headers["location"] == "https://app.example.test/thanks"
        again = httpx.get(session["url"])
        assert "Thanks for subscribing" in again.text
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "journey saved" in err
    scenario = load_scenario(saved)
    assert scenario.customers[0].email == "erin@example.test"
    assert scenario.steps[0].price == "price_basic_monthly"


@pytest.mark.parametrize("after,problem", [
    ({"type": "customer_login"}, None),
    ({"type": "customer_login", "customer_login": {"expires_at": "1800000000"}}, None),
    ({"customer_login": {"expires_at": 1800000000}},
     "Missing required param: after_expiration[type]."),
    ({"type": "email"}, "Invalid after_expiration[type]: must be one of customer_login"),
])
def test_after_expiration_needs_its_type(after, problem):
    import stripe

    world = World(default_catalog(), "2026-10-28.endive")
    fake = FakeStripe(world)
    alice = world.create_customer("alice@example.test", "Alice").id
    create = fake.stripe_client().v1.billing_portal.sessions.create
    if problem is None:
        assert create({"customer": alice, "after_expiration": after}).customer == alice
    else:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            create({"customer": alice, "after_expiration": after})
        assert refused.value.user_message == problem
