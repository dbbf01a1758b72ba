"""The reference app's Stripe calls, recorded as vcrpy cassettes under cassettes/api/.

Two flows, each a plain function that gets its Stripe endpoint from a `connect(world)` callback,
so the same code records (a FakeStripe on a loopback port, the stripe package's own HTTP
client), replays (vcrpy answers; nothing listens) and runs in process (to compare the fake):

- a portal session for each deep-link flow, for a customer with one subscription;
- the subscription fetches the webhook handler makes while the upgrade scenario plays.

Run this file to re-record from the fake: python tests/cassettes/api_flows.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import stripe

from harness.cassettes.recording import make_vcr, scrub_request, scrub_response
from harness.checks.invariants import Violation, compare_state
from harness.delivery.signing import sign_payload
from harness.fake_stripe.keys import DEFAULT_API_KEY
from harness.reference_app import AppSettings, ReferenceApp, create_app
from harness.reference_app.reply import Reply
from harness.render import render
from harness.render.events import Event
from harness.scenario.catalog import default_catalog
from harness.scenario.files import get_scenario
from harness.sim.simulator import Simulator
from harness.versions import DEFAULT_VERSIONS, PINNED_VERSION

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "api"
# Recorded requests name this origin instead of the loopback port they went to, so a
# re-recording gives the same file and replay needs no server: the name never resolves.
OFFLINE_BASE = "http://fake-stripe.invalid"
FLOWS = ("none", "payment_method_update", "subscription_cancel", "subscription_update",
         "subscription_update_confirm")
PORTAL_VERSION = PINNED_VERSION
UPGRADE_VERSIONS = DEFAULT_VERSIONS
WEBHOOK_SECRET = "whsec_apicassettes000000000000000000"
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")

# (base url, http client or None for the stripe package's default) for a World
Connect = Callable[[Any], tuple[str, "stripe.HTTPClient | None"]]


def portal_cassette(flow: str) -> str:
    return f"portal_session-{flow}.yaml"


def upgrade_cassette(version: str) -> str:
    return f"upgrade_subscription_fetches@{version}.yaml"


def api_vcr(record_mode: str = "none", folder: Path = CASSETTES) -> Any:
    """The scrubbing VCR of harness.cassettes.recording, matching on the body, stable origins."""
    return make_vcr(folder, record_mode=record_mode, match_on=MATCH_ON,
                    before_record_request=_offline_origin,
                    before_record_response=_stable_response)


def _offline_origin(request: Any) -> Any:
    request = scrub_request(request)
    parts = urlsplit(request.uri)
    if parts.hostname in ("127.0.0.1", "localhost"):
        request.uri = urlunsplit(parts._replace(netloc=urlsplit(OFFLINE_BASE).netloc))
    return request


def _stable_response(response: dict[str, Any]) -> dict[str, Any]:
    """Scrubbed, minus the headers that change on every recording (Date, Server)."""
    response = scrub_response(response)
    response["headers"] = {name: values for name, values in response["headers"].items()
                           if name.lower() not in ("date", "server")}
    return response


def make_app(base: str, version: str, *, api_key: str = DEFAULT_API_KEY,
             http_client: stripe.HTTPClient | None = None,
             price_plans: dict[str, str] | None = None, plan_order: list[str] | None = None,
             portal_configuration: str | None = None) -> ReferenceApp:
    catalog = default_catalog()
    return create_app(AppSettings(
        stripe_api_key=api_key, stripe_api_base=base, webhook_secret=WEBHOOK_SECRET,
        api_version=version, price_plans=price_plans or catalog.price_plans(),
        plan_order=plan_order or list(catalog.plans), http_client=http_client,
        portal_configuration=portal_configuration))


def portal_flow(flow: str, connect: Connect, version: str = PORTAL_VERSION) -> Reply:
    """A customer with one subscription (the upgrade scenario at its first checkpoint) asks
    the app for a portal session; only the portal route's own calls reach Stripe."""
    catalog = default_catalog()
    sim = Simulator(get_scenario("upgrade"), version, catalog, seed=0)
    next(iter(sim.segments()))  # the world now stands at "subscribed"
    alice = sim.customers["alice"]
    sub = sim.world.subscriptions_of(alice.customer_id)[0]
    base, client = connect(sim.world)
    app = make_app(base, version, http_client=client)
    app.seed_user(alice.user_id, alice.email, alice.customer_id)
    with app.db.transaction() as db:  # as checkout's webhooks would have left it
        app.webhooks.save_subscription(db, render(sub, version, catalog))
    high = catalog.default_price(catalog.highest(list(catalog.plans))).id
    fields = {} if flow == "none" else {"flow": flow, "subscription": sub.id, "price": high}
    return app.portal.handle(alice.user_id, fields)


def upgrade_flow(connect: Connect, version: str) -> Iterator[tuple[str, list[Violation]]]:
    """Deliver the upgrade scenario's events in order, signed, straight to the app's webhook
    logic; yield each checkpoint's broken checks (none for a correct app)."""
    catalog = default_catalog()
    sim = Simulator(get_scenario("upgrade"), version, catalog, seed=0)
    base, client = connect(sim.world)
    app = make_app(base, version, http_client=client)
    for c in sim.customers.values():
        app.seed_user(c.user_id, c.email, c.customer_id)
    for seg in sim.segments():
        for sim_event in seg.events:
            event = Event.from_sim(sim_event, version, catalog)
            reply = app.webhooks.handle(event.body, sign_payload(event.body, WEBHOOK_SECRET))
            if reply.status != 200:
                raise AssertionError(f"{event.type} {event.id}: {reply.status} {reply.message}")
        yield seg.checkpoint, [
            v for c in sim.customers.values()
            for v in compare_state(seg.expected[c.customer_id], app.state(c.customer_id),
                                   customer=c.name, checkpoint=seg.checkpoint)]


