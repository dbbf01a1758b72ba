"""Render coupons, promotion codes and discounts, and the discount fields of the objects they touch.

Per API version: 2025-03-31.basil removed `discount` from subscriptions and invoices (their
`discounts` list the ids); 2025-09-30.clover replaced the discount's auto-expanded `coupon` with
`source{type, coupon}` (an id) and the promotion code's `coupon` with `promotion{type, coupon}`
(https://docs.stripe.com/changelog/clover/2025-09-30/add-discount-source-property,
.../polymorphic-coupon). Fields follow stripe-python 16.1's `Coupon`, `PromotionCode`, `Discount`.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, at_least, era


def render_coupon(c: Any, version: str, catalog: Any = None) -> dict[str, Any]:
    # `applies_to` and `currency_options` are includable only, so they are left out.
    return {
        "id": c.id, "object": "coupon", "amount_off": c.amount_off, "created": c.created,
        "currency": c.currency, "duration": c.duration,
        "duration_in_months": c.duration_in_months, "livemode": False,
        "max_redemptions": c.max_redemptions, "metadata": dict(c.metadata), "name": c.name,
        "percent_off": c.percent_off, "redeem_by": c.redeem_by,
        "times_redeemed": c.times_redeemed, "valid": c.valid,
    }


def render_promotion_code(p: Any, version: str, catalog: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.id, "object": "promotion_code", "active": p.active, "code": p.code,
        "created": p.created, "customer": p.customer, "expires_at": p.expires_at,
        "livemode": False, "max_redemptions": p.max_redemptions, "metadata": dict(p.metadata),
        "restrictions": {"first_time_transaction": p.first_time_transaction,
                         "minimum_amount": p.minimum_amount,
                         "minimum_amount_currency": p.minimum_amount_currency},
        "times_redeemed": p.times_redeemed,
    }
    if era(version) >= Era.CLOVER:
        out["promotion"] = {"coupon": p.coupon.id, "type": "coupon"}
    else:
        out["coupon"] = render_coupon(p.coupon, version)
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    return out


def render_discount(d: Any, version: str, catalog: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id, "object": "discount", "checkout_session": d.checkout_session,
        "customer": d.customer, "end": d.end, "invoice": None, "invoice_item": None,
        "promotion_code": d.promotion_code, "start": d.start, "subscription": d.subscription,
        "subscription_item": None,
    }
    if era(version) >= Era.CLOVER:  # the coupon no longer auto-expands, even in events
        out["source"] = {"coupon": d.coupon.id, "type": "coupon"}
    else:
        out["coupon"] = render_coupon(d.coupon, version)
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    return out


def render_deleted_discount(d: Any, version: str) -> dict[str, Any]:
    """What DELETE .../discount answers: the discount, marked deleted."""
    return {**render_discount(d, version), "deleted": True}


# -- the discount fields of subscriptions, customers and invoices ---------------------------------


def subscription_fields(sub: Any, version: str) -> dict[str, Any]:
    d = sub.discount
    out: dict[str, Any] = {"discounts": [d.id] if d else []}
    if era(version) < Era.BASIL:
        out["discount"] = render_discount(d, version) if d else None
    return out


def customer_fields(customer: Any, version: str) -> dict[str, Any]:
    d = customer.discount
    return {"discount": render_discount(d, version) if d else None}


def invoice_fields(inv: Any, version: str) -> dict[str, Any]:
    d = inv.discount
    out: dict[str, Any] = {
        "discounts": [d.id] if d else [],
        "total_discount_amounts": [{"amount": inv.total_discount, "discount": d.id}] if d else [],
    }
    if era(version) < Era.BASIL:
        out["discount"] = render_discount(d, version) if d else None
    return out


def line_discount_amounts(line: Any, inv: Any) -> list[dict[str, Any]]:
    d = inv.discount
    return [{"amount": line.discount_amount, "discount": d.id}] if d else []
