"""Checkout Sessions (create, retrieve, list, expire, line items) and portal configurations.

A session an app creates is `open` and unpaid, with a checkout.stripe.com URL; completing it as the
customer would is a World verb the harness plays. Portal sessions are created by
`fake_stripe.portal` (its own version-aware validation).
"""

from __future__ import annotations

from typing import Any

from ...sim import api_writes
from ...sim.api_objects import PortalConfiguration
from .. import errors, portal
from ..handlers import INCLUDABLE, Call, as_array, as_int, as_string
from ..routes import Route
from .answers import answer, customer_param, get, listing, metadata, prices, world_errors
from .coupons import checkout_discounts

LIST = {"limit", "starting_after", "ending_before"}
MODES = ("payment", "setup", "subscription")


def line_items_of(call: Call, session: Any) -> list[dict[str, Any]]:
    """The session's line items as Stripe's `item` objects."""
    items = session.line_items
    if not items and session.subscription in call.world.subscriptions:
        sub = call.world.subscriptions[session.subscription]
        items = [{"id": "li_" + i.id[3:], "price": i.price, "quantity": i.quantity}
                 for i in sub.items]
    out = []
    for item in items:
        price = prices(call)[item["price"]]
        amount = price.unit_amount * item["quantity"]
        out.append({
            "id": item["id"], "object": "item", "amount_discount": 0, "amount_subtotal": amount,
            "amount_tax": 0, "amount_total": amount, "currency": price.currency,
            "description": call.world.catalog.products.get(price.product, price.product),
            "price": call.render(price), "quantity": item["quantity"]})
    return out


def _line_items(call: Call) -> list[tuple[str, int]]:
    out = []
    for i, item in enumerate(as_array(call.params.get("line_items", []), "line_items")):
        price = as_string(item.get("price", ""), f"line_items[{i}][price]")
        if price not in prices(call):
            raise errors.no_such("price", price, f"line_items[{i}][price]")
        quantity = as_int(item.get("quantity", "1"), f"line_items[{i}][quantity]", low=1,
                          high=999999)
        out.append((price, quantity))
    return out


def create_session(call: Call) -> dict[str, Any]:
    p = call.params
    mode = as_string(p.get("mode", "payment"), "mode")
    if mode not in MODES:
        raise errors.not_one_of("mode", MODES)
    customer = customer_param(call)
    if customer and "customer_email" in p:
        raise errors.invalid("You may only specify one of these parameters: customer, "
                             "customer_email.", "customer_email")
    items = _line_items(call)
    if mode != "setup" and not items:
        raise errors.missing("line_items")
    if mode == "subscription" and all(prices(call)[pid].interval is None for pid, _ in items):
        raise errors.invalid("You must provide at least one recurring price in `subscription` "
                             "mode when using prices.", "line_items")
    if p.get("ui_mode", "hosted") == "hosted" and "success_url" not in p:
        raise errors.missing("success_url")
    email = p.get("customer_email")
    if customer and email is None:
        email = call.world.customers[customer].email
    discounts = checkout_discounts(call)  # applied when the session is paid
    with world_errors():
        session = api_writes.create_checkout_session(
            call.world, customer=customer, customer_email=email, line_items=items, mode=mode,
            success_url=p.get("success_url"), cancel_url=p.get("cancel_url"),
            client_reference_id=p.get("client_reference_id"),
            metadata=metadata(p.get("metadata")),
            customer_creation=None if customer else p.get("customer_creation", "if_required"),
            **session_options(call, mode, customer))
    session.discounts = discounts
    return answer(call, session)


SUBSCRIPTION_DATA = ("metadata", "description", "trial_period_days", "trial_end")
TRIAL_MIN_SECONDS = 48 * 3600  # "Has to be at least 48 hours in the future."
TRIAL_MAX_DAYS = 730  # "The trial period must be 730 days (2 years) or less."


def session_options(call: Call, mode: str, customer: str | None) -> dict[str, Any]:
    """What the app asks Checkout to do beyond the sale: the subscription's own data (metadata,
    description, a trial), saving the details entered on the page onto the customer, and the
    page's address collection and locale. Sub-parameters the fake does not act on are noted."""
    p = call.params
    out: dict[str, Any] = {}
    if "subscription_data" in p:
        data = p["subscription_data"] if isinstance(p["subscription_data"], dict) else {}
        if mode != "subscription":
            raise errors.invalid(f"You can only specify `subscription_data` in `subscription` "
                                 f"mode, but this Checkout Session is in `{mode}` mode.",
                                 "subscription_data")
        kept: dict[str, Any] = {"metadata": metadata(data.get("metadata"),
                                                     "subscription_data[metadata]")}
        if data.get("description"):
            kept["description"] = as_string(data["description"],
                                            "subscription_data[description]")
        if data.get("trial_period_days") not in (None, ""):
            kept["trial_period_days"] = as_int(
                data["trial_period_days"], "subscription_data[trial_period_days]", low=1,
                high=TRIAL_MAX_DAYS)
        if data.get("trial_end") not in (None, ""):
            if "trial_period_days" in kept:
                raise errors.invalid("You may only specify one of these parameters: "
                                     "trial_end, trial_period_days.", "subscription_data")
            end = as_int(data["trial_end"], "subscription_data[trial_end]")
            if end < call.world.now + TRIAL_MIN_SECONDS:
                raise errors.invalid("The `trial_end` date has to be at least 2 days in the "
                                     "future.", "subscription_data[trial_end]")
            kept["trial_end"] = end
        ignored = sorted(set(data) - set(SUBSCRIPTION_DATA))
        if ignored:
            call.notes.append("subscription_data parameters accepted but not supported by the "
                              "fake: " + ", ".join(ignored))
        out["subscription_data"] = kept
    if "customer_update" in p:
        update = p["customer_update"] if isinstance(p["customer_update"], dict) else {}
        if customer is None:
            raise errors.invalid("`customer_update` can only be used with `customer`.",
                                 "customer_update")
        for key, value in update.items():
            if value not in ("auto", "never"):
                raise errors.not_one_of(f"customer_update[{key}]", ("auto", "never"))
        out["customer_update"] = dict(update)
    if p.get("billing_address_collection"):
        out["billing_address_collection"] = p["billing_address_collection"]
    if p.get("locale"):
        out["locale"] = as_string(p["locale"], "locale")
    return out


