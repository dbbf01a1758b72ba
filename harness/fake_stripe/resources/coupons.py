"""Coupons, promotion codes and the discounts of subscriptions and customers.

Coupons: create, retrieve, update, list, delete; promotion codes: create, retrieve, update, list;
`DELETE /v1/subscriptions/{id}/discount` and `/v1/customers/{id}/discount`. Writes go through
the World (`harness.sim.discounts`), so `coupon.created`, `promotion_code.updated`,
`customer.discount.deleted` ... reach webhooks rendered by the same code. `discounts` on a
subscription create or update is read here (`discounts_param`) and applied by the World.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ...errors import ScenarioError
from ...render.discounts import render_deleted_discount
from ...sim import api_writes
from .. import errors
from ..handlers import Call, as_array, as_hash, as_int, as_string
from ..routes import Route
from .answers import answer, deleted, flag, get, listing, metadata, world_errors

LIST = {"limit", "starting_after", "ending_before"}


# -- coupons -------------------------------------------------------------------------------------


def create_coupon(call: Call) -> dict[str, Any]:
    p = call.params
    percent = p.get("percent_off")
    amount = p.get("amount_off")
    if (percent is None) == (amount is None):
        raise errors.invalid("You must specify either percent_off or amount_off.")
    duration = as_string(p.get("duration", "once"), "duration")
    if duration not in ("once", "repeating", "forever"):
        raise errors.not_one_of("duration", ("forever", "once", "repeating"))
    months = None
    if "duration_in_months" in p:
        months = as_int(p["duration_in_months"], "duration_in_months", low=1, high=1200)
    if duration == "repeating" and months is None:
        raise errors.missing("duration_in_months")
    if amount is not None and "currency" not in p:
        raise errors.invalid("You must specify currency when creating an amount_off coupon.",
                             "currency")
    try:
        percent_off = float(percent) if percent is not None else None
    except (TypeError, ValueError):
        raise errors.invalid(f"Invalid decimal: {percent}", "percent_off") from None
    if percent_off is not None and not 0 < percent_off <= 100:
        raise errors.invalid("Invalid percent_off: must be greater than 0 and at most 100",
                             "percent_off")
    cid = as_string(p["id"], "id") if "id" in p else call.world.ids.token(8)
    if cid in call.world.coupons:
        raise errors.invalid("Coupon already exists.", "id", code="resource_already_exists")
    spec = SimpleNamespace(
        id=cid, name=p.get("name") or None, percent_off=percent_off,
        amount_off=as_int(amount, "amount_off", low=1) if amount is not None else None,
        currency=as_string(p.get("currency", "usd"), "currency").lower(), duration=duration,
        duration_in_months=months if duration == "repeating" else None,
        max_redemptions=(as_int(p["max_redemptions"], "max_redemptions", low=1)
                         if "max_redemptions" in p else None),
        redeem_by=as_int(p["redeem_by"], "redeem_by") if "redeem_by" in p else None,
        metadata=metadata(p.get("metadata")))
    with world_errors():
        coupon = call.world.add_coupon(spec, request="api")
    return answer(call, coupon)


def update_coupon(call: Call) -> dict[str, Any]:
    coupon = get(call, call.world.coupons, "coupon")
    changes: dict[str, Any] = {}
    if "name" in call.params:
        changes["name"] = call.params["name"] or None
    if "metadata" in call.params:
        changes["metadata"] = call.params["metadata"]
    api_writes.update(call.world, coupon, "coupon.updated", changes)
    return answer(call, coupon)


def delete_coupon(call: Call) -> dict[str, Any]:
    """Deleting a coupon stops new redemptions; discounts already applied stay (Stripe's docs:
    "it does not affect any customers who have already applied the coupon")."""
    coupon = get(call, call.world.coupons, "coupon")
    del call.world.coupons[coupon.id]
    call.world.emit("coupon.deleted", coupon, request="api")
    return deleted(coupon.id, "coupon")


def list_coupons(call: Call) -> dict[str, Any]:
    return listing(call, list(call.world.coupons.values()), "/v1/coupons", "coupon")


# -- promotion codes -----------------------------------------------------------------------------


def create_promotion_code(call: Call) -> dict[str, Any]:
    p = call.params
    if "promotion" not in p:
        raise errors.missing("promotion")
    promotion = as_hash(p["promotion"], "promotion")
    if promotion.get("type") != "coupon":
        raise errors.not_one_of("promotion[type]", ("coupon",))
    if "coupon" not in promotion:
        raise errors.missing("promotion[coupon]")
    coupon = get(call, call.world.coupons, "coupon",
                 as_string(promotion["coupon"], "promotion[coupon]"), param="promotion[coupon]")
    code = as_string(p["code"], "code") if "code" in p else call.world.ids.token(8).upper()
    restrictions = as_hash(p.get("restrictions", {}), "restrictions")
    customer = p.get("customer")
    if customer is not None and customer not in call.world.customers:
        raise errors.no_such("customer", customer, "customer")
    spec = SimpleNamespace(
        code=code, coupon=coupon.id, id=None,
        active=flag(p["active"], "active") if "active" in p else True,
        expires_at=as_int(p["expires_at"], "expires_at") if "expires_at" in p else None,
        max_redemptions=(as_int(p["max_redemptions"], "max_redemptions", low=1)
                         if "max_redemptions" in p else None),
        first_time_transaction=flag(restrictions.get("first_time_transaction", "false"),
                                    "restrictions[first_time_transaction]"),
        customer=customer, metadata=metadata(p.get("metadata")))
    with world_errors():
        promo = call.world.add_promotion_code(spec, request="api")
    return answer(call, promo)


def update_promotion_code(call: Call) -> dict[str, Any]:
    promo = get(call, call.world.promotion_codes, "promotion_code")
    changes: dict[str, Any] = {}
    if "active" in call.params:
        changes["active"] = flag(call.params["active"], "active")
    if "metadata" in call.params:
        changes["metadata"] = call.params["metadata"]
    api_writes.update(call.world, promo, "promotion_code.updated", changes)
    return answer(call, promo)


def list_promotion_codes(call: Call) -> dict[str, Any]:
    p = call.params
    active = flag(p["active"], "active") if "active" in p else None
    found = [x for x in call.world.promotion_codes.values()
             if (active is None or x.active == active)
             and ("code" not in p or x.code.lower() == str(p["code"]).lower())
             and ("coupon" not in p or x.coupon.id == p["coupon"])
             and ("customer" not in p or x.customer == p["customer"])]
    return listing(call, found, "/v1/promotion_codes", "promotion_code")


# -- discounts on subscriptions and customers ----------------------------------------------------


def discounts_param(call: Call) -> tuple[Any, Any] | None:
    """`discounts[0][coupon|promotion_code]` as (coupon, promotion code or None); an empty
    string (`discounts=""`) or no entry: None. The fake keeps one discount per subscription."""
    raw = call.params.get("discounts")
    if raw in (None, ""):
        return None
    entries = as_array(raw, "discounts")
    if len(entries) > 1:
        raise errors.invalid("The fake keeps one discount per subscription; pass one entry.",
                             "discounts")
    if not entries:
        return None
    entry = as_hash(entries[0], "discounts[0]")
    world = call.world
    if "promotion_code" in entry:
        promo = get(call, world.promotion_codes, "promotion_code",
                    as_string(entry["promotion_code"], "discounts[0][promotion_code]"),
                    param="discounts[0][promotion_code]")
        return promo.coupon, promo
    if "coupon" in entry:
        coupon = get(call, world.coupons, "coupon",
                     as_string(entry["coupon"], "discounts[0][coupon]"),
                     param="discounts[0][coupon]")
        return coupon, None
    raise errors.invalid("Pass coupon or promotion_code in discounts[0].", "discounts[0]")


def checkout_discounts(call: Call) -> list[dict[str, Any]]:
    """A Checkout session's `discounts`, as the session shows them ({coupon, promotion_code});
    the World applies them when the session is paid (`sim.discounts.discount_checkout`)."""
    found = discounts_param(call)
    if found is None:
        return []
    if "allow_promotion_codes" in call.params:
        raise errors.invalid("You may only specify one of these parameters: "
                             "allow_promotion_codes, discounts.", "discounts")
    coupon, promo = found
    return [{"coupon": None if promo else coupon.id,
             "promotion_code": promo.id if promo else None}]


def apply_discounts(call: Call, sub: Any) -> None:
    """POST /v1/subscriptions/{id} with `discounts`: apply, replace or (empty) remove."""
    if "discounts" not in call.params:
        return
    found = discounts_param(call)
    with world_errors():
        if found is None:
            if sub.discount is not None:
                call.world.remove_discount(sub)
            return
        coupon, promo = found
        call.world.apply_discount_by_api(sub, coupon, promo)


def delete_subscription_discount(call: Call) -> dict[str, Any]:
    sub = get(call, call.world.subscriptions, "subscription")
    return _remove(call, sub)


def delete_customer_discount(call: Call) -> dict[str, Any]:
    cust = get(call, call.world.customers, "customer")
    return _remove(call, cust)


def _remove(call: Call, owner: Any) -> dict[str, Any]:
    if owner.discount is None:
        raise errors.no_such("discount", owner.id, "id", status=404)
    try:
        discount = call.world.remove_discount(owner)
    except ScenarioError as exc:
        raise errors.invalid(str(exc)) from None
    return render_deleted_discount(discount, call.api_version)


ROUTES = (
    Route.sdk("POST", "/v1/coupons", create_coupon, stateful=True,
              honours={"id", "name", "percent_off", "amount_off", "currency", "duration",
                       "duration_in_months", "max_redemptions", "redeem_by", "metadata"}),
    Route.sdk("GET", "/v1/coupons", list_coupons, honours=LIST),
    Route.sdk("GET", "/v1/coupons/{coupon}",
              lambda call: answer(call, get(call, call.world.coupons, "coupon"))),
    Route.sdk("POST", "/v1/coupons/{coupon}", update_coupon, stateful=True,
              honours={"name", "metadata"}),
    Route.sdk("DELETE", "/v1/coupons/{coupon}", delete_coupon, stateful=True, honours=set()),
    Route.sdk("POST", "/v1/promotion_codes", create_promotion_code, stateful=True,
              honours={"promotion", "code", "active", "customer", "expires_at",
                       "max_redemptions", "restrictions", "metadata"}),
    Route.sdk("GET", "/v1/promotion_codes", list_promotion_codes,
              honours=LIST | {"active", "code", "coupon", "customer"}),
    Route.sdk("GET", "/v1/promotion_codes/{promotion_code}",
              lambda call: answer(call, get(call, call.world.promotion_codes,
                                            "promotion_code"))),
    Route.sdk("POST", "/v1/promotion_codes/{promotion_code}", update_promotion_code,
              stateful=True, honours={"active", "metadata"}),
    Route.sdk("DELETE", "/v1/subscriptions/{subscription_exposed_id}/discount",
              delete_subscription_discount, stateful=True, honours=set()),
    Route.sdk("DELETE", "/v1/customers/{customer}/discount", delete_customer_discount,
              stateful=True, honours=set()),
)
