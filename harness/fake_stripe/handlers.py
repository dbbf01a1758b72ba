"""Read handlers of the fake REST API: retrieve and list, rendered from the World as it stands.

Each takes a `Call` (the decoded request and the World) and gives a JSON-ready dict, or raises
`StripeApiError`. Objects are rendered in the request's API version by `harness.render`, the same
renderer webhooks use; `expand[]` replaces an id with the object it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..render import render, render_event
from ..sim import World
from . import errors

MAX_EXPAND_DEPTH = 4  # https://docs.stripe.com/expand: "up to four levels"

# Stores of the World searched when an expanded id must be turned into an object.
_STORES = ("customers", "subscriptions", "invoices", "payment_methods", "invoice_items",
           "checkout_sessions", "setup_intents", "portal_sessions")


@dataclass
class Call:
    """One request as a handler sees it: decoded params, the version to render, the World."""

    fake: Any  # the FakeStripe serving it (for configuration ids and the like)
    world: World
    method: str
    path: str
    params: dict[str, Any]
    api_version: str
    match: re.Match[str]
    notes: list[str] = field(default_factory=list)  # gap notes: what the fake could not honour

    def render(self, obj: Any) -> dict[str, Any]:
        return render(obj, self.api_version, self.world.catalog)


Handler = Callable[[Call], "dict[str, Any] | tuple[int, dict[str, Any]]"]


# -- parameter checks shared by every handler --------------------------------------------------


def allow(params: Any, allowed: Iterable[str], prefix: str = "") -> None:
    """Refuse the first parameter Stripe does not know, naming it as Stripe does."""
    allowed = set(allowed)
    for key in params:
        if key not in allowed:
            raise errors.unknown(f"{prefix}[{key}]" if prefix else key)


def as_hash(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise errors.invalid("Invalid hash", param)
    return value


def as_array(value: Any, param: str) -> list[Any]:
    if isinstance(value, dict) and not value:
        return []
    if not isinstance(value, list):
        raise errors.invalid("Invalid array", param)
    return value


def as_string(value: Any, param: str, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise errors.invalid("Invalid string: expected a string", param)
    if required and value == "":
        raise errors.empty(param)
    return value


def as_int(value: Any, param: str, *, low: int | None = None, high: int | None = None) -> int:
    # At most 19 digits (a 64-bit integer): a longer string is refused before int() reads it.
    if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,19}", value):
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "…"
        raise errors.invalid(f"Invalid integer: {shown}", param)
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise errors.invalid(f"Invalid {param}: must be between {low} and {high}", param)
    return number


# -- expand ------------------------------------------------------------------------------------


# Stores the fidelity side of the World may hold (payments); searched when present.
_OPTIONAL_STORES = ("payment_intents", "charges", "refunds", "balance_transactions",
                    "invoice_payments", "subscription_schedules", "discounts", "coupons",
                    "promotion_codes")
_API_STORES = ("products", "prices", "features", "webhook_endpoints", "portal_configurations")

# Fields Stripe leaves out unless expanded (https://docs.stripe.com/expand#includable-properties):
# (object type, field) -> a function of the call and the rendered object giving the value.
INCLUDABLE: dict[tuple[str, str], Callable[[Call, dict[str, Any]], Any]] = {}


def find_object(world: World, object_id: str) -> Any:
    for store in _STORES + _OPTIONAL_STORES:
        obj = getattr(world, store, {}).get(object_id)
        if obj is not None:
            return obj
    if object_id.startswith(("prod", "price")):
        from ..sim.api_writes import seed_catalog

        seed_catalog(world)
    for store in _API_STORES:
        obj = getattr(world.api, store).get(object_id)
        if obj is not None:
            return obj
    return None


def expand(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """Apply `expand[]` to a rendered body: each dotted path's id becomes its object."""
    paths = as_array(call.params.get("expand", []), "expand")
    for i, path in enumerate(paths):
        path = as_string(path, f"expand[{i}]")
        parts = path.split(".")
        depth = len(parts) - (1 if parts[0] == "data" and body.get("object") == "list" else 0)
        if depth > MAX_EXPAND_DEPTH:
            raise errors.invalid(
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                f"Property: {path}", f"expand[{i}]")
        _expand(call, body, parts, path)
    return body


