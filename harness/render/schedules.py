"""Render subscription schedules per API version.

Key sets follow the stripe-python class of each release (10.0.0 for 2024-06-20, 12.0.0 for
2025-03-31.basil, 16.1.0 for 2026-10-28.endive) and a captured schedule
(tests/fixtures/stripe_payloads): basil removed `phases[].coupon` and, until 2025-05-28.basil,
`billing_thresholds`; `customer_account` arrives with 2025-12-15.clover, `pause_schedules` with
2026-09-30.endive. `billing_mode` is additive and shows in every version, as on subscriptions.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, at_least, era
from .subscriptions import _billing_thresholds_present


def _invoice_settings(version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"account_tax_ids": None, "days_until_due": None,
                           "issuer": {"type": "self"}}
    if at_least(version, "2026-06-24"):  # invoice text fields, as on subscriptions
        out.update({"custom_fields": None, "description": None, "footer": None})
    return out


def _automatic_tax() -> dict[str, Any]:
    return {"disabled_reason": None, "enabled": False, "liability": None}


def _default_settings(sched: Any, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "application_fee_percent": None, "automatic_tax": _automatic_tax(),
        "billing_cycle_anchor": "automatic", "collection_method": "charge_automatically",
        "default_payment_method": None, "description": None,
        "invoice_settings": _invoice_settings(version), "on_behalf_of": None,
        "transfer_data": None,
    }
    if _billing_thresholds_present(version):
        out["billing_thresholds"] = None
    return out


def _phase(phase: Any, sched: Any, version: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "add_invoice_items": [], "application_fee_percent": None,
        "automatic_tax": _automatic_tax(), "billing_cycle_anchor": None,
        "collection_method": "charge_automatically", "currency": sched.currency,
        "default_payment_method": None, "default_tax_rates": [], "description": None,
        "discounts": [], "end_date": phase.end_date,
        "invoice_settings": _invoice_settings(version),
        # Captured schedules show the legacy `plan` as the price id, not an embedded plan.
        "items": [{"discounts": [], "metadata": {}, "plan": phase.price, "price": phase.price,
                   "quantity": phase.quantity, "tax_rates": []}],
        "metadata": {}, "on_behalf_of": None, "proration_behavior": phase.proration_behavior,
        "start_date": phase.start_date, "transfer_data": None, "trial_end": None,
    }
    if _billing_thresholds_present(version):
        out["billing_thresholds"] = None
        out["items"][0]["billing_thresholds"] = None
    if era(version) < Era.BASIL:  # removed with the legacy coupon fields in basil
        out["coupon"] = None
    return out


def _billing_mode(sched: Any) -> dict[str, Any]:
    if sched.billing_mode == "flexible":
        return {"flexible": {"proration_discounts": "included"}, "type": "flexible",
                "updated_at": sched.billing_mode_since}
    return {"flexible": None, "type": "classic"}


def render_subscription_schedule(sched: Any, version: str, catalog: Any) -> dict[str, Any]:
    current = sched.current_phase
    out: dict[str, Any] = {
        "id": sched.id, "object": "subscription_schedule", "application": None,
        "billing_mode": _billing_mode(sched), "canceled_at": sched.canceled_at,
        "completed_at": sched.completed_at, "created": sched.created,
        "current_phase": ({"end_date": current.end_date, "start_date": current.start_date}
                          if current is not None else None),
        "customer": sched.customer, "default_settings": _default_settings(sched, version),
        "end_behavior": sched.end_behavior, "livemode": False, "metadata": dict(sched.metadata),
        "phases": [_phase(p, sched, version) for p in sched.phases],
        "released_at": sched.released_at, "released_subscription": sched.released_subscription,
        "status": sched.status, "subscription": sched.subscription, "test_clock": None,
    }
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if era(version) >= Era.ENDIVE:
        out["pause_schedules"] = []
    return out
