"""Render subscriptions, their items, prices and plans per API version.

2025-03-31.basil moved current_period_start/end from the subscription to its items and removed
`discount` (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
Additive fields (billing_mode, ...) show in every version, as a captured pre-basil payload shows.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, at_least, era


def render_price(price: Any) -> dict[str, Any]:
    return {
        "id": price.id, "object": "price", "active": True, "billing_scheme": "per_unit",
        "created": 1767225600, "currency": price.currency, "custom_unit_amount": None,
        "livemode": False, "lookup_key": None, "metadata": {}, "nickname": None,
        "product": price.product,
        "recurring": {"interval": price.interval, "interval_count": price.interval_count,
                      "meter": None, "trial_period_days": None, "usage_type": "licensed"},
        "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
        "type": "recurring", "unit_amount": price.unit_amount,
        "unit_amount_decimal": str(price.unit_amount),
    }


def render_plan(price: Any) -> dict[str, Any]:
    """The legacy Plan view of a price, still embedded in items and single-item subscriptions."""
    return {
        "id": price.id, "object": "plan", "active": True, "amount": price.unit_amount,
        "amount_decimal": str(price.unit_amount), "billing_scheme": "per_unit",
        "created": 1767225600, "currency": price.currency, "interval": price.interval,
        "interval_count": price.interval_count, "livemode": False, "metadata": {},
        "meter": None, "nickname": None, "product": price.product, "tiers_mode": None,
        "transform_usage": None, "trial_period_days": None, "usage_type": "licensed",
    }


def _billing_thresholds_present(version: str) -> bool:
    # Removed in 2025-03-31.basil, back in 2025-05-28.basil.
    return not ("2025-03-31" <= version[:10] < "2025-05-28")


def render_item(item: Any, sub_id: str, version: str, catalog: Any) -> dict[str, Any]:
    price = catalog.price(item.price)
    out = {
        "id": item.id, "object": "subscription_item", "created": item.created,
        "current_period_end": item.current_period_end,
        "current_period_start": item.current_period_start,
        "discounts": [], "metadata": {}, "plan": render_plan(price),
        "price": render_price(price), "quantity": item.quantity, "subscription": sub_id,
        "tax_rates": [],
    }
    if _billing_thresholds_present(version):
        out["billing_thresholds"] = None
    return out


def render_subscription(sub: Any, version: str, catalog: Any) -> dict[str, Any]:
    e = era(version)
    items = [render_item(i, sub.id, version, catalog) for i in sub.items]
    out: dict[str, Any] = {
        "id": sub.id, "object": "subscription", "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": sub.billing_cycle_anchor, "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": {"proration_discounts": "included"}
                         if sub.billing_mode == "flexible" else None,
                         "type": sub.billing_mode, "updated_at": sub.created},
        "cancel_at": sub.cancel_at, "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": sub.canceled_at,
        "cancellation_details": {"comment": sub.cancellation_comment,
                                 "feedback": sub.cancellation_feedback,
                                 "reason": sub.cancellation_reason},
        "collection_method": "charge_automatically", "created": sub.created,
        "currency": sub.currency, "customer": sub.customer, "days_until_due": None,
        "default_payment_method": sub.default_payment_method, "default_source": None,
        "default_tax_rates": [], "description": None, "discounts": [],
        "ended_at": sub.ended_at,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {"object": "list", "data": items, "has_more": False,
                  "total_count": len(items), "url": f"/v1/subscription_items?subscription={sub.id}"},
        "latest_invoice": sub.latest_invoice, "livemode": False, "metadata": dict(sub.metadata),
        "next_pending_invoice_item_invoice": None, "on_behalf_of": None,
        "pause_collection": dict(sub.pause_collection) if sub.pause_collection else None,
        "payment_settings": {
            "payment_method_options": {
                "acss_debit": None, "bancontact": None,
                "card": {"network": None, "request_three_d_secure": "automatic"},
                "customer_balance": None, "konbini": None, "sepa_debit": None,
                "us_bank_account": None},
            "payment_method_types": None, "save_default_payment_method": "on_subscription"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None,
        "pending_update": None, "schedule": None, "start_date": sub.created,
        "status": sub.status, "test_clock": None, "transfer_data": None, "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if at_least(version, "2026-05-27"):
        out["billing_schedules"] = []
    if len(sub.items) == 1:
        # Legacy single-item fields: absent from the typed SDKs, present in real payloads.
        price = catalog.price(sub.items[0].price)
        out["plan"] = render_plan(price)
        out["quantity"] = sub.items[0].quantity
    if _billing_thresholds_present(version):
        out["billing_thresholds"] = None
    if e < Era.BASIL:
        out["current_period_start"] = sub.current_period_start
        out["current_period_end"] = sub.current_period_end
        out["discount"] = None
    if e >= Era.ENDIVE:
        out["status_details"] = {"paused": dict(sub.paused)} if sub.paused else None
    return out