def _expand(call: Call, node: Any, parts: list[str], path: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand(call, item, parts, path)
        return
    key, rest = parts[0], parts[1:]
    include = INCLUDABLE.get((node.get("object", ""), key)) if isinstance(node, dict) else None
    if include is not None and not isinstance(node.get(key), dict):
        node[key] = include(call, node)
    if not isinstance(node, dict) or key not in node:
        raise errors.invalid(f"This property cannot be expanded ({path}).")
    value = node[key]
    if isinstance(value, str):
        obj = find_object(call.world, value)
        if obj is None:
            raise errors.invalid(f"This property cannot be expanded ({path}).")
        value = node[key] = call.render(obj)
    elif isinstance(value, list) and any(isinstance(v, str) for v in value):
        value = node[key] = [_expand_id(call, v, path) for v in value]  # e.g. discounts
    if rest and value is not None:
        _expand(call, value, rest, path)


def _expand_id(call: Call, value: Any, path: str) -> Any:
    if not isinstance(value, str):
        return value
    obj = find_object(call.world, value)
    if obj is None:
        raise errors.invalid(f"This property cannot be expanded ({path}).")
    return call.render(obj)


# -- retrieve ----------------------------------------------------------------------------------


def retrieve(store: str, noun: str) -> Handler:
    """GET /v1/<resource>/{id}: 404 resource_missing ("No such subscription: 'sub_x'")."""

    def handler(call: Call) -> dict[str, Any]:
        object_id = next(iter(call.match.groupdict().values()))
        obj = getattr(call.world, store).get(object_id)
        if obj is None:
            raise errors.no_such(noun, object_id, "id", status=404)
        return expand(call, call.render(obj))

    handler.__name__ = handler.__qualname__ = f"retrieve_{noun.replace('.', '_')}"
    return handler


def event_version(call: Call, event: Any) -> str:
    """The version an event was rendered in when Stripe created it: the account's default
    (https://docs.stripe.com/api/events/object: "The contents of data never change")."""
    return getattr(event, "api_version", None) or call.world.api_version


def retrieve_event(call: Call) -> dict[str, Any]:
    """GET /v1/events/{id}, in the event's own version whatever the request's Stripe-Version."""
    event = call.world.event(call.match["id"])
    if event is None:
        raise errors.no_such("event", call.match["id"], "id", status=404)
    return expand(call, render_event(event, event_version(call, event), call.world.catalog))


# -- list --------------------------------------------------------------------------------------

_LIST_PARAMS = {"limit", "starting_after", "ending_before", "expand"}
SUBSCRIPTION_STATUSES = ("active", "all", "canceled", "ended", "incomplete",
                         "incomplete_expired", "past_due", "paused", "trialing", "unpaid")
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def created_of(obj: Any) -> int:
    """When an object was made (invoice items call it `date`)."""
    return getattr(obj, "created", None) or getattr(obj, "date", 0)


def page(call: Call, objects: list[Any], url: str, noun: str) -> dict[str, Any]:
    """A list object, newest first, cut by limit / starting_after / ending_before."""
    params = call.params
    limit = as_int(params.get("limit", "10"), "limit", low=1, high=100)
    ordered = sorted(reversed(objects), key=created_of, reverse=True)
    ids = [o.id for o in ordered]
    if "starting_after" in params and "ending_before" in params:
        raise errors.invalid("You may only specify one of these parameters: ending_before, "
                             "starting_after.")
    if "starting_after" in params:
        cursor = as_string(params["starting_after"], "starting_after")
        if cursor not in ids:
            raise errors.no_such(noun, cursor, "starting_after")
        window = ordered[ids.index(cursor) + 1:]
        data, has_more = window[:limit], len(window) > limit
    elif "ending_before" in params:
        cursor = as_string(params["ending_before"], "ending_before")
        if cursor not in ids:
            raise errors.no_such(noun, cursor, "ending_before")
        window = ordered[:ids.index(cursor)]
        data, has_more = window[-limit:], len(window) > limit
    else:
        data, has_more = ordered[:limit], len(ordered) > limit
    body = {"object": "list", "data": [call.render(o) for o in data], "has_more": has_more,
            "url": url}
    return expand(call, body)


def _customer_filter(call: Call) -> str | None:
    if "customer" not in call.params:
        return None
    customer = as_string(call.params["customer"], "customer")
    if customer not in call.world.customers:
        raise errors.no_such("customer", customer, "customer")
    return customer


def list_subscriptions(call: Call) -> dict[str, Any]:
    """GET /v1/subscriptions. Without `status`, every subscription but canceled ones
    (https://docs.stripe.com/api/subscriptions/list); `ended` is canceled or incomplete_expired."""
    customer = _customer_filter(call)
    status = as_string(call.params.get("status", "default"), "status")
    if status != "default" and status not in SUBSCRIPTION_STATUSES:
        raise errors.not_one_of("status", SUBSCRIPTION_STATUSES)
    price = call.params.get("price")
    subs = []
    for sub in call.world.subscriptions.values():
        if customer is not None and sub.customer != customer:
            continue
        if price is not None and all(item.price != price for item in sub.items):
            continue
        keep = {"default": sub.status != "canceled", "all": True, "ended": sub.ended}.get(
            status, sub.status == status)
        if keep:
            subs.append(sub)
    return page(call, subs, "/v1/subscriptions", "subscription")


def list_invoices(call: Call) -> dict[str, Any]:
    """GET /v1/invoices, filtered by customer, subscription and status."""
    customer = _customer_filter(call)
    subscription = call.params.get("subscription")
    status = call.params.get("status")
    if status is not None and status not in INVOICE_STATUSES:
        raise errors.not_one_of("status", INVOICE_STATUSES)
    invoices = [
        inv for inv in call.world.invoices.values()
        if (customer is None or inv.customer == customer)
        and (subscription is None or inv.subscription == subscription)
        and (status is None or inv.status == status)
    ]
    return page(call, invoices, "/v1/invoices", "invoice")
