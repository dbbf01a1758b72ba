"""Render invoices, their lines and invoice items per API version.

2025-03-31.basil replaced invoice.subscription with parent.subscription_details.subscription,
removed paid / payment_intent / charge, and moved line price and proration under pricing and
parent (https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects).
`confirmation_secret` and `payments` (basil) are includable only, so events never carry them, as
the captured basil invoice shows.
"""

from __future__ import annotations

from typing import Any

from ..versions import Era, at_least, era
from .discounts import invoice_fields, line_discount_amounts
from .subscriptions import payment_method_options, render_plan, render_price


def _line(line: Any, invoice_id: str | None, currency: str, version: str, catalog: Any) -> dict:
    price = catalog.price(line.price)
    out: dict[str, Any] = {
        "id": line.id, "object": "line_item", "amount": line.amount, "currency": currency,
        "description": line.description, "discount_amounts": [], "discountable": True,
        "discounts": [], "invoice": invoice_id, "livemode": False, "metadata": {},
        "period": {"end": line.period_end, "start": line.period_start},
        "pretax_credit_amounts": [], "quantity": line.quantity,
    }
    if era(version) >= Era.DAHLIA:  # decimal quantities (2026-03-25.dahlia)
        out["quantity_decimal"] = str(line.quantity)
    if era(version) >= Era.BASIL:
        details = {"invoice_item": line.invoice_item, "proration": line.proration,
                   "proration_details": {"credited_items": _credited_line(line)},
                   "subscription": line.subscription, "subscription_item": line.subscription_item}
        out["parent"] = {"invoice_item_details": None, "subscription_item_details": details,
                         "type": "subscription_item_details"}
        out["pricing"] = {"price_details": {"price": price.id, "product": price.product},
                          "type": "price_details",
                          "unit_amount_decimal": str(price.unit_amount)}
        out["taxes"] = []
        if at_least(version, "2025-12-15"):
            out["subtotal"] = line.amount
    else:
        out.update({
            "amount_excluding_tax": line.amount, "invoice_item": line.invoice_item,
            "plan": render_plan(price, version), "price": render_price(price, version),
            "proration": line.proration,
            "proration_details": {"credited_items": _credited_line(line)},
            "subscription": line.subscription, "subscription_item": line.subscription_item,
            "tax_amounts": [], "tax_rates": [],
            "type": "invoiceitem" if line.invoice_item else "subscription",
            "unit_amount_excluding_tax": str(price.unit_amount),
        })
    return out


def render_invoice(inv: Any, version: str, catalog: Any) -> dict[str, Any]:
    basil = era(version) >= Era.BASIL
    upcoming = getattr(inv, "upcoming", False)
    shown_id = inv.id if not upcoming or (inv.shows_id and era(version) >= Era.CLOVER) else None
    lines = [_line(x, shown_id, inv.currency, version, catalog) for x in inv.lines]
    finalized = inv.status != "draft"
    out: dict[str, Any] = {
        "id": inv.id, "object": "invoice", "account_country": "US",
        "account_name": "Portal Harness Test Account", "account_tax_ids": None,
        "amount_due": inv.amount_due, "amount_paid": inv.amount_paid,
        "amount_remaining": inv.amount_remaining, "amount_shipping": 0, "application": None,
        "attempt_count": inv.attempt_count, "attempted": inv.attempted,
        "auto_advance": inv.auto_advance if inv.status in ("draft", "open") else False,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                          "provider": None, "status": None},
        "automatically_finalizes_at": inv.created + 3600 if inv.status == "draft" else None,
        "billing_reason": inv.billing_reason, "collection_method": "charge_automatically",
        "created": inv.created, "currency": inv.currency, "custom_fields": None,
        "customer": inv.customer, "customer_address": None, "customer_email": inv.customer_email,
        "customer_name": inv.customer_name, "customer_phone": None, "customer_shipping": None,
        "customer_tax_exempt": "none", "customer_tax_ids": [], "default_payment_method": None,
        "default_source": None, "default_tax_rates": [], "description": None, "discounts": [],
        "due_date": None, "effective_at": inv.finalized_at,
        "ending_balance": (inv.starting_balance + min(inv.total, 0)) if finalized else None,
        "footer": None, "from_invoice": None,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_test/test_{inv.id[3:]}"
        if finalized else None,
        "invoice_pdf": f"https://pay.stripe.com/invoice/acct_test/test_{inv.id[3:]}/pdf"
        if finalized else None,
        "issuer": {"type": "self"}, "last_finalization_error": None, "latest_revision": None,
        "lines": {"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
                  "url": f"/v1/invoices/{inv.id}/lines"},
        "livemode": False, "metadata": {}, "next_payment_attempt": inv.next_payment_attempt,
        "number": inv.number, "on_behalf_of": None,
        "payment_settings": {"default_mandate": None,
                             "payment_method_options": payment_method_options(
                                 version, {"request_three_d_secure": "automatic"}),
                             "payment_method_types": None},
        "period_end": inv.period_end, "period_start": inv.period_start,
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
        "receipt_number": None, "rendering": None, "shipping_cost": None,
        "shipping_details": None, "starting_balance": inv.starting_balance,
        "statement_descriptor": None, "status": inv.status,
        "status_transitions": {"finalized_at": inv.finalized_at,
                               "marked_uncollectible_at": inv.marked_uncollectible_at,
                               "paid_at": inv.paid_at, "voided_at": inv.voided_at},
        "subtotal": inv.subtotal, "subtotal_excluding_tax": inv.subtotal, "test_clock": None,
        "total": inv.total, "total_discount_amounts": [], "total_excluding_tax": inv.total,
        "total_pretax_credit_amounts": [],
        "webhooks_delivered_at": _webhooks_delivered_at(inv),
    }
    if basil:
        out["parent"] = {"quote_details": None,
                         "subscription_details": {"metadata": {}, "subscription": inv.subscription},
                         "type": "subscription_details"} if inv.subscription else None
        out["amount_overpaid"] = 0
        out["total_taxes"] = []
    else:
        out.update({
            "application_fee_amount": None, "charge": inv.charge, "discount": None,
            "paid": inv.status == "paid", "paid_out_of_band": False,
            "payment_intent": inv.payment_intent, "quote": None,
            "subscription": inv.subscription,
            "subscription_details": {"metadata": {}} if inv.subscription else None,
            "subscription_proration_date": None, "tax": None, "total_tax_amounts": [],
            "transfer_data": None,
        })
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if at_least(version, "2026-05-27"):
        out["amount_paid_off_stripe"] = 0
    if era(version) >= Era.ENDIVE:
        out["status_details"] = None
    if inv.discount is not None:
        out.update(invoice_fields(inv, version))
        for body, line in zip(lines, inv.lines, strict=True):
            body["discount_amounts"] = line_discount_amounts(line, inv)
    if upcoming:  # invoice.upcoming: "will not have an invoice ID" (before clover, see sim)
        if shown_id is None:
            del out["id"]
        out["lines"]["url"] = (f"/v1/invoices/upcoming/lines?customer={inv.customer}"
                               f"&subscription={inv.subscription}")
    return out


