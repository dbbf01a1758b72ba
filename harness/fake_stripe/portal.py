"""POST /v1/billing_portal/sessions: validate the params as Stripe does, then create the session.

Takes a `Call` with the decoded form, gives the rendered `billing_portal.session` made by
`World.create_portal_session`. Parameters and flow types follow stripe-python 16.1's
`SessionCreateParams` (FIDELITY.md section 5); messages marked "inferred" are plausible, not seen.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..versions import at_least
from . import errors
from .handlers import Call, allow, as_array, as_hash, as_int, as_string

# stripe-python 16.1, billing_portal/_session.py: Session.locale
LOCALES = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-AU", "en-CA", "en-GB", "en-IE", "en-IN",
    "en-NZ", "en-SG", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it",
    "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl",
    "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)
AFTER_COMPLETION_TYPES = ("hosted_confirmation", "portal_homepage", "redirect")
CUSTOM_MESSAGE_MAX = 500
# Flow types whose own sub-object is required, and the keys it accepts.
SUBSCRIPTION_FLOWS = {
    "subscription_cancel": {"subscription", "retention"},
    "subscription_pause": {"subscription"},
    "subscription_update": {"subscription"},
    "subscription_update_confirm": {"subscription", "items", "discounts"},
}


def flow_types(version: str) -> tuple[str, ...]:
    """The flow_data[type] values a request in `version` may use (FIDELITY 5.2)."""
    types = ["payment_method_update", "subscription_cancel", "subscription_update",
             "subscription_update_confirm"]
    if at_least(version, "2026-08-26"):
        types.append("customer_update")
    if at_least(version, "2026-10-28"):
        types.append("subscription_pause")
    return tuple(sorted(types))


def top_level_params(version: str) -> set[str]:
    params = {"customer", "configuration", "expand", "flow_data", "locale", "on_behalf_of",
              "return_url"}
    if at_least(version, "2025-12-15"):
        params.add("customer_account")
    if at_least(version, "2026-10-28"):
        params.add("after_expiration")
    return params


def create_portal_session(call: Call) -> dict[str, Any]:
    params = call.params
    allow(params, top_level_params(call.api_version))
    customer = _customer(call)
    configuration = call.fake.configuration_id
    if "configuration" in params:
        configuration = as_string(params["configuration"], "configuration")
        if configuration not in call.fake.configuration_ids:
            raise errors.no_such("configuration", configuration, "configuration")
    return_url = None
    if "return_url" in params:
        return_url = _url(params["return_url"], "return_url")
    locale = None
    if "locale" in params:
        locale = as_string(params["locale"], "locale")
        if locale not in LOCALES:
            raise errors.not_one_of("locale", LOCALES)
    if "on_behalf_of" in params:  # no connected accounts exist in a World
        raise errors.no_such("account", as_string(params["on_behalf_of"], "on_behalf_of"),
                             "on_behalf_of")
    if "after_expiration" in params:
        _after_expiration(params["after_expiration"])
    flow = _flow(call, customer, params["flow_data"]) if "flow_data" in params else None
    if "expand" in params:  # the fake has no configuration object to expand into
        for i, path in enumerate(as_array(params["expand"], "expand")):
            raise errors.invalid(f"This property cannot be expanded ({path}).", f"expand[{i}]")
    session = call.world.create_portal_session(
        customer, return_url=return_url, configuration=configuration, flow=flow, locale=locale)
    return call.render(session)


def _customer(call: Call) -> str:
    """`customer` is required until 2025-12-15.clover, then one of customer / customer_account."""
    params = call.params
    if "customer" in params and "customer_account" in params:
        raise errors.invalid("You may only specify one of these parameters: customer, "
                             "customer_account.")
    if "customer_account" in params:  # Accounts v2 are not simulated: no account exists
        account = as_string(params["customer_account"], "customer_account")
        raise errors.no_such("account", account, "customer_account")
    if "customer" not in params:
        raise errors.missing("customer")
    customer = as_string(params["customer"], "customer")
    if customer not in call.world.customers:
        raise errors.no_such("customer", customer, "customer")
    return customer


def _url(value: Any, param: str) -> str:
    url = as_string(value, param)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.invalid("Not a valid URL", param, code="url_invalid")
    return url


def _after_expiration(value: Any) -> None:
    """`type` is required and only `customer_login` exists (stripe-python 16.1,
    SessionCreateParamsAfterExpiration; changelog 2026-10-28 session recovery)."""
    data = as_hash(value, "after_expiration")
    allow(data, {"type", "customer_login"}, "after_expiration")
    if "type" not in data:
        raise errors.missing("after_expiration[type]")
    if as_string(data["type"], "after_expiration[type]") != "customer_login":
        raise errors.not_one_of("after_expiration[type]", ("customer_login",))
    if "customer_login" in data:
        login = as_hash(data["customer_login"], "after_expiration[customer_login]")
        allow(login, {"expires_at"}, "after_expiration[customer_login]")
        if "expires_at" in login:
            as_int(login["expires_at"], "after_expiration[customer_login][expires_at]")


def _flow(call: Call, customer: str, value: Any) -> dict[str, Any]:
    """Validate flow_data and give the session's `flow` (every sub-object key, null if unused)."""
    data = as_hash(value, "flow_data")
    types = flow_types(call.api_version)
    allow(data, {"type", "after_completion", *(t for t in types if t in SUBSCRIPTION_FLOWS)},
          "flow_data")
    if "type" not in data:
        raise errors.missing("flow_data[type]")
    flow_type = as_string(data["type"], "flow_data[type]")
    if flow_type not in types:
        raise errors.not_one_of("flow_data[type]", types)
    for other in SUBSCRIPTION_FLOWS:
        if other in data and other != flow_type:  # inferred message
            raise errors.invalid(f"flow_data[{other}] can only be used when flow_data[type] is "
                                 f"{other}.", f"flow_data[{other}]")
    flow: dict[str, Any] = {
        "after_completion": _after_completion(data.get("after_completion")),
        "subscription_cancel": None, "subscription_update": None,
        "subscription_update_confirm": None, "type": flow_type,
    }
    if at_least(call.api_version, "2026-08-26"):
        flow["customer_update"] = {} if flow_type == "customer_update" else None
    if at_least(call.api_version, "2026-10-28"):
        flow["subscription_pause"] = None
    if flow_type in SUBSCRIPTION_FLOWS:
        flow[flow_type] = _subscription_flow(call, customer, flow_type, data.get(flow_type))
    return flow


