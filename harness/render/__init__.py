"""Render: simulated objects and events as Stripe shows them in one API version.

Takes a sim object (or SimEvent) and a version; gives the JSON-ready dict Stripe would send, with
Stripe's key order (id, object, then alphabetical). `previous_attributes` is computed by rendering
the before and after snapshots in the same version, so a field a version lacks never leaks in.
"""

from __future__ import annotations

from typing import Any

from ..sim import SimEvent
from .api_objects import (
    render_balance_transaction,
    render_feature,
    render_portal_configuration,
    render_price_object,
    render_product,
    render_product_feature,
    render_webhook_endpoint,
)
from .billing import render_invoice, render_invoice_item
from .customers import (
    render_checkout_session,
    render_customer,
    render_payment_method,
    render_portal_session,
    render_setup_intent,
)
from .discounts import render_coupon, render_discount, render_promotion_code
from .payments import (
    render_charge,
    render_invoice_payment,
    render_payment_intent,
    render_refund,
)
from .schedules import render_subscription_schedule
from .subscriptions import render_subscription

_RENDERERS = {
    "subscription": render_subscription,
    "invoice": render_invoice,
    "invoiceitem": render_invoice_item,
    "customer": render_customer,
    "payment_method": render_payment_method,
    "checkout.session": render_checkout_session,
    "setup_intent": render_setup_intent,
    "billing_portal.session": render_portal_session,
    "payment_intent": render_payment_intent,
    "charge": render_charge,
    "refund": render_refund,
    "invoice_payment": render_invoice_payment,
    "product": render_product,
    "price": render_price_object,
    "entitlements.feature": render_feature,
    "product_feature": render_product_feature,
    "webhook_endpoint": render_webhook_endpoint,
    "billing_portal.configuration": render_portal_configuration,
    "balance_transaction": render_balance_transaction,
    "subscription_schedule": render_subscription_schedule,
    "coupon": render_coupon,
    "promotion_code": render_promotion_code,
    "discount": render_discount,
}


def render(obj: Any, api_version: str, catalog: Any) -> dict[str, Any]:
    """The object as the API (and webhooks) show it in `api_version`, keys in Stripe's order."""
    return stripe_order(_RENDERERS[obj.kind](obj, api_version, catalog))


def render_event(event: SimEvent, api_version: str, catalog: Any, *,
                 pending_webhooks: int = 1) -> dict[str, Any]:
    """The event envelope Stripe delivers, rendered in the endpoint's version."""
    data: dict[str, Any] = {"object": render(event.object, api_version, catalog)}
    if event.previous is not None:
        data["previous_attributes"] = previous_attributes(
            render(event.previous, api_version, catalog), data["object"])
    body: dict[str, Any] = {
        "id": event.id,
        "object": "event",
        "api_version": api_version,
        "created": event.created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "type": event.type,
    }
    # `account` and `context` (2025-04-30.basil) are omitted when absent, as in captured payloads.
    return body


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the keys that changed, with their old values (Stripe's `data.previous_attributes`).

    A nested hash shows only its changed keys; an expanded object whose id changed (a new plan)
    is shown whole; a list object shows `{"data": [...]}` with the entire old array, as in the
    captured basil renewal payload; a plain array is sent whole.
    """
    prev: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            if old.get("object") == "list":
                prev[key] = {"data": old.get("data")}
            elif "id" in old and old.get("id") != new.get("id"):
                prev[key] = old
            else:
                prev[key] = previous_attributes(old, new)
        else:
            prev[key] = old
    return prev


def stripe_order(value: Any) -> Any:
    """Stripe's key order at every depth: id, object, then the rest alphabetically."""
    if isinstance(value, dict):
        return _ordered(value)
    if isinstance(value, list):
        return [stripe_order(v) for v in value]
    return value


def _ordered(value: dict[str, Any]) -> dict[str, Any]:
    # The hot path of every rendered object: scalars are copied without a call.
    out: dict[str, Any] = {}
    for key in ("id", "object"):
        if key in value:
            out[key] = value[key]
    for key in sorted(value):
        if key in out:
            continue
        item = value[key]
        kind = type(item)
        out[key] = (_ordered(item) if kind is dict
                    else [stripe_order(v) for v in item] if kind is list else item)
    return out


__all__ = ["previous_attributes", "render", "render_event", "stripe_order"]
