"""Render the REST-only objects: products, prices, features, webhook endpoints, configurations.

Fields follow stripe-python 16.1's object classes (`Product`, `Price`, `ProductFeature`,
`entitlements.Feature`, `WebhookEndpoint`, `billing_portal.Configuration`); values an app cannot
set through the fake are Stripe's defaults for a test-mode account.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, era


def render_product(p: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.id, "object": "product", "active": p.active,
        "created": p.created, "default_price": p.default_price, "description": p.description,
        "images": [], "livemode": False, "marketing_features": [], "metadata": dict(p.metadata),
        "name": p.name, "package_dimensions": None, "shippable": None,
        "statement_descriptor": None, "tax_code": None, "type": "service", "unit_label": None,
        "updated": p.updated or p.created, "url": None,
    }
    return out


def render_price_object(p: Any, version: str, catalog: Any) -> dict[str, Any]:
    recurring = None
    if p.interval is not None:
        recurring = {"interval": p.interval, "interval_count": p.interval_count, "meter": None,
                     "trial_period_days": None, "usage_type": "licensed"}
        if era(version) < Era.BASIL:
            recurring["aggregate_usage"] = None
    return {
        "id": p.id, "object": "price", "active": p.active, "billing_scheme": "per_unit",
        "created": p.created, "currency": p.currency, "custom_unit_amount": None,
        "livemode": False, "lookup_key": p.lookup_key, "metadata": dict(p.metadata),
        "nickname": p.nickname, "product": p.product, "recurring": recurring,
        "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
        "type": "recurring" if recurring else "one_time", "unit_amount": p.unit_amount,
        "unit_amount_decimal": str(p.unit_amount),
    }


def render_feature(f: Any, version: str, catalog: Any) -> dict[str, Any]:
    return {"id": f.id, "object": "entitlements.feature", "active": f.active, "livemode": False,
            "lookup_key": f.lookup_key, "metadata": dict(f.metadata), "name": f.name}


def render_product_feature(pf: Any, version: str, catalog: Any, *,
                           feature: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": pf.id, "object": "product_feature",
            "entitlement_feature": feature or {"id": pf.feature}, "livemode": False}


def render_webhook_endpoint(w: Any, version: str, catalog: Any) -> dict[str, Any]:
    return {
        "id": w.id, "object": "webhook_endpoint", "api_version": w.api_version,
        "application": None, "created": w.created, "description": w.description,
        "enabled_events": list(w.enabled_events), "livemode": False,
        "metadata": dict(w.metadata), "status": w.status, "url": w.url,
    }


def render_portal_configuration(c: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id, "object": "billing_portal.configuration", "active": c.active,
        "application": None,
        "business_profile": {"headline": None, "privacy_policy_url": None,
                             "terms_of_service_url": None, **c.business_profile},
        "created": c.created, "default_return_url": c.default_return_url,
        "features": c.features, "is_default": c.is_default, "livemode": False,
        "login_page": {"enabled": False, "url": None}, "metadata": dict(c.metadata),
        "name": None, "updated": c.updated or c.created,
    }
    return out


def render_balance_transaction(t: Any, version: str, catalog: Any) -> dict[str, Any]:
    return {
        "id": t.id, "object": "balance_transaction", "amount": t.amount,
        "available_on": t.created + 2 * 86400, "balance_type": "payments",
        "created": t.created, "currency": t.currency, "description": t.description,
        "exchange_rate": None, "fee": t.fee,
        "fee_details": [{"amount": t.fee, "application": None, "currency": t.currency,
                         "description": "Stripe processing fees", "type": "stripe_fee"}]
        if t.fee else [],
        "net": t.amount - t.fee, "reporting_category": t.type, "source": t.source,
        "status": "pending", "type": t.type,
    }
