"""Render subscriptions, their items, prices and plans per API version.

2025-03-31.basil moved current_period_start/end from the subscription to its items and removed
`discount` and the legacy `aggregate_usage` (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
Additive fields (billing_mode, item periods, ...) show in every version, as a captured pre-basil
payload shows; fields added after 2025 appear from the release that introduced them.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, at_least, era
from .discounts import subscription_fields


def render_price(price: Any, version: str) -> dict[str, Any]:
    out = {
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
    if era(version) < Era.BASIL:  # captured pre-basil rendering: recurring.aggregate_usage null
        out["recurring"]["aggregate_usage"] = None
    return out


def render_plan(price: Any, version: str) -> dict[str, Any]:
    """The legacy Plan view of a price, still embedded in items and single-item subscriptions."""
    out = {
        "id": price.id, "object": "plan", "active": True, "amount": price.unit_amount,
        "amount_decimal": str(price.unit_amount), "billing_scheme": "per_unit",
        "created": 1767225600, "currency": price.currency, "interval": price.interval,
        "interval_count": price.interval_count, "livemode": False, "metadata": {},
        "meter": None, "nickname": None, "product": price.product, "tiers_mode": None,
        "transform_usage": None, "trial_period_days": None, "usage_type": "licensed",
    }
    if era(version) < Era.BASIL:  # removed in basil with legacy usage-based billing
        out["aggregate_usage"] = None
    return out


def _billing_thresholds_present(version: str) -> bool:
    # Removed in 2025-03-31.basil, back in 2025-05-28.basil.
    return not ("2025-03-31" <= version[:10] < "2025-05-28")


def render_item(item: Any, sub_id: str, version: str, catalog: Any) -> dict[str, Any]:
    price = catalog.price(item.price)
    out = {
        "id": item.id, "object": "subscription_item", "created": item.created,
        "current_period_end": item.current_period_end,
        "current_period_start": item.current_period_start,
        "discounts": [], "metadata": {}, "plan": render_plan(price, version),
        "price": render_price(price, version), "quantity": item.quantity, "subscription": sub_id,
        "tax_rates": [],
    }
    if _billing_thresholds_present(version):
        out["billing_thresholds"] = None
    if era(version) >= Era.ENDIVE:  # trial offers (Appendix A of the fidelity reference)
        out["current_trial"] = None
    return out


def _billing_mode(sub: Any) -> dict[str, Any]:
    # Captured payloads: a flexible subscription carries updated_at (when the mode was adopted,
    # here its creation); a classic one that never changed mode has no updated_at key.
    if sub.billing_mode == "flexible":
        return {"flexible": {"proration_discounts": "included"}, "type": "flexible",
                "updated_at": sub.created}
    return {"flexible": None, "type": "classic"}


def payment_method_options(version: str, card: dict[str, Any]) -> dict[str, Any]:
    """The per-method options hash of subscriptions and invoices, as captured payloads show it.

    `payto` is absent from the 2025-09 and 2025-10 captures and present in a 2026-02 capture;
    it is shown from 2025-12-15.clover, a release between them (the exact one is unknown).
    """
    out: dict[str, Any] = {"acss_debit": None, "bancontact": None, "card": card,
                           "customer_balance": None, "konbini": None, "sepa_debit": None,
                           "us_bank_account": None}
    if at_least(version, "2025-12-15"):
        out["payto"] = None
    return out


def render_subscription(sub: Any, version: str, catalog: Any) -> dict[str, Any]:
    e = era(version)
    items = [render_item(i, sub.id, version, catalog) for i in sub.items]
    out: dict[str, Any] = {
        "id": sub.id, "object": "subscription", "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": sub.billing_cycle_anchor, "billing_cycle_anchor_config": None,
        "billing_mode": _billing_mode(sub),
        "cancel_at": sub.cancel_at, "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": sub.canceled_at,
        "cancellation_details": _cancellation_details(sub, version),
        "collection_method": "charge_automatically", "created": sub.created,
        "currency": sub.currency, "customer": sub.customer, "days_until_due": None,
        "default_payment_method": sub.default_payment_method, "default_source": None,
        "default_tax_rates": [], "description": sub.description, "discounts": [],
        "ended_at": sub.ended_at,
        "invoice_settings": _invoice_settings(version),
        "items": {"object": "list", "data": items, "has_more": False,
                  "total_count": len(items),
                  "url": f"/v1/subscription_items?subscription={sub.id}"},
        "latest_invoice": sub.latest_invoice, "livemode": False, "metadata": dict(sub.metadata),
        "next_pending_invoice_item_invoice": None, "on_behalf_of": None,
        "pause_collection": dict(sub.pause_collection) if sub.pause_collection else None,
        "payment_settings": {
            "payment_method_options": payment_method_options(
                version, {"network": None, "request_three_d_secure": "automatic"}),
            # "off" is what the captured Checkout-created subscriptions show.
            "payment_method_types": None, "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None,
        "pending_update": None, "schedule": sub.schedule, "start_date": sub.created,
        "status": sub.status, "test_clock": None, "transfer_data": None, "trial_end": sub.trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": sub.trial_start,
    }
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if at_least(version, "2026-04-22"):
        out["managed_payments"] = None
    if at_least(version, "2026-05-27"):
        out["billing_schedules"] = []
    if len(sub.items) == 1:
        # Legacy single-item fields: absent from the typed SDKs, present in real payloads.
        price = catalog.price(sub.items[0].price)
        out["plan"] = render_plan(price, version)
        out["quantity"] = sub.items[0].quantity
    if _billing_thresholds_present(version):
        out["billing_thresholds"] = None
    if e < Era.BASIL:
        out["current_period_start"] = sub.current_period_start
        out["current_period_end"] = sub.current_period_end
        out["discount"] = None
    if e >= Era.ENDIVE:
        out["status_details"] = {"paused": dict(sub.paused)} if sub.paused else None
    if sub.discount is not None:
        out.update(subscription_fields(sub, version))
    return out


def _cancellation_details(sub: Any, version: str) -> dict[str, Any]:
    out = {"comment": sub.cancellation_comment, "feedback": sub.cancellation_feedback,
           "reason": sub.cancellation_reason}
    if at_least(version, "2026-08-26"):  # Billing.FeedbackOption (portal feedback_options)
        out["feedback_option"] = None
    return out


def _invoice_settings(version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"account_tax_ids": None, "issuer": {"type": "self"}}
    if at_least(version, "2026-06-24"):  # subscription-level invoice text (2026-06-24.dahlia)
        out.update({"custom_fields": None, "description": None, "footer": None})
    return out
