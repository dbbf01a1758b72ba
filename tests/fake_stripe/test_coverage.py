"""COVERAGE.md is current, and every endpoint it lists answers a stripe-python call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe

from harness.fake_stripe import FakeStripe, coverage
from harness.fake_stripe.routes import ROUTES
from harness.scenario.discounts import CouponSpec

from .accounts import make_account

ROOT = Path(__file__).resolve().parents[2]


def test_coverage_md_is_current() -> None:
    text = (ROOT / "COVERAGE.md").read_text(encoding="utf-8")
    assert text == coverage.render(), (
        "COVERAGE.md is stale: python -m harness.fake_stripe.coverage > COVERAGE.md")


def test_unserved_lists_sdk_endpoints_the_fake_does_not_serve(capsys: Any) -> None:
    assert coverage.main(["--unserved"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "POST /v1/charges/{charge}/capture" in listed
    assert "GET /v1/customers/{customer}" not in listed


def _tour(v1: Any, customer: str, subscription: Any) -> None:
    """One stripe-python call per served endpoint (successful answers only)."""
    made = v1.customers.create(params={"email": "t@example.test"})
    v1.customers.retrieve(made.id)
    v1.customers.update(made.id, params={"name": "T"})
    v1.customers.list()
    v1.customers.search(params={"query": "email:'t@example.test'"})
    v1.customers.payment_sources.list(made.id)
    pm = v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    v1.payment_methods.attach(pm.id, params={"customer": made.id})
    v1.customers.payment_methods.list(made.id)
    v1.customers.payment_methods.retrieve(made.id, pm.id)
    v1.payment_methods.retrieve(pm.id)
    v1.payment_methods.list(params={"customer": made.id})
    v1.payment_methods.detach(pm.id)
    product = v1.products.create(params={"name": "P"})
    v1.products.retrieve(product.id)
    v1.products.update(product.id, params={"description": "d"})
    v1.products.list()
    v1.products.search(params={"query": "name:'P'"})
    feature = v1.entitlements.features.create(params={"name": "F", "lookup_key": "f"})
    v1.entitlements.features.retrieve(feature.id)
    v1.entitlements.features.list()
    pf = v1.products.features.create(product.id, params={"entitlement_feature": feature.id})
    v1.products.features.list(product.id)
    v1.products.features.retrieve(product.id, pf.id)
    v1.products.features.delete(product.id, pf.id)
    price = v1.prices.create(params={"product": product.id, "unit_amount": 100,
                                     "currency": "usd", "recurring": {"interval": "month"}})
    v1.prices.retrieve(price.id)
    v1.prices.update(price.id, params={"nickname": "n"})
    v1.prices.list()
    v1.prices.search(params={"query": "active:'true'"})
    bare = v1.products.create(params={"name": "Bare"})
    v1.products.delete(bare.id)
    session = v1.checkout.sessions.create(params={
        "mode": "subscription", "success_url": "https://a.test/ok",
        "line_items": [{"price": price.id, "quantity": 1}]})
    v1.checkout.sessions.retrieve(session.id)
    v1.checkout.sessions.list()
    v1.checkout.sessions.line_items.list(session.id)
    v1.checkout.sessions.expire(session.id)
    config = v1.billing_portal.configurations.create(params={
        "features": {"invoice_history": {"enabled": True}}})
    v1.billing_portal.configurations.retrieve(config.id)
    v1.billing_portal.configurations.update(config.id, params={"active": True})
    v1.billing_portal.configurations.list()
    v1.billing_portal.sessions.create(params={"customer": customer})
    sub = v1.subscriptions.create(params={"customer": made.id, "items": [{"price": price.id}]})
    v1.subscriptions.retrieve(sub.id)
    v1.subscriptions.update(sub.id, params={"metadata": {"k": "v"}})
    v1.subscriptions.list()
    v1.subscriptions.search(params={"query": "status:'active'"})
    item = v1.subscription_items.list(params={"subscription": sub.id}).data[0]
    v1.subscription_items.retrieve(item.id)
    v1.subscription_items.update(item.id, params={"quantity": 2})
    v1.invoices.retrieve(sub.latest_invoice)
    v1.invoices.line_items.list(sub.latest_invoice)
    v1.invoices.list()
    v1.invoices.search(params={"query": "status:'open'"})
    v1.invoices.create_preview(params={"subscription": subscription.id})
    v1.invoices.mark_uncollectible(sub.latest_invoice)
    v1.invoices.void_invoice(sub.latest_invoice)
    coupon = v1.coupons.create(params={"percent_off": 20, "duration": "forever"})
    v1.coupons.retrieve(coupon.id)
    v1.coupons.update(coupon.id, params={"name": "Twenty"})
    v1.coupons.list()
    promo = v1.promotion_codes.create(params={"promotion": {"type": "coupon",
                                                            "coupon": coupon.id},
                                              "code": "TWENTY"})
    v1.promotion_codes.retrieve(promo.id)
    v1.promotion_codes.update(promo.id, params={"metadata": {"k": "v"}})
    v1.promotion_codes.list(params={"code": "TWENTY"})
    v1.subscriptions.update(sub.id, params={"discounts": [{"promotion_code": promo.id}]})
    v1.subscriptions.delete_discount(sub.id)
    v1.coupons.delete(coupon.id)
    v1.subscriptions.cancel(sub.id)
    draft = v1.invoice_items.create(params={"customer": made.id, "amount": 100,
                                            "currency": "usd"})
    v1.invoice_items.retrieve(draft.id)
    v1.invoice_items.list()
    v1.subscriptions.create(params={"customer": made.id, "items": [{"price": price.id}]})
    open_invoice = v1.invoices.list(params={"customer": made.id, "status": "open"}).data[0]
    v1.invoices.pay(open_invoice.id, params={"paid_out_of_band": True})
    v1.customers.delete(made.id)
    intent = v1.setup_intents.create(params={"customer": customer})
    v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    v1.setup_intents.retrieve(intent.id)
    v1.setup_intents.list()
    for service in (v1.payment_intents, v1.charges, v1.refunds, v1.balance_transactions,
                    v1.invoice_payments, v1.subscription_schedules):
        service.list()
    sched = v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    v1.subscription_schedules.retrieve(sched.id)
    v1.subscription_schedules.update(sched.id, params={"metadata": {"k": "v"}})
    v1.subscription_schedules.release(sched.id)
    other = v1.subscription_schedules.create(params={
        "customer": customer, "phases": [{"items": [{"price": "price_basic_monthly"}]}]})
    v1.subscription_schedules.cancel(other.id)
    v1.payment_intents.search(params={"query": "status:'succeeded'"})
    v1.charges.search(params={"query": "status:'succeeded'"})
    charge = v1.charges.list(params={"customer": customer}).data[0]
    v1.charges.retrieve(charge.id)
    v1.payment_intents.retrieve(charge.payment_intent)
    v1.balance_transactions.retrieve(charge.balance_transaction)
    v1.invoice_payments.retrieve(v1.invoice_payments.list().data[0].id)
    refund = v1.refunds.create(params={"charge": charge.id, "amount": 100})
    v1.refunds.retrieve(refund.id)
    v1.refunds.update(refund.id, params={"metadata": {"k": "v"}})
    with pytest.raises(stripe.InvalidRequestError):  # a card refund never waits: Stripe's 400
        v1.refunds.cancel(refund.id)
    events = v1.events.list()
    v1.events.retrieve(events.data[0].id)
    endpoint = v1.webhook_endpoints.create(params={"url": "https://a.test/h",
                                                   "enabled_events": ["*"]})
    v1.webhook_endpoints.retrieve(endpoint.id)
    v1.webhook_endpoints.update(endpoint.id, params={"description": "d"})
    v1.webhook_endpoints.list()
    v1.webhook_endpoints.delete(endpoint.id)
    v1.accounts.retrieve_current()


def test_every_endpoint_in_coverage_answers_a_stripe_python_call() -> None:
    world, customer, subscription = make_account()
    fake = FakeStripe(world)
    _tour(fake.stripe_client(stripe_version=world.api_version).v1, customer.id, subscription)
    fake.check()
    # Finalize needs a draft: one renewal later there is one.
    world.advance_to(subscription.current_period_end + 60)
    draft = next(i for i in world.invoices.values() if i.status == "draft")
    fake.stripe_client().v1.invoices.finalize_invoice(draft.id)
    requests = list(fake.requests)
    # Resume needs a subscription paused by status: endive, flexible billing mode.
    world, _, subscription = make_account("2026-09-30.endive")
    world.pause(subscription, mechanism="status")
    endive = FakeStripe(world)
    endive.stripe_client().v1.subscriptions.resume(subscription.id)
    requests += endive.requests
    # A customer-level discount comes from the Dashboard (no API parameter sets one).
    world, customer, _ = make_account()
    world.discount_customer(customer, world.add_coupon(
        CouponSpec(id="DASH10", percent_off=10, duration="forever")))
    dashboard = FakeStripe(world)
    dashboard.stripe_client().v1.customers.delete_discount(customer.id)
    requests += dashboard.requests
    hit = set()
    for request in requests:
        route = next(r for r in ROUTES if r.match(request.method, request.path))
        if route.describe() not in REFUSED:
            assert request.status < 300, (request.method, request.path, request.response)
        hit.add(route.describe())
    served = {r.describe() for r in ROUTES if r.template is not None}
    unexercised = served - hit
    # Every endpoint in the route table answers a call above.
    assert unexercised == set(), sorted(unexercised)


# Endpoints whose only answer in this World is Stripe's own refusal: a card refund succeeds at
# once, and only a refund waiting for the customer can be canceled.
REFUSED = {"POST /v1/refunds/{refund}/cancel"}