def retrieve_session(call: Call) -> dict[str, Any]:
    return answer(call, get(call, call.world.checkout_sessions, "checkout.session"))


def list_sessions(call: Call) -> dict[str, Any]:
    q = call.params
    customer = customer_param(call)
    found = [s for s in call.world.checkout_sessions.values()
             if customer in (None, s.customer) and q.get("status") in (None, s.status)
             and q.get("subscription") in (None, s.subscription)]
    return listing(call, found, "/v1/checkout/sessions", "checkout.session")


def expire_session(call: Call) -> dict[str, Any]:
    session = get(call, call.world.checkout_sessions, "checkout.session")
    with world_errors():
        api_writes.expire_checkout_session(call.world, session)
    return answer(call, session)


def list_line_items(call: Call) -> dict[str, Any]:
    session = get(call, call.world.checkout_sessions, "checkout.session")
    items = line_items_of(call, session)
    body = {"object": "list", "data": items, "has_more": False,
            "url": f"/v1/checkout/sessions/{session.id}/line_items"}
    limit = as_int(call.params.get("limit", "10"), "limit", low=1, high=100)
    body["has_more"] = len(items) > limit
    body["data"] = items[:limit]
    return body


# -- portal configurations ----------------------------------------------------------------------


def _configurations(call: Call) -> dict[str, PortalConfiguration]:
    """The fake's default configuration (and any named in the target), then created ones."""
    store = call.world.api.portal_configurations
    for cid in sorted(call.fake.configuration_ids):
        if cid not in store:
            store[cid] = PortalConfiguration(cid, call.world.start,
                                             is_default=cid == call.fake.configuration_id)
    return store


def create_configuration(call: Call) -> dict[str, Any]:
    p = call.params
    config = PortalConfiguration(
        call.world.ids.new("bpc"), call.world.now, features=p.get("features", {}),
        business_profile=p.get("business_profile") or {},
        default_return_url=p.get("default_return_url"), metadata=metadata(p.get("metadata")))
    _configurations(call)[config.id] = config
    call.fake.configuration_ids.add(config.id)
    return answer(call, config)


def update_configuration(call: Call) -> dict[str, Any]:
    config = get(call, _configurations(call), "configuration")
    p = call.params
    for key in ("features", "business_profile"):
        if isinstance(p.get(key), dict):
            setattr(config, key, {**getattr(config, key), **p[key]})
    if "default_return_url" in p:
        config.default_return_url = p["default_return_url"] or None
    if "active" in p:
        config.active = p["active"] == "true"
    if "metadata" in p:
        config.metadata = api_writes.merge_metadata(config.metadata, p["metadata"])
    config.updated = call.world.now
    return answer(call, config)


def retrieve_configuration(call: Call) -> dict[str, Any]:
    return answer(call, get(call, _configurations(call), "configuration"))


def list_configurations(call: Call) -> dict[str, Any]:
    q = call.params
    found = [c for c in _configurations(call).values()
             if q.get("is_default") in (None, str(c.is_default).lower())
             and q.get("active") in (None, str(c.active).lower())]
    return listing(call, found, "/v1/billing_portal/configurations", "configuration")


ROUTES = (
    Route.sdk("POST", "/v1/checkout/sessions", create_session,
              honours={"mode", "customer", "customer_email", "line_items", "success_url",
                       "cancel_url", "client_reference_id", "metadata", "customer_creation",
                       "ui_mode", "subscription_data", "customer_update",
                       "billing_address_collection", "locale", "discounts"}),
    Route.sdk("GET", "/v1/checkout/sessions", list_sessions,
              honours=LIST | {"customer", "status", "subscription"}),
    Route.sdk("GET", "/v1/checkout/sessions/{session}", retrieve_session),
    Route.sdk("POST", "/v1/checkout/sessions/{session}/expire", expire_session, stateful=True),
    Route.sdk("GET", "/v1/checkout/sessions/{session}/line_items", list_line_items,
              honours={"limit"}),
    Route.sdk("POST", "/v1/billing_portal/sessions", portal.create_portal_session),
    Route.sdk("POST", "/v1/billing_portal/configurations", create_configuration,
              honours={"features", "business_profile", "default_return_url", "metadata"}),
    Route.sdk("GET", "/v1/billing_portal/configurations", list_configurations,
              honours=LIST | {"is_default", "active"}),
    Route.sdk("GET", "/v1/billing_portal/configurations/{configuration}",
              retrieve_configuration),
    Route.sdk("POST", "/v1/billing_portal/configurations/{configuration}",
              update_configuration,
              honours={"features", "business_profile", "default_return_url", "metadata",
                       "active"}),
)


def _included_line_items(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    session = call.world.checkout_sessions[body["id"]]
    return {"object": "list", "data": line_items_of(call, session), "has_more": False,
            "url": f"/v1/checkout/sessions/{session.id}/line_items"}


INCLUDABLE[("checkout.session", "line_items")] = _included_line_items