def _after_completion(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"hosted_confirmation": None, "redirect": None,
                           "type": "portal_homepage"}
    if value is None:
        return out
    prefix = "flow_data[after_completion]"
    data = as_hash(value, prefix)
    allow(data, {"type", "hosted_confirmation", "redirect"}, prefix)
    if "type" not in data:
        raise errors.missing(f"{prefix}[type]")
    kind = out["type"] = as_string(data["type"], f"{prefix}[type]")
    if kind not in AFTER_COMPLETION_TYPES:
        raise errors.not_one_of(f"{prefix}[type]", AFTER_COMPLETION_TYPES)
    if kind == "redirect":
        if "redirect" not in data:
            raise errors.missing(f"{prefix}[redirect]")
        redirect = as_hash(data["redirect"], f"{prefix}[redirect]")
        allow(redirect, {"return_url"}, f"{prefix}[redirect]")
        if "return_url" not in redirect:
            raise errors.missing(f"{prefix}[redirect][return_url]")
        out["redirect"] = {"return_url": _url(redirect["return_url"],
                                              f"{prefix}[redirect][return_url]")}
    if kind == "hosted_confirmation":
        hosted = as_hash(data.get("hosted_confirmation", {}), f"{prefix}[hosted_confirmation]")
        allow(hosted, {"custom_message"}, f"{prefix}[hosted_confirmation]")
        message = hosted.get("custom_message")
        param = f"{prefix}[hosted_confirmation][custom_message]"
        if message is not None and len(as_string(message, param)) > CUSTOM_MESSAGE_MAX:
            raise errors.invalid(f"Invalid string: {message[:20]}...; must be at most "
                                 f"{CUSTOM_MESSAGE_MAX} characters", param)
        out["hosted_confirmation"] = {"custom_message": message}
    return out


def _subscription_flow(call: Call, customer: str, flow_type: str, value: Any) -> dict[str, Any]:
    prefix = f"flow_data[{flow_type}]"
    if value is None:
        raise errors.missing(prefix)
    data = as_hash(value, prefix)
    allow(data, SUBSCRIPTION_FLOWS[flow_type], prefix)
    if "subscription" not in data:
        raise errors.missing(f"{prefix}[subscription]")
    sub_id = as_string(data["subscription"], f"{prefix}[subscription]")
    sub = call.world.subscriptions.get(sub_id)
    if sub is None:
        raise errors.no_such("subscription", sub_id, f"{prefix}[subscription]")
    if sub.customer != customer:  # inferred message
        raise errors.invalid(f"The subscription {sub_id} does not belong to the customer "
                             f"{customer}.", f"{prefix}[subscription]")
    if sub.ended:  # inferred message
        raise errors.invalid(f"The subscription {sub_id} is {sub.status} and cannot be "
                             "managed in the customer portal.", f"{prefix}[subscription]")
    out: dict[str, Any] = {"subscription": sub_id}
    if flow_type == "subscription_cancel":
        out["retention"] = _retention(call, data.get("retention"), prefix)
    if flow_type == "subscription_update_confirm":
        out["items"] = _items(call, sub, data.get("items"), prefix)
        out["discounts"] = _discounts(call, data.get("discounts"), prefix)
    return out


