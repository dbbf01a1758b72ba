"""Render PaymentIntents, Charges and InvoicePayments per API version.

2025-03-31.basil removed `invoice` from PaymentIntent and Charge (an invoice's payments are listed
by `invoice.payments`, InvoicePayment objects); `customer_account` shows from 2025-12-15.clover as
on the other objects. Key sets follow the pinned stripe package's classes (test_sdk_shapes) and
the real test-mode payloads quoted in FIDELITY.md.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, at_least, era


def render_payment_intent(pi: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": pi.id, "object": "payment_intent", "amount": pi.amount,
        "amount_capturable": 0, "amount_details": {"tip": {}},
        "amount_received": pi.amount_received, "application": None,
        "application_fee_amount": None, "automatic_payment_methods": None,
        "canceled_at": None, "cancellation_reason": None, "capture_method": "automatic",
        "client_secret": pi.client_secret, "confirmation_method": "automatic",
        "created": pi.created, "currency": pi.currency, "customer": pi.customer,
        "description": pi.description, "last_payment_error": pi.last_payment_error,
        "latest_charge": pi.latest_charge, "livemode": False, "metadata": {},
        "next_action": pi.next_action, "on_behalf_of": None,
        "payment_method": pi.payment_method, "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None,
                                            "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"], "processing": None, "receipt_email": None,
        "review": None, "setup_future_usage": None, "shipping": None, "source": None,
        "statement_descriptor": None, "statement_descriptor_suffix": None,
        "status": pi.status, "transfer_data": None, "transfer_group": None,
    }
    if era(version) < Era.BASIL:
        out["invoice"] = pi.invoice
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    return out


def render_charge(ch: Any, version: str, catalog: Any) -> dict[str, Any]:
    ok = ch.status == "succeeded"
    billing_details: dict[str, Any] = {
        "address": {"city": None, "country": "US", "line1": None, "line2": None,
                    "postal_code": "94103", "state": None},
        "email": None, "name": None, "phone": None}
    if at_least(version, "2026-07-29"):  # as on the payment method (render/customers.py)
        billing_details["tax_id"] = None
    out: dict[str, Any] = {
        "id": ch.id, "object": "charge", "amount": ch.amount,
        "amount_captured": ch.amount if ok else 0, "amount_refunded": ch.amount_refunded,
        "application": None, "application_fee": None, "application_fee_amount": None,
        "balance_transaction": ch.balance_transaction, "billing_details": billing_details,
        "calculated_statement_descriptor": "PORTAL HARNESS", "captured": ok,
        "created": ch.created, "currency": ch.currency, "customer": ch.customer,
        "description": ch.description, "disputed": False, "failure_balance_transaction": None,
        "failure_code": ch.failure_code, "failure_message": ch.failure_message,
        "fraud_details": {}, "livemode": False, "metadata": {}, "on_behalf_of": None,
        "outcome": {**ch.outcome, "advice_code": None, "network_advice_code": None,
                    "network_decline_code": None if ok else "05"},
        "paid": ok, "payment_intent": ch.payment_intent, "payment_method": ch.payment_method,
        "payment_method_details": {"card": _card_details(ch), "type": "card"},
        "radar_options": {}, "receipt_email": None, "receipt_number": None,
        "receipt_url": ch.receipt_url,
        "refunded": ok and ch.amount_refunded == ch.amount, "review": None, "shipping": None,
        "source": None, "source_transfer": None, "statement_descriptor": None,
        "statement_descriptor_suffix": None, "status": ch.status, "transfer_data": None,
        "transfer_group": None,
    }
    if era(version) < Era.BASIL:
        out["invoice"] = ch.invoice
    return out


def _card_details(ch: Any) -> dict[str, Any]:
    return {
        "amount_authorized": ch.amount if ch.status == "succeeded" else None,
        "authorization_code": None, "brand": ch.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": "pass",
                   "cvc_check": None},
        "country": "US", "exp_month": 12, "exp_year": 2030,
        "extended_authorization": {"status": "disabled"}, "fingerprint": ch.payment_method[-16:],
        "funding": "credit", "incremental_authorization": {"status": "unavailable"},
        "installments": None, "last4": ch.last4, "mandate": None,
        "multicapture": {"status": "unavailable"}, "network": ch.brand,
        "network_token": {"used": False}, "network_transaction_id": "104557651805572",
        "overcapture": {"maximum_amount_capturable": ch.amount, "status": "unavailable"},
        "regulated_status": "unregulated", "three_d_secure": None, "wallet": None,
    }


def render_invoice_payment(ip: Any, version: str, catalog: Any) -> dict[str, Any]:
    return {
        "id": ip.id, "object": "invoice_payment", "amount_paid": ip.amount_paid,
        "amount_requested": ip.amount_requested, "created": ip.created,
        "currency": ip.currency, "invoice": ip.invoice, "is_default": True, "livemode": False,
        "payment": {"payment_intent": ip.payment_intent, "type": "payment_intent"},
        "status": ip.status,
        "status_transitions": {"canceled_at": None, "paid_at": ip.paid_at},
    }


def render_refund(re: Any, version: str, catalog: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": re.id, "object": "refund", "amount": re.amount,
        "balance_transaction": re.balance_transaction, "charge": re.charge,
        "created": re.created, "currency": re.currency,
        "destination_details": {"card": {"reference": None, "reference_status": "pending",
                                         "reference_type": "acquirer_reference_number",
                                         "type": "refund"}, "type": "card"},
        "metadata": dict(re.metadata), "payment_intent": re.payment_intent,
        "reason": re.reason, "receipt_number": None, "source_transfer_reversal": None,
        "status": re.status, "transfer_reversal": None,
    }
    if at_least(version, "2026-07-29"):  # dahlia adds the customer and payment method
        out.update({"customer": re.customer, "customer_account": None,
                    "payment_method": re.payment_method})
    return out