def record_from_fake(folder: Path = CASSETTES) -> list[Path]:
    """Re-record every API cassette against a FakeStripe on a loopback port."""
    from harness.fake_stripe import FakeStripe
    from harness.sim import World

    folder.mkdir(parents=True, exist_ok=True)
    recorder = api_vcr("all", folder)
    fake = FakeStripe(World(default_catalog(), PORTAL_VERSION)).start()

    def connect(world: Any) -> tuple[str, None]:
        fake.reset(world)
        return fake.url, None  # the stripe package's default HTTP client, over a socket

    written = []
    try:
        for flow in FLOWS:
            with recorder.use_cassette(portal_cassette(flow)):
                reply = portal_flow(flow, connect)
            if reply.status != 303:
                raise AssertionError(f"portal flow {flow}: {reply.status} {reply.message}")
            written.append(folder / portal_cassette(flow))
        for version in UPGRADE_VERSIONS:
            with recorder.use_cassette(upgrade_cassette(version)):
                broken = [v for _, found in upgrade_flow(connect, version) for v in found]
            if broken:
                raise AssertionError(f"upgrade at {version}: {broken}")
            written.append(folder / upgrade_cassette(version))
        fake.check()
    finally:
        fake.stop()
    return written


LIVE = CASSETTES / "live"
LIVE_EMAIL = "portal-harness-recording@example.com"
_LIVE_LOOKUP_KEYS = ("portal_harness_low_monthly", "portal_harness_high_monthly")


def record_from_stripe(api_key: str, folder: Path = LIVE) -> list[Path]:
    """Re-record the portal flows and a subscription fetch against Stripe test mode.

    Creates (or reuses, by lookup key) two monthly prices, a portal configuration that allows
    every flow, and a customer with a subscription; deletes the customer afterwards. Only the
    app's own calls are recorded, scrubbed by harness.cassettes.recording.
    """
    catalog = default_catalog()
    client = stripe.StripeClient(api_key, stripe_version=PORTAL_VERSION, max_network_retries=2)
    low, high = _live_prices(client)
    config = client.v1.billing_portal.configurations.create({
        "business_profile": {"headline": "portal-harness cassette recording"},
        "features": {
            "payment_method_update": {"enabled": True},
            "invoice_history": {"enabled": True},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
            "subscription_update": {
                "enabled": True, "default_allowed_updates": ["price"],
                "proration_behavior": "always_invoice",
                "products": [{"product": p.product, "prices": [p.id]} for p in (low, high)],
            },
        },
    })
    customer = client.v1.customers.create({
        "email": LIVE_EMAIL, "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    written = []
    try:
        sub = client.v1.subscriptions.create({"customer": customer.id,
                                              "items": [{"price": low.id}]})
        plans = {low.id: catalog.plans[0], high.id: catalog.plans[-1]}
        app = make_app("https://api.stripe.com", PORTAL_VERSION, api_key=api_key,
                       price_plans=plans, plan_order=list(catalog.plans),
                       portal_configuration=config.id)
        app.seed_user("user_live", LIVE_EMAIL, customer.id)
        with app.db.transaction() as db:
            app.webhooks.save_subscription(db, sub.to_dict())
        folder.mkdir(parents=True, exist_ok=True)
        recorder = api_vcr("all", folder)
        for flow in FLOWS:
            fields = {} if flow == "none" else {"flow": flow, "subscription": sub.id,
                                                "price": high.id}
            with recorder.use_cassette(portal_cassette(flow)):
                reply = app.portal.handle("user_live", fields)
            if reply.status != 303:
                raise AssertionError(f"portal flow {flow}: {reply.status} {reply.message}")
            written.append(folder / portal_cassette(flow))
        with recorder.use_cassette(LIVE_FETCH):
            app.webhooks.fetch_subscription(sub.id)
        written.append(folder / LIVE_FETCH)
    finally:
        client.v1.customers.delete(customer.id)  # cancels its subscriptions too
    return written


LIVE_FETCH = "subscription_fetch.yaml"


def _live_prices(client: stripe.StripeClient) -> tuple[Any, Any]:
    found = {p.lookup_key: p for p in client.v1.prices.list(
        {"lookup_keys": list(_LIVE_LOOKUP_KEYS), "active": True}).data}
    prices = []
    for key, amount in zip(_LIVE_LOOKUP_KEYS, (900, 2900), strict=True):
        if key not in found:
            found[key] = client.v1.prices.create({
                "currency": "usd", "unit_amount": amount, "lookup_key": key,
                "recurring": {"interval": "month"},
                "product_data": {"name": f"portal-harness {key.split('_')[2]}"}})
        prices.append(found[key])
    return prices[0], prices[1]


if __name__ == "__main__":
    for path in record_from_fake():
        print(f"recorded {path.relative_to(CASSETTES.parents[1])}")
    sys.exit(0)
