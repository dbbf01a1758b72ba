"""Render customers, payment methods, Checkout Sessions, SetupIntents and portal sessions."""

from __future__ import annotations

from typing import Any

from ..versions import at_least
from .discounts import customer_fields


def render_customer(c: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id, "object": "customer", "address": None, "balance": c.balance,
        "created": c.created, "currency": "usd", "default_source": None,
        "delinquent": c.delinquent, "description": None, "discount": None, "email": c.email,
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {"custom_fields": None,
                             "default_payment_method": c.default_payment_method,
                             "footer": None, "rendering_options": None},
        "livemode": False, "metadata": dict(c.metadata), "name": c.name,
        "next_invoice_sequence": c.next_invoice_sequence, "phone": None,
        "preferred_locales": [], "shipping": None,
        "tax_exempt": "none", "test_clock": None,
    }
    if at_least(version, "2025-09-30"):
        out["business_name"] = None
        out["individual_name"] = None
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if c.discount is not None:
        out.update(customer_fields(c, version))
    return out


def render_payment_method(pm: Any, version: str, catalog: Any) -> dict[str, Any]:
    billing_details: dict[str, Any] = {
        "address": {"city": None, "country": "US", "line1": None, "line2": None,
                    "postal_code": "94103", "state": None},
        "email": None, "name": None, "phone": None}
    if at_least(version, "2026-07-29"):
        # Declared by the pinned SDK and present in the 2026-08-21 OpenAPI fixture; the release
        # that added it is not known, so it shows from that fixture's version.
        billing_details["tax_id"] = None
    out: dict[str, Any] = {
        "id": pm.id, "object": "payment_method", "allow_redisplay": "unspecified",
        "billing_details": billing_details,
        "card": {"brand": pm.brand,
                 "checks": {"address_line1_check": None, "address_postal_code_check": "pass",
                            "cvc_check": "pass"},
                 "country": "US", "display_brand": pm.brand, "exp_month": pm.exp_month,
                 "exp_year": pm.exp_year, "fingerprint": pm.id[-16:], "funding": "credit",
                 "generated_from": None, "last4": pm.last4,
                 "networks": {"available": [pm.brand], "preferred": None},
                 "regulated_status": "unregulated",
                 "three_d_secure_usage": {"supported": True}, "wallet": None},
        "created": pm.created, "customer": pm.customer, "livemode": False, "metadata": {},
        "type": "card",
    }
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    return out


def render_checkout_session(s: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id, "object": "checkout.session", "adaptive_pricing": {"enabled": False},
        "after_expiration": None, "allow_promotion_codes": None,
        "amount_subtotal": s.amount_total + s.amount_discount, "amount_total": s.amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": s.billing_address_collection, "cancel_url": s.cancel_url or "https://app.example.test/pricing",
        "client_reference_id": s.client_reference_id, "client_secret": None,
        "collected_information": None, "consent": None, "consent_collection": None,
        "created": s.created, "currency": s.currency, "currency_conversion": None,
        "custom_fields": [], "custom_text": {"after_submit": None, "shipping_address": None,
                                             "submit": None, "terms_of_service_acceptance": None},
        "customer": s.customer, "customer_creation": s.customer_creation,
        "customer_details": _checkout_customer_details(s, version),
        "customer_email": None if s.status == "complete" else s.customer_email,
        "discounts": [dict(d) for d in s.discounts],
        "expires_at": s.expires_at or s.created + 86400,
        "invoice": s.invoice, "invoice_creation": None, "livemode": False, "locale": s.locale,
        "metadata": dict(s.metadata), "mode": s.mode, "payment_intent": None, "payment_link": None,
        "payment_method_collection": "always", "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"], "payment_status": s.payment_status, "permissions": None,
        "phone_number_collection": {"enabled": False}, "recovered_from": None,
        "saved_payment_method_options": None, "setup_intent": None,
        "shipping_address_collection": None, "shipping_cost": None, "shipping_options": [],
        "status": s.status, "submit_type": None, "subscription": s.subscription,
        "success_url": s.success_url
        or "https://app.example.test/billing?session_id={CHECKOUT_SESSION_ID}",
        "total_details": {"amount_discount": s.amount_discount, "amount_shipping": 0,
                          "amount_tax": 0},
        "ui_mode": "hosted", "url": s.url, "wallet_options": None,
    }
    if at_least(version, "2025-03-31"):
        out["origin_context"] = None
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    return out


def _checkout_customer_details(s: Any, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"address": None, "email": s.customer_email, "name": None,
                           "phone": None, "tax_exempt": "none", "tax_ids": []}
    out.update(s.customer_details)  # what the customer entered on the page
    if at_least(version, "2025-09-30"):  # as on Customer (2025-09-30.clover)
        out["business_name"] = None
        out["individual_name"] = None
    return out


def render_setup_intent(si: Any, version: str, catalog: Any) -> dict[str, Any]:
    return {
        "id": si.id, "object": "setup_intent", "application": None,
        "automatic_payment_methods": None, "cancellation_reason": None,
        "client_secret": f"{si.id}_secret_{si.id[-12:]}", "created": si.created,
        "customer": si.customer, "description": None, "flow_directions": None,
        "last_setup_error": None, "latest_attempt": None, "livemode": False, "mandate": None,
        "metadata": {}, "next_action": None, "on_behalf_of": None,
        "payment_method": si.payment_method, "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"], "single_use_mandate": None, "status": si.status,
        "usage": "off_session",
    }


def render_portal_session(s: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id, "object": "billing_portal.session", "configuration": s.configuration,
        "created": s.created, "customer": s.customer, "flow": s.flow, "livemode": False,
        "locale": s.locale, "on_behalf_of": None, "return_url": s.return_url, "url": s.url,
    }
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if at_least(version, "2026-10-28"):
        out["after_expiration"] = None
    return out
