"""Subscriptions and subscription items: create, retrieve, update, cancel, resume, list, search.

Updates call the World's portal verbs (switch_plan, cancel_at_period_end, undo_cancel, pause,
resume, cancel_now), so an app's own settings page produces the same events as the portal.
"""

from __future__ import annotations

from typing import Any

from ...sim import api_changes, api_writes
from .. import errors
from ..handlers import Call, as_array, as_int, as_string, list_subscriptions
from ..routes import Route
from .answers import (
    answer,
    customer_param,
    flag,
    get,
    listing,
    metadata,
    prices,
    searching,
    world_errors,
)
from .coupons import apply_discounts, discounts_param

LIST = {"limit", "starting_after", "ending_before"}
BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete",
             "pending_if_incomplete")


def _items(call: Call) -> list[tuple[str, int]]:
    out = []
    for i, item in enumerate(as_array(call.params.get("items", []), "items")):
        if "price" not in item:
            raise errors.missing(f"items[{i}][price]")
        price = as_string(item["price"], f"items[{i}][price]")
        if price not in call.world.catalog.prices:
            if price in prices(call):
                raise errors.invalid("The price specified is set to `type=one_time` but this "
                                     "field only accepts prices with `type=recurring`.",
                                     f"items[{i}][price]")
            raise errors.no_such("price", price, f"items[{i}][price]")
        out.append((price, as_int(item.get("quantity", "1"), f"items[{i}][quantity]", low=0)))
    return out


def _payment_method(call: Call, param: str = "default_payment_method") -> str | None:
    value = call.params.get(param)
    if value in (None, ""):
        return None
    if value not in call.world.payment_methods:
        raise errors.no_such("PaymentMethod", value, param)
    return value


def create(call: Call) -> dict[str, Any]:
    p = call.params
    customer = customer_param(call, required=True)
    assert customer is not None
    items = _items(call)
    if not items:
        raise errors.missing("items")
    behavior = as_string(p.get("payment_behavior", "allow_incomplete"), "payment_behavior")
    if behavior not in BEHAVIORS:
        raise errors.not_one_of("payment_behavior", BEHAVIORS)
    with world_errors():
        sub = api_writes.create_subscription(
            call.world, customer, items, default_payment_method=_payment_method(call),
            payment_behavior=behavior, metadata=metadata(p.get("metadata")),
            discount=discounts_param(call))
    return answer(call, sub)


def _sub(call: Call) -> Any:
    return get(call, call.world.subscriptions, "subscription")


def update(call: Call) -> dict[str, Any]:
    sub = _sub(call)
    p = call.params
    world = call.world
    changes = item_changes(sub, p.get("items", []), "items")
    with world_errors():
        if "cancel_at_period_end" in p and world.schedule_of(sub) is not None:
            raise errors.invalid(  # the portal releases the schedule first; the API refuses
                f"The subscription is managed by the subscription schedule `{sub.schedule}`, "
                "and updating any cancelation behavior directly is not allowed. Please update "
                "the schedule instead.", "cancel_at_period_end")
        if changes:
            api_changes.change_items(world, sub, changes, **proration_of(p, ""))
        if "cancel_at_period_end" in p:
            wanted = flag(p["cancel_at_period_end"], "cancel_at_period_end")
            if wanted and not sub.cancellation_pending:
                world.cancel_at_period_end(sub)
            elif not wanted and sub.cancellation_pending:
                world.undo_cancel(sub)
        if "pause_collection" in p:
            pause = p["pause_collection"]
            if pause == "":
                if sub.pause_collection is not None:
                    world.resume(sub)
            else:
                behavior = as_string(pause.get("behavior", ""), "pause_collection[behavior]")
                world.pause(sub, mechanism="pause_collection", behavior=behavior)
        changes: dict[str, Any] = {}
        if "metadata" in p:
            changes["metadata"] = p["metadata"]
        if "default_payment_method" in p:
            changes["default_payment_method"] = _payment_method(call)
        if changes:
            api_writes.update(world, sub, "customer.subscription.updated", changes)
    apply_discounts(call, sub)
    return answer(call, sub)


def cancel(call: Call) -> dict[str, Any]:
    sub = _sub(call)
    details = call.params.get("cancellation_details")
    feedback = details.get("feedback") if isinstance(details, dict) else None
    if sub.ended:
        raise errors.invalid(f"A canceled subscription can only update its "
                             f"cancellation_details and metadata. ({sub.id})",
                             code="resource_missing")
    with world_errors():
        call.world.cancel_now(sub, feedback=feedback or None)
    return answer(call, sub)


