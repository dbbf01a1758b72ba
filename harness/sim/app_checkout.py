"""Completing a Checkout session the app created, as its customer would, with a test card.

`World.checkout` plays a whole Checkout on its own; an app that creates its own sessions
(POST /v1/checkout/sessions through the fake Stripe API) leaves an open one, and the harness
completes that one here: the same events, in the same order, for the session's own customer
(created now from its email when the app passed none, as Checkout's customer_creation does),
line items and URLs.

Test cards (https://docs.stripe.com/testing): 4242 4242 4242 4242 and 5555 5555 5555 4444
succeed; 4000 0000 0000 0002 is declined (the page shows the error, the session stays open,
nothing is sent); 4000 0025 0000 3155 needs 3D Secure: the customer authenticates and the
payment succeeds; 4000 0027 6000 3184 needs it on every payment, renewals included.
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
    "5555555555554444": ("4444", SUCCEEDS),
    "4000000000000002": ("0002", DECLINED),
    "4000002500003155": ("3155", AUTHENTICATES),
    # asks for 3D Secure on every payment, renewals included (the World's
    # `authentication_required` card): authenticated here, the renewals wait for the customer
    "4000002760003184": ("3184", AUTHENTICATES),
}
# The card number the customer types for a scenario's card kind (World CARDS).
CARD_NUMBERS = {"visa": "4242424242424242", "mastercard": "5555555555554444",
                "authentication_required": "4000002760003184"}
_KINDS = {"5555555555554444": "mastercard", "4000002760003184": "authentication_required"}


def card_outcome(number: str) -> str:
    number = number.replace(" ", "")
    if number not in TEST_CARDS:
        raise ScenarioError(f"unknown test card {number!r}; choose one of "
                            f"{', '.join(TEST_CARDS)}")
    return TEST_CARDS[number][1]


def complete_session(world: World, session: CheckoutSession, card: str, *,
                     subscription_data: dict[str, Any] | None = None) -> Subscription | None:
    """Pay an open subscription-mode session with `card`; None when the card is declined.

    What the app passed at creation acts as at Stripe: `subscription_data`'s `metadata` and
    `description` go onto the subscription, a `trial_period_days` or `trial_end` starts it
    `trialing` with a $0 first invoice; `customer_update` saves the name and billing address
    entered on the page onto the customer (`subscription_data` given here overrides the
    session's own, for callers that kept it elsewhere).
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
    data = subscription_data if subscription_data is not None else session.subscription_data
    if session.customer is None:
        email = session.customer_email or "customer@example.test"
        session.customer = world.create_customer(email, email.split("@")[0]).id
    cust = world.customer(session.customer)
    _collect_details(world, session, cust)
    number = card.replace(" ", "")
    pm = world._new_card(cust.id, _KINDS.get(number, "visa"))
    pm.last4 = TEST_CARDS[number][0]
    start = world.now
    trial_end = _trial_end(start, data)
    items = []
    for line in session.line_items:
        price = world.catalog.price(line["price"])
        end = trial_end or add_interval(start, price.interval, price.interval_count)
        items.append(SubscriptionItem(world.ids.new("si", short=True), price.id,
                                      line["quantity"], start, start, end))
    first = world.catalog.price(session.line_items[0]["price"])
    sub = Subscription(id=world.ids.new("sub"), customer=cust.id, created=start,
                       billing_mode=world.billing_mode,
                       billing_cycle_anchor=trial_end or start,
                       currency=first.currency, items=items, default_payment_method=pm.id,
                       metadata=dict(data.get("metadata") or {}),
                       description=data.get("description") or None)
    if trial_end is not None:
        sub.status, sub.trial_start, sub.trial_end = "trialing", start, trial_end
    world.subscriptions[sub.id] = sub
    world.discount_checkout(session, sub)  # the session's `discounts` (sim.discounts)
    inv = world._new_invoice(sub, "subscription_create", cycle=True, trial=trial_end is not None)
    sub.latest_invoice = inv.id
    if trial_end is not None:
        world._pay_trial_checkout(sub, inv, pm)
    else:
        world._pay_checkout(sub, inv, pm)  # the order World.checkout follows
    session.amount_discount = inv.total_discount
    session.status, session.payment_status = "complete", "paid"
    session.subscription, session.invoice, session.amount_total = sub.id, inv.id, inv.total
    session.customer_email = session.customer_email or cust.email
    world.emit("checkout.session.completed", session, request="checkout")
    return sub


def _trial_end(start: int, data: dict[str, Any]) -> int | None:
    if data.get("trial_end"):
        return int(data["trial_end"])
    if data.get("trial_period_days"):
        return start + int(data["trial_period_days"]) * 86400
    return None


# The card's billing details as the page collects them: country and postal code by default,
# the full address with billing_address_collection=required.
PAGE_ADDRESS = {"city": None, "country": "US", "line1": None, "line2": None,
                "postal_code": "94103", "state": None}
FULL_ADDRESS = {"city": "San Francisco", "country": "US", "line1": "510 Townsend St",
                "line2": None, "postal_code": "94103", "state": "CA"}


def _collect_details(world: World, session: CheckoutSession, cust: Any) -> None:
    """What the customer entered on the page: the session's `customer_details`, saved onto the
    customer where `customer_update` says `auto` (name: the customer's own, or the email's)."""
    address = dict(FULL_ADDRESS if session.billing_address_collection == "required"
                   else PAGE_ADDRESS)
    name = cust.name or cust.email.split("@")[0]
    session.customer_details = {"address": address, "name": name}
    update = session.customer_update
    if update.get("address") == "auto":
        world.api.overlays.setdefault(cust.id, {})["address"] = address
    if update.get("name") == "auto" and cust.name != name:
        before = cust.snapshot()
        cust.name = name
        world.emit("customer.updated", cust, before=before, request="checkout")
