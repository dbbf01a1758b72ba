"""The reference app under hostile input and slow Stripe calls: 4xx for bad input, user check
before any parsing, and no database lock held while it waits for Stripe.

The lock test asserts an order of events (a state read finishes while a Stripe call is still
blocked), not a time.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from harness.delivery.signing import sign_payload
from harness.fake_stripe import FakeStripe
from harness.fake_stripe.server import IN_PROCESS_BASE
from harness.fake_stripe.transport import DispatchHTTPClient
from harness.reference_app import AppSettings, create_app

from .conftest import SECRET

DEEP_JSON = b"[" * 30_000 + b"]" * 30_000  # under the route's 64 KiB, past any parser


class Client:
    """Requests to an ASGI app, as a browser would send them."""

    def __init__(self, app) -> None:
        self.app = app

    def post(self, path: str, **kwargs) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.post(path, **kwargs)

        return asyncio.run(send())


def app_for(rig, dispatch=None):
    """A reference app over the rig's World, its users signed up; `dispatch` wraps the fake."""
    fake = FakeStripe(rig.sim.world)
    catalog = rig.sim.catalog
    app = create_app(AppSettings(
        stripe_api_key=fake.api_key, stripe_api_base=IN_PROCESS_BASE, webhook_secret=SECRET,
        api_version=rig.sim.api_version, price_plans=catalog.price_plans(),
        plan_order=list(catalog.plans),
        http_client=DispatchHTTPClient(dispatch(fake.dispatch) if dispatch else fake.dispatch)))
    for c in rig.customers:
        app.seed_user(c.user_id, c.email, c.customer_id)
    return app


@pytest.mark.parametrize("content_type", ["application/json",
                                          "application/x-www-form-urlencoded"])
def test_the_portal_route_checks_the_user_before_parsing_the_body(rig, content_type):
    client = Client(app_for(rig))
    r = client.post("/billing/portal", content=DEEP_JSON,
                    headers={"Content-Type": content_type})
    assert r.status_code == 401


def test_a_deep_json_portal_body_from_a_user_is_a_400(rig):
    client = Client(app_for(rig))
    user = rig.customers[0].user_id
    r = client.post("/billing/portal", content=DEEP_JSON,
                    headers={"Content-Type": "application/json", "X-User-Id": user})
    assert r.status_code == 400
    r = client.post("/billing/portal", content=b"[1, 2]",
                    headers={"Content-Type": "application/json", "X-User-Id": user})
    assert r.status_code == 400
    r = client.post("/billing/portal", content=b"",
                    headers={"Content-Type": "application/json", "X-User-Id": user})
    assert r.status_code == 303  # an empty body is no fields, as before


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_signed_event_nested_deep_is_a_400_not_a_500(rig, depth):
    body = (b'{"id": "evt_deep", "object": "event", "type": "invoice.paid", "data": '
            b'{"object": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}}")
    before = rig.dump()
    assert rig.send(body) == 400
    assert rig.dump() == before


def test_a_slow_stripe_call_does_not_block_a_state_read(rig):
    fetching, release = threading.Event(), threading.Event()

    def slow(dispatch):
        def call(method, path, query, headers, body):
            if path.startswith("/v1/subscriptions/"):
                fetching.set()
                release.wait(30)
            return dispatch(method, path, query, headers, body)
        return call

    app = app_for(rig, slow)
    event = rig.event("customer.subscription.created")
    answers: list[int] = []
    delivery = threading.Thread(target=lambda: answers.append(
        app.webhooks.handle(event.body, sign_payload(event.body, SECRET)).status))
    delivery.start()
    try:
        assert fetching.wait(30), "the delivery never called Stripe"
        read = threading.Event()
        states: list[dict] = []
        reader = threading.Thread(target=lambda: (
            states.append(app.state(rig.customers[0].customer_id)), read.set()))
        reader.start()
        # The read finishes while the Stripe call is still blocked: no lock spans the call.
        assert read.wait(30), "a state read waited for a Stripe call"
        assert delivery.is_alive() and not answers
    finally:
        release.set()
        delivery.join(30)
    assert answers == [200]
    assert app.state(rig.customers[0].customer_id)["subscriptions"]


def test_deliveries_about_one_subscription_still_apply_in_fetch_order(rig):
    # Fetching outside the database lock must not let an older fetch overwrite a newer one:
    # deliveries about one subscription take turns, 50 copies of one event apply once.
    app = app_for(rig)
    event = rig.event("customer.subscription.created")
    signature = sign_payload(event.body, SECRET)
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(
        app.webhooks.handle(event.body, signature).message)) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(answers)) == ["applied", "duplicate"]
    assert answers.count("applied") == 1


def test_a_deep_json_seed_body_is_a_400(rig):
    r = Client(app_for(rig)).post("/__test/users", content=DEEP_JSON,
                                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400