def resume(call: Call) -> dict[str, Any]:
    sub = _sub(call)
    if sub.status != "paused":
        raise errors.invalid("Subscription is not paused; only paused subscriptions can be "
                             "resumed.", code="subscription_not_paused")
    with world_errors():
        call.world.resume(sub)
    return answer(call, sub)


def search(call: Call) -> dict[str, Any]:
    return searching(call, list(call.world.subscriptions.values()), "/v1/subscriptions/search",
                     "subscriptions", {"created", "metadata", "status"})


# -- subscription items --------------------------------------------------------------------------


def _item(call: Call) -> tuple[Any, Any]:
    item_id = call.match["item"]
    for sub in call.world.subscriptions.values():
        for item in sub.items:
            if item.id == item_id:
                return sub, item
    raise errors.no_such("subscription_item", item_id, "id", status=404)


def _render_item(call: Call, sub: Any, item: Any) -> dict[str, Any]:
    body = call.render(sub)
    return next(i for i in body["items"]["data"] if i["id"] == item.id)


def list_items(call: Call) -> dict[str, Any]:
    sub_id = as_string(call.params.get("subscription", ""), "subscription")
    sub = get(call, call.world.subscriptions, "subscription", sub_id, param="subscription")
    body = listing(call, [], "/v1/subscription_items", "subscription_item")
    body["data"] = call.render(sub)["items"]["data"]
    return body


def retrieve_item(call: Call) -> dict[str, Any]:
    sub, item = _item(call)
    return _render_item(call, sub, item)


def update_item(call: Call) -> dict[str, Any]:
    sub, item = _item(call)
    p = call.params
    change = api_changes.ItemChange(
        item.id, as_string(p["price"], "price") if "price" in p else None,
        as_int(p["quantity"], "quantity", low=0) if "quantity" in p else None)
    with world_errors():
        api_changes.change_items(call.world, sub, [change], **proration_of(p, ""))
    return _render_item(call, sub, item)


def item_changes(sub: Any, items: Any, param: str) -> list[api_changes.ItemChange]:
    """`items[]` of an update or a preview: an existing item's new price and/or quantity."""
    out = []
    for i, item in enumerate(as_array(items, param)):
        at = f"{param}[{i}]"
        target = next((x for x in sub.items if x.id == item.get("id")), None)
        if target is None:
            raise errors.invalid("Adding items to a subscription is not supported by the "
                                 "fake; pass the id of an existing item.", f"{at}[id]")
        price = as_string(item["price"], f"{at}[price]") if "price" in item else None
        quantity = as_int(item["quantity"], f"{at}[quantity]", low=0) \
            if "quantity" in item else None
        out.append(api_changes.ItemChange(target.id, price, quantity))
    return out


def proration_of(p: dict[str, Any], prefix: str) -> dict[str, Any]:
    """proration_behavior (the API's default create_prorations) and proration_date."""
    name = (lambda key: f"{prefix}[{key}]") if prefix else (lambda key: key)
    out: dict[str, Any] = {"proration_behavior": as_string(
        p.get("proration_behavior", "create_prorations"), name("proration_behavior"))}
    if p.get("proration_date") not in (None, ""):
        out["proration_date"] = as_int(p["proration_date"], name("proration_date"))
    return out


ROUTES = (
    Route.sdk("POST", "/v1/subscriptions", create, stateful=True,
              honours={"customer", "items", "default_payment_method", "payment_behavior",
                       "metadata", "discounts"}),
    Route.sdk("GET", "/v1/subscriptions", list_subscriptions,
              honours=LIST | {"customer", "price", "status"}),
    Route.sdk("GET", "/v1/subscriptions/search", search, honours={"query", "limit", "page"}),
    Route.sdk("GET", "/v1/subscriptions/{subscription_exposed_id}",
              lambda call: answer(call, _sub(call))),
    Route.sdk("POST", "/v1/subscriptions/{subscription_exposed_id}", update, stateful=True,
              honours={"items", "proration_behavior", "proration_date", "cancel_at_period_end",
                       "pause_collection", "metadata", "default_payment_method", "discounts"}),
    Route.sdk("DELETE", "/v1/subscriptions/{subscription_exposed_id}", cancel, stateful=True,
              honours={"cancellation_details"}),
    Route.sdk("POST", "/v1/subscriptions/{subscription}/resume", resume, stateful=True,
              honours=set()),
    Route.sdk("GET", "/v1/subscription_items", list_items, honours=LIST | {"subscription"}),
    Route.sdk("GET", "/v1/subscription_items/{item}", retrieve_item),
    Route.sdk("POST", "/v1/subscription_items/{item}", update_item, stateful=True,
              honours={"price", "quantity", "proration_behavior", "proration_date"}),
)
