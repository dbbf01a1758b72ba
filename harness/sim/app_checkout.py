"""Completing a Checkout session the app created, as its customer would, with a test card.

`World.checkout` plays a whole Checkout on its own; an app that creates its own sessions
(POST /v1/checkout/sessions through the fake Stripe API) leaves an open one, and the harness
completes that one here: the same events, in the same order, for the session's own customer
(created now from its email when the app passed none, as Checkout's customer_creation does),
line items and URLs.

Test cards (https://docs.stripe.com/testing): 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002
is declined (the page shows the error, the session stays open, nothing is sent); 4000 0025 0000
3155 needs 3D Secure: the customer authenticates and the payment succeeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from .billing import add_interval
from .objects import CheckoutSession, Subscription, SubscriptionItem

if TYPE_CHECKING:
    from .world import World

SUCCEEDS, DECLINED, AUTHENTICATES = "succeeds", "declined", "authenticates"
TEST_CARDS = {
    "4242424242424242": ("4242", SUCCEEDS),
    "4000000000000002": ("0002", DECLINED),
    "4000002500003155": ("3155", AUTHENTICATES),
}


def card_outcome(number: str) -> str:
    number = number.replace(" ", "")
    if number not in TEST_CARDS:
        raise ScenarioError(f"unknown test card {number!r}; choose one of "
                            f"{', '.join(TEST_CARDS)}")
    return TEST_CARDS[number][1]


def complete_session(world: World, session: CheckoutSession, card: str, *,
                     subscription_data: dict[str, Any] | None = None) -> Subscription | None:
    """Pay an open subscription-mode session with `card`; None when the card is declined.

    `subscription_data` is what the app passed at creation: its `metadata` and `description`
    go onto the subscription, as Stripe copies them (trials and other options are not
    simulated).
    """
    if session.status != "open":
        raise ScenarioError(f"checkout session {session.id} is {session.status}, not open")
    if session.mode != "subscription":
        raise ScenarioError(f"checkout session {session.id} is in {session.mode} mode; the "
                            "harness completes subscription-mode sessions")
    if not session.line_items:
        raise ScenarioError(f"checkout session {session.id} has no line items")
    if card_outcome(card) == DECLINED:
        return None
    if session.customer is None:
        email = session.customer_email or "customer@example.test"
        session.customer = world.create_customer(email, email.split("@")[0]).id
    cust = world.customer(session.customer)
    pm = world._new_card(cust.id, "visa")
    pm.last4 = TEST_CARDS[card.replace(" ", "")][0]
    start = world.now
    items = []
    for line in session.line_items:
        price = world.catalog.price(line["price"])
        items.append(SubscriptionItem(world.ids.new("si", short=True), price.id,
                                      line["quantity"], start, start,
                                      add_interval(start, price.interval, price.interval_count)))
    first = world.catalog.price(session.line_items[0]["price"])
    sub = Subscription(id=world.ids.new("sub"), customer=cust.id, created=start,
                       billing_mode=world.billing_mode, billing_cycle_anchor=start,
                       currency=first.currency, items=items, default_payment_method=pm.id,
                       metadata=dict((subscription_data or {}).get("metadata") or {}))
    world.subscriptions[sub.id] = sub
    world.discount_checkout(session, sub)  # the session's `discounts` (sim.discounts)
    inv = world._new_invoice(sub, "subscription_create", cycle=True)
    sub.latest_invoice = inv.id
    world._pay_checkout(sub, inv, pm)  # the order World.checkout follows
    session.amount_discount = inv.total_discount
    session.status, session.payment_status = "complete", "paid"
    session.subscription, session.invoice, session.amount_total = sub.id, inv.id, inv.total
    session.customer_email = session.customer_email or cust.email
    world.emit("checkout.session.completed", session, request="checkout")
    return sub