def render_invoice_item(ii: Any, version: str, catalog: Any) -> dict[str, Any]:
    price = catalog.price(ii.price)
    out: dict[str, Any] = {
        "id": ii.id, "object": "invoiceitem", "amount": ii.amount, "currency": ii.currency,
        "customer": ii.customer, "date": ii.date, "description": ii.description,
        "discountable": False, "discounts": [], "invoice": ii.invoice, "livemode": False,
        "metadata": {}, "period": {"end": ii.period_end, "start": ii.period_start},
        "proration": ii.proration, "quantity": ii.quantity, "tax_rates": [], "test_clock": None,
    }
    if era(version) >= Era.BASIL:
        out["parent"] = {"subscription_details": {"subscription": ii.subscription,
                                                  "subscription_item": ii.subscription_item},
                         "type": "subscription_details"}
        out["pricing"] = {"price_details": {"price": price.id, "product": price.product},
                          "type": "price_details", "unit_amount_decimal": str(price.unit_amount)}
    else:
        out.update({"plan": render_plan(price, version), "price": render_price(price, version),
                    "subscription": ii.subscription, "subscription_item": ii.subscription_item,
                    "unit_amount": price.unit_amount,
                    "unit_amount_decimal": str(price.unit_amount)})
    if era(version) >= Era.CLOVER:
        out["net_amount"] = ii.amount
        out["proration_details"] = {"credited_items": _credited_item(ii),
                                    "discount_amounts": []}
    if at_least(version, "2025-12-15"):
        out["customer_account"] = None
    if at_least(version, "2026-08-26"):
        out["frozen_fields"] = []
    if era(version) >= Era.DAHLIA:  # decimal quantities (2026-03-25.dahlia), as on lines
        out["quantity_decimal"] = str(ii.quantity)
    return out


def _webhooks_delivered_at(inv: Any) -> int | None:
    """When the invoice.created webhooks were delivered: null while the draft waits for them, and
    null for invoices finalized at once (a Checkout or portal invoice: the captured basil
    Checkout invoice shows null); set once an invoice was finalized after Stripe's hour's wait."""
    if inv.finalized_at is not None and inv.finalized_at > inv.created:
        return inv.created
    return None


def _credited_line(line: Any) -> dict[str, Any] | None:
    """A credit proration line names the invoice line it credits (an invoiced debit only)."""
    credited = getattr(line, "credited", None)
    return dict(credited) if credited and "invoice" in credited else None


def _credited_item(ii: Any) -> dict[str, Any] | None:
    """An invoice item's `credited_items`: a pending debit by its id, an invoiced one by its
    invoice and lines."""
    credited = getattr(ii, "credited", None)
    if not credited:
        return None
    if "invoice_item" in credited:
        return {"invoice_item": credited["invoice_item"], "invoice_line_item_details": None,
                "type": "invoice_item"}
    return {"invoice_item": None, "invoice_line_item_details": dict(credited),
            "type": "invoice_line_items"}
