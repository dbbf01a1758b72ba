"""World verbs for writes an app makes through the REST API (the fake Stripe's POST/DELETE).

Each changes objects and emits the events Stripe sends for the same API call
(`customer.created`, `product.updated`, `customer.subscription.created`, ...), through the
World's `emit`, so webhooks and `GET /v1/events` show them rendered by `harness.render`.
Errors a caller can cause raise `ScenarioError`; the fake turns them into Stripe's 400s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from ..scenario.catalog import Price
from .api_objects import CATALOG_CREATED, PriceObject, Product
from .billing import add_interval
from .objects import CheckoutSession, Customer, PaymentMethod, Subscription, SubscriptionItem

if TYPE_CHECKING:
    from .world import World

API = "portal"  # emit(): an API request's event carries a request id and no idempotency key

# Stripe's test PaymentMethod ids (https://docs.stripe.com/testing#cards) -> the World's cards.
TEST_PAYMENT_METHODS = {"pm_card_visa": "visa", "pm_card_mastercard": "mastercard",
                        "pm_card_chargeCustomerFail": "declining"}


# -- the catalog as objects ----------------------------------------------------------------------


def seed_catalog(world: World) -> None:
    """Products and prices of the World's catalog, as objects, the first time they are asked for."""
    api = world.api
    if api.seeded:
        return
    api.seeded = True
    for product_id, name in world.catalog.products.items():
        prices = [p for p in world.catalog.prices.values() if p.product == product_id]
        api.products.setdefault(product_id, Product(
            product_id, name, CATALOG_CREATED, default_price=prices[0].id if prices else None))
    for price in world.catalog.prices.values():
        api.prices.setdefault(price.id, PriceObject(
            price.id, price.product, price.unit_amount, price.currency, price.interval,
            price.interval_count, CATALOG_CREATED))


def create_product(world: World, name: str, **fields: Any) -> Product:
    seed_catalog(world)
    product = Product(fields.pop("id", None) or world.ids.new("prod", short=True), name,
                      world.now, **fields)
    if product.id in world.api.products:
        raise ScenarioError(f"Product already exists: {product.id}")
    world.api.products[product.id] = product
    world.catalog.products[product.id] = name  # type: ignore[index]
    world.emit("product.created", product, request=API)
    return product


def update(world: World, obj: Any, event: str, changes: dict[str, Any]) -> Any:
    """Set fields on any object and emit `<type>.updated` with the fields it had before."""
    before = obj.snapshot()
    for key, value in changes.items():
        if key == "metadata":
            obj.metadata = merge_metadata(obj.metadata, value)
        else:
            setattr(obj, key, value)
    if hasattr(obj, "updated"):
        obj.updated = world.now
    world.emit(event, obj, before=before, request=API)
    return obj


def merge_metadata(old: dict[str, str], new: Any) -> dict[str, str]:
    """Stripe merges metadata keys; an empty value unsets a key, an empty hash all of them."""
    if new in ("", None):
        return {}
    out = dict(old)
    for key, value in new.items():
        if value == "":
            out.pop(key, None)
        else:
            out[key] = value
    return out


def create_price(world: World, product: str, unit_amount: int, currency: str,
                 interval: str | None, interval_count: int, **fields: Any) -> PriceObject:
    seed_catalog(world)
    if product not in world.api.products:
        raise ScenarioError(f"No such product: '{product}'")
    price = PriceObject(world.ids.new("price"), product, unit_amount, currency, interval,
                        interval_count, world.now, **fields)
    world.api.prices[price.id] = price
    if interval is not None:  # subscriptions can use it: the catalog knows it from now on
        plan = next((p.plan for p in world.catalog.prices.values() if p.product == product),
                    product)
        world.catalog.prices[price.id] = Price(  # type: ignore[index]
            price.id, product, plan, unit_amount, currency, interval, interval_count)
    world.emit("price.created", price, request=API)
    return price


# -- customers -----------------------------------------------------------------------------------


def create_customer(world: World, *, email: str | None, name: str | None,
                    metadata: dict[str, str], payment_method: str | None = None,
                    default_payment_method: str | None = None) -> Customer:
    cust = Customer(id=world.ids.new("cus", short=True), email=email, name=name,  # type: ignore[arg-type]
                    created=world.now, metadata=metadata)
    world.customers[cust.id] = cust
    world.emit("customer.created", cust, request=API)
    if payment_method:
        attach_payment_method(world, payment_method, cust.id)
    if default_payment_method:
        update(world, cust, "customer.updated", {"default_payment_method": default_payment_method})
    return cust


def delete_customer(world: World, cust: Customer) -> None:
    """Deleting a customer cancels their live subscriptions first (Stripe's API reference)."""
    for sub in world.subscriptions_of(cust.id):
        if not sub.ended:
            world._cancel(sub, reason="cancellation_requested", request=API)
    del world.customers[cust.id]
    world.api.deleted[cust.id] = "customer"
    world.emit("customer.deleted", cust, request=API)


# -- payment methods -----------------------------------------------------------------------------


