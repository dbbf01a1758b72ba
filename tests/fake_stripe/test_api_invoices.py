"""Invoices and invoice items through stripe-python: actions run the World's billing verbs."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .accounts import Account


def _open_invoice(local: Account, v1: Any) -> Any:
    """A subscription created without a card leaves its first invoice open."""
    other = v1.customers.create(params={"email": "o@example.test"})
    sub = v1.subscriptions.create(params={"customer": other.id,
                                          "items": [{"price": "price_basic_monthly"}]})
    return other, v1.invoices.retrieve(sub.latest_invoice)


def test_lines_list_and_search(local: Account, v1: Any) -> None:
    invoice_id = local.subscription.latest_invoice
    lines = v1.invoices.line_items.list(invoice_id)
    assert [line.amount for line in lines.data] == [2900]
    assert [i.id for i in v1.invoices.list(params={"customer": local.customer.id}).data] == [
        invoice_id]
    found = v1.invoices.search(params={"query": f"customer:'{local.customer.id}' AND "
                                                "status:'paid'"})
    assert [i.id for i in found.data] == [invoice_id]


def test_pay_with_a_card_emits_paid_and_activates(local: Account, v1: Any) -> None:
    other, invoice = _open_invoice(local, v1)
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": other.id})
    paid = v1.invoices.pay(invoice.id, params={"payment_method": pm.id})
    assert paid.status == "paid" and paid.amount_paid == 900
    types = [e.type for e in local.world.events[-4:]]
    assert "invoice.paid" in types and "customer.subscription.updated" in types
    with pytest.raises(stripe.InvalidRequestError, match="already paid"):
        v1.invoices.pay(invoice.id)


def test_pay_with_a_declining_card_is_a_card_error(local: Account, v1: Any) -> None:
    other, invoice = _open_invoice(local, v1)
    pm = v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": other.id})
    with pytest.raises(stripe.CardError) as info:
        v1.invoices.pay(invoice.id, params={"payment_method": pm.id})
    assert info.value.code == "card_declined"
    assert local.world.events[-1].type in ("invoice.payment_failed", "customer.updated")


def test_void_and_mark_uncollectible(local: Account, v1: Any) -> None:
    _, invoice = _open_invoice(local, v1)
    assert v1.invoices.mark_uncollectible(invoice.id).status == "uncollectible"
    assert v1.invoices.void_invoice(invoice.id).status == "void"
    assert local.world.events[-1].type == "invoice.voided"
    with pytest.raises(stripe.InvalidRequestError, match="status of open"):
        v1.invoices.void_invoice(invoice.id)


def test_finalize_a_draft(local: Account, v1: Any) -> None:
    local.world.advance_to(local.subscription.current_period_end + 60)  # a renewal draft
    draft = next(i for i in local.world.invoices.values() if i.status == "draft")
    got = v1.invoices.finalize_invoice(draft.id)
    assert got.status == "paid" and got.number
    with pytest.raises(stripe.InvalidRequestError, match="status of draft"):
        v1.invoices.finalize_invoice(draft.id)


def test_create_preview_shows_the_next_invoice(local: Account, v1: Any) -> None:
    preview = v1.invoices.create_preview(params={"subscription": local.subscription.id})
    assert preview.amount_due == 2900 and "id" not in preview
    assert preview.period_end == local.subscription.current_period_end
    switched = v1.invoices.create_preview(params={
        "subscription": local.subscription.id,
        "subscription_details": {"items": [{"id": local.subscription.items[0].id,
                                            "price": "price_enterprise_monthly"}]}})
    # the next period on the new price, and the prorations of switching at the period's start
    assert switched.amount_due == 9900 + (9900 - 2900)
    assert local.fake.requests[-1].gap is None


def test_invoice_items(local: Account, v1: Any) -> None:
    item = v1.invoice_items.create(params={"customer": local.customer.id,
                                           "pricing": {"price": "price_basic_monthly"}})
    assert item.amount == 900 and local.world.events[-1].type == "invoiceitem.created"
    assert v1.invoice_items.retrieve(item.id).id == item.id
    assert [i.id for i in v1.invoice_items.list(params={"pending": True}).data] == [item.id]
    preview = v1.invoices.create_preview(params={"customer": local.customer.id,
                                                 "subscription": local.subscription.id})
    assert preview.amount_due == 2900 + 900


def test_upcoming_is_served_before_basil_only() -> None:
    from harness.fake_stripe import FakeStripe

    from .accounts import make_account

    world, customer, sub = make_account("2024-06-20")
    fake = FakeStripe(world)
    headers = {"Authorization": f"Bearer {fake.api_key}", "Stripe-Version": "2024-06-20"}
    query = f"customer={customer.id}&subscription={sub.id}"
    status, _, body = fake.dispatch("GET", "/v1/invoices/upcoming", query, headers, b"")
    assert status == 200 and b'"amount_due": 2900' in body
    status, _, body = fake.dispatch("GET", "/v1/invoices/upcoming/lines", query, headers, b"")
    assert status == 200 and b'"url": "/v1/invoices/upcoming/lines"' in body
    basil = {**headers, "Stripe-Version": "2025-03-31.basil"}
    status, _, _ = fake.dispatch("GET", "/v1/invoices/upcoming", query, basil, b"")
    assert status == 404 and "removed in 2025-03-31.basil" in (fake.gaps[-1].gap or "")