def _retention(call: Call, value: Any, prefix: str) -> dict[str, Any] | None:
    if value is None:
        return None
    prefix = f"{prefix}[retention]"
    data = as_hash(value, prefix)
    allow(data, {"type", "coupon_offer"}, prefix)
    if "type" not in data:
        raise errors.missing(f"{prefix}[type]")
    if as_string(data["type"], f"{prefix}[type]") != "coupon_offer":
        raise errors.not_one_of(f"{prefix}[type]", ("coupon_offer",))
    if "coupon_offer" not in data:
        raise errors.missing(f"{prefix}[coupon_offer]")
    offer = as_hash(data["coupon_offer"], f"{prefix}[coupon_offer]")
    allow(offer, {"coupon"}, f"{prefix}[coupon_offer]")
    if "coupon" not in offer:
        raise errors.missing(f"{prefix}[coupon_offer][coupon]")
    coupon = as_string(offer["coupon"], f"{prefix}[coupon_offer][coupon]")
    if coupon not in call.world.coupons:  # the World's coupons (harness.sim.discounts)
        raise errors.no_such("coupon", coupon, f"{prefix}[coupon_offer][coupon]")
    return {"coupon_offer": {"coupon": coupon}, "type": "coupon_offer"}


def _items(call: Call, sub: Any, value: Any, prefix: str) -> list[dict[str, Any]]:
    """Exactly one item, an item of this subscription, with a price the portal offers.

    Stripe: "Currently, only up to one may be specified and subscriptions with multiple items
    are not updatable" (SessionCreateParamsFlowDataSubscriptionUpdateConfirm.items).
    """
    if value is None:
        raise errors.missing(f"{prefix}[items]")
    items = as_array(value, f"{prefix}[items]")
    if not items:
        raise errors.missing(f"{prefix}[items]")
    if len(items) > 1:  # inferred message
        raise errors.invalid("Currently, only up to one item may be specified.",
                             f"{prefix}[items]")
    if len(sub.items) > 1:  # inferred message
        raise errors.invalid(f"The subscription {sub.id} has multiple items and cannot be "
                             "updated through the customer portal.", f"{prefix}[subscription]")
    item_prefix = f"{prefix}[items][0]"
    item = as_hash(items[0], item_prefix)
    allow(item, {"id", "price", "quantity"}, item_prefix)
    if "id" not in item:
        raise errors.missing(f"{item_prefix}[id]")
    item_id = as_string(item["id"], f"{item_prefix}[id]")
    if item_id not in {i.id for i in sub.items}:  # inferred message
        raise errors.invalid(f"The subscription item {item_id} does not belong to the "
                             f"subscription {sub.id}.", f"{item_prefix}[id]")
    out: dict[str, Any] = {"id": item_id, "price": None, "quantity": None}
    if "price" in item:
        price = as_string(item["price"], f"{item_prefix}[price]")
        if price not in call.world.catalog.prices:
            raise errors.no_such("price", price, f"{item_prefix}[price]")
        out["price"] = price
    if "quantity" in item:
        out["quantity"] = as_int(item["quantity"], f"{item_prefix}[quantity]", low=1,
                                 high=10_000_000)
    return [out]


def _discounts(call: Call, value: Any, prefix: str) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    out = []
    for i, discount in enumerate(as_array(value, f"{prefix}[discounts]")):
        param = f"{prefix}[discounts][{i}]"
        data = as_hash(discount, param)
        allow(data, {"coupon", "promotion_code"}, param)
        entry: dict[str, Any] = {"coupon": None, "promotion_code": None}
        for key, noun, store in (("coupon", "coupon", call.world.coupons),
                                 ("promotion_code", "promotion code",
                                  call.world.promotion_codes)):
            if key in data:
                entry[key] = as_string(data[key], f"{param}[{key}]")
                if entry[key] not in store:  # the World's (harness.sim.discounts)
                    raise errors.no_such(noun, entry[key], f"{param}[{key}]")
        out.append(entry)
    return out