def attach_payment_method(world: World, pm_id: str, customer_id: str) -> PaymentMethod:
    """Attach a PaymentMethod; a test id (pm_card_visa) makes a new card, as Stripe does."""
    world.customer(customer_id)
    if pm_id in TEST_PAYMENT_METHODS:
        pm = world._new_card(customer_id, TEST_PAYMENT_METHODS[pm_id])
    else:
        pm = world.payment_methods.get(pm_id)  # type: ignore[assignment]
        if pm is None:
            raise ScenarioError(f"No such PaymentMethod: '{pm_id}'")
        if pm.customer not in (None, customer_id):
            raise ScenarioError("The payment method you provided has already been attached to "
                                "a customer.")
        pm.customer = customer_id
    world.emit("payment_method.attached", pm, request=API)
    return pm


def detach_payment_method(world: World, pm: PaymentMethod) -> PaymentMethod:
    if pm.customer is None:
        raise ScenarioError(f"The payment method {pm.id} is not attached to a customer.")
    before = pm.snapshot()
    pm.customer = None
    world.emit("payment_method.detached", pm, before=before, request=API)
    cust = world.customers.get(before.customer or "")
    if cust is not None and cust.default_payment_method == pm.id:
        update(world, cust, "customer.updated", {"default_payment_method": None})
    return pm


def create_card(world: World, card: str) -> PaymentMethod:
    """POST /v1/payment_methods with a test card: an unattached PaymentMethod."""
    pm = world._new_card("", card)
    pm.customer = None
    return pm


# -- subscriptions -------------------------------------------------------------------------------


def create_subscription(world: World, customer_id: str, items: list[tuple[str, int]], *,
                        default_payment_method: str | None, payment_behavior: str,
                        metadata: dict[str, str], discount: tuple[Any, Any] | None = None,
                        ) -> Subscription:
    """POST /v1/subscriptions: charged now with the default card, else `incomplete`."""
    cust = world.customer(customer_id)
    pm = world.payment_methods.get(default_payment_method or cust.default_payment_method or "")
    # default_incomplete leaves the first payment to the app (it confirms the PaymentIntent).
    payable = pm is not None and not pm.declines and payment_behavior != "default_incomplete"
    if (pm is None or pm.declines) and payment_behavior == "error_if_incomplete":
        raise ScenarioError("This customer has no attached payment source or default payment "
                            "method. Please consider adding a default payment method.")
    start = world.now
    sub_items = []
    for price_id, quantity in items:
        price = world.catalog.price(price_id)
        sub_items.append(SubscriptionItem(world.ids.new("si", short=True), price_id, quantity,
                                          start, start, add_interval(start, price.interval,
                                                                     price.interval_count)))
    sub = Subscription(
        id=world.ids.new("sub"), customer=cust.id, created=start, items=sub_items,
        billing_mode=world.billing_mode or "classic", billing_cycle_anchor=start,
        currency=world.catalog.price(items[0][0]).currency,
        default_payment_method=default_payment_method, metadata=metadata,
        status="active" if payable else "incomplete")
    world.subscriptions[sub.id] = sub
    if discount is not None:  # `discounts`: (coupon, promotion code), see sim.discounts
        world.attach_discount(sub, *discount)
    inv = world._new_invoice(sub, "subscription_create", cycle=True)
    sub.latest_invoice = inv.id
    world.emit("customer.subscription.created", sub, request=API)
    if sub.discount is not None:
        world.emit("customer.discount.created", sub.discount, request=API)
    world.emit("invoice.created", inv, request=API)
    world._open(inv)
    world.emit("invoice.finalized", inv, request=API)
    if payable or inv.amount_due == 0:
        world._attempt_payment(inv, request=API)
    return sub


def set_quantity(world: World, sub: Subscription, item: SubscriptionItem, quantity: int) -> None:
    """A quantity change without prorations (the fake does not prorate quantity changes)."""
    world._update_sub(sub, lambda: setattr(item, "quantity", quantity), request=API)


# -- Checkout ------------------------------------------------------------------------------------


def create_checkout_session(world: World, *, customer: str | None, customer_email: str | None,
                            line_items: list[tuple[str, int]], **fields: Any) -> CheckoutSession:
    """An open session the customer has not paid yet (no event: Stripe sends none at creation)."""
    token = world.ids.token(58)
    amount = sum(world.catalog.price(p).unit_amount * q for p, q in line_items)
    session = CheckoutSession(
        id="cs_test_" + token, customer=customer, customer_email=customer_email,
        created=world.now, subscription=None, invoice=None, amount_total=amount,
        currency=world.catalog.price(line_items[0][0]).currency if line_items else "usd",
        status="open", payment_status="unpaid",
        url=f"https://checkout.stripe.com/c/pay/cs_test_{token}",
        line_items=[{"id": world.ids.new("li"), "price": p, "quantity": q}
                    for p, q in line_items],
        expires_at=world.now + 86400, **fields)
    world.checkout_sessions[session.id] = session
    return session


def expire_checkout_session(world: World, session: CheckoutSession) -> CheckoutSession:
    if session.status != "open":
        raise ScenarioError(f"Only Checkout Sessions with a status in [\"open\"] can be "
                            f"expired. This Checkout Session has a status of "
                            f"\"{session.status}\".")
    session.status = "expired"
    session.url = None
    world.emit("checkout.session.expired", session, request=API)
    return session

