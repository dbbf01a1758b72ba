"""Coupons, promotion codes and discounts through stripe-python: served from the World, with
Stripe's events and per-version shapes."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.fake_stripe import FakeStripe

from .accounts import Account, make_account


def _types(local: Account, since: int) -> list[str]:
    return [e.type for e in local.world.events[since:]]


def test_a_coupon_is_created_read_updated_listed_and_deleted(local: Account, v1: Any) -> None:
    since = len(local.world.events)
    coupon = v1.coupons.create(params={"id": "SPRING", "amount_off": 500, "currency": "usd",
                                       "duration": "repeating", "duration_in_months": 3,
                                       "metadata": {"campaign": "spring"}})
    assert (coupon.amount_off, coupon.currency, coupon.duration_in_months) == (500, "usd", 3)
    assert coupon.valid is True and coupon.times_redeemed == 0
    assert coupon.metadata["campaign"] == "spring"
    assert v1.coupons.retrieve("SPRING").id == "SPRING"
    assert v1.coupons.update("SPRING", params={"name": "Spring sale"}).name == "Spring sale"
    assert [c.id for c in v1.coupons.list().data] == ["SPRING"]
    gone = v1.coupons.delete("SPRING")
    assert gone.deleted is True
    assert _types(local, since) == ["coupon.created", "coupon.updated", "coupon.deleted"]
    with pytest.raises(stripe.InvalidRequestError, match="No such coupon: 'SPRING'"):
        v1.coupons.retrieve("SPRING")


@pytest.mark.parametrize(("params", "message"), [
    ({"duration": "once"}, "either percent_off or amount_off"),
    ({"percent_off": 10, "amount_off": 100, "currency": "usd"}, "either percent_off"),
    ({"amount_off": 100}, "must specify currency"),
    ({"percent_off": 10, "duration": "repeating"}, "Missing required param: duration_in_months"),
    ({"percent_off": 120}, "percent_off"),
    ({"percent_off": 10, "duration": "sometimes"}, "must be one of forever, once, or repeating"),
])
def test_a_bad_coupon_gets_stripes_400(v1: Any, params: dict, message: str) -> None:
    with pytest.raises(stripe.InvalidRequestError, match=message):
        v1.coupons.create(params=params)


def test_a_promotion_code_points_at_its_coupon_per_version(local: Account, v1: Any) -> None:
    v1.coupons.create(params={"id": "HALF", "percent_off": 50, "duration": "once"})
    promo = v1.promotion_codes.create(params={
        "promotion": {"type": "coupon", "coupon": "HALF"}, "code": "HALFOFF",
        "max_redemptions": 2})
    assert promo.id.startswith("promo_") and promo.code == "HALFOFF"
    # basil embeds the coupon; clover moved it to promotion.coupon, an id
    assert promo.coupon.id == "HALF" and "promotion" not in promo
    clover = local.fake.stripe_client(stripe_version="2025-09-30.clover").v1
    again = clover.promotion_codes.retrieve(promo.id)
    assert again.promotion.coupon == "HALF" and "coupon" not in again
    assert v1.promotion_codes.update(promo.id, params={"active": False}).active is False
    assert v1.promotion_codes.list(params={"active": True}).data == []
    assert [p.id for p in v1.promotion_codes.list(params={"code": "halfoff"}).data] == [
        promo.id]
    with pytest.raises(stripe.InvalidRequestError, match="No such coupon: 'NOPE'"):
        v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": "NOPE"}})


def test_a_promotion_code_on_a_subscription_discounts_its_renewals(local: Account,
                                                                    v1: Any) -> None:
    v1.coupons.create(params={"id": "Q", "percent_off": 25, "duration": "forever"})
    promo = v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": "Q"},
                                              "code": "QUARTER"})
    sub = local.subscription
    since = len(local.world.events)
    got = v1.subscriptions.update(sub.id, params={"discounts": [{"promotion_code": promo.id}]})
    assert _types(local, since) == ["customer.discount.created",
                                    "customer.subscription.updated"]
    assert len(got.discounts) == 1 and isinstance(got.discounts[0], str)  # ids unless expanded
    expanded = v1.subscriptions.retrieve(sub.id, params={"expand": ["discounts"]})
    assert expanded.discounts[0].coupon.id == "Q"
    assert expanded.discounts[0].promotion_code == promo.id
    assert v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    local.world.advance_to(sub.current_period_end + 3700)
    renewal = v1.invoices.retrieve(sub.latest_invoice)
    assert (renewal.subtotal, renewal.total, renewal.amount_paid) == (2900, 2175, 2175)
    assert renewal.total_discount_amounts[0].amount == 725
    assert renewal.lines.data[0].discount_amounts[0].discount == got.discounts[0]
    since = len(local.world.events)
    removed = v1.subscriptions.delete_discount(sub.id)
    assert removed.deleted is True and removed.id == got.discounts[0]
    assert _types(local, since) == ["customer.discount.deleted",
                                    "customer.subscription.updated"]
    with pytest.raises(stripe.InvalidRequestError, match="No such discount"):
        v1.subscriptions.delete_discount(sub.id)


def test_a_subscription_created_with_a_coupon_bills_its_first_invoice_discounted(
        local: Account, v1: Any) -> None:
    v1.coupons.create(params={"id": "TEN", "amount_off": 1000, "currency": "usd",
                              "duration": "once"})
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": local.customer.id})
    since = len(local.world.events)
    sub = v1.subscriptions.create(params={
        "customer": local.customer.id, "items": [{"price": "price_pro_monthly"}],
        "default_payment_method": pm.id, "discounts": [{"coupon": "TEN"}]})
    assert _types(local, since)[:2] == ["customer.subscription.created",
                                        "customer.discount.created"]
    first = v1.invoices.retrieve(sub.latest_invoice)
    assert (first.total, first.amount_paid) == (1900, 1900)


def test_replacing_and_removing_through_discounts(local: Account, v1: Any) -> None:
    for cid in ("A", "B"):
        v1.coupons.create(params={"id": cid, "percent_off": 10, "duration": "forever"})
    sub = local.subscription
    first = v1.subscriptions.update(sub.id, params={"discounts": [{"coupon": "A"}]})
    since = len(local.world.events)
    second = v1.subscriptions.update(sub.id, params={"discounts": [{"coupon": "B"}]})
    assert second.discounts == first.discounts  # the same discount, switched to coupon B
    assert _types(local, since) == ["customer.discount.updated",
                                    "customer.subscription.updated"]
    assert local.world.events[since].previous.coupon.id == "A"
    since = len(local.world.events)
    cleared = v1.subscriptions.update(sub.id, params={"discounts": ""})
    assert cleared.discounts == []
    assert _types(local, since) == ["customer.discount.deleted",
                                    "customer.subscription.updated"]


def test_a_customer_discount_is_removed_with_its_events() -> None:
    world, customer, _ = make_account()
    from harness.scenario.discounts import CouponSpec

    world.discount_customer(customer, world.add_coupon(
        CouponSpec(id="DASH", percent_off=10, duration="forever")))
    v1 = FakeStripe(world).stripe_client(stripe_version=world.api_version).v1
    assert v1.customers.retrieve(customer.id).discount.coupon.id == "DASH"
    since = len(world.events)
    assert v1.customers.delete_discount(customer.id).deleted is True
    assert [e.type for e in world.events[since:]] == ["customer.discount.deleted",
                                                      "customer.updated"]
    assert v1.customers.retrieve(customer.id).discount is None


def test_a_checkout_session_with_a_promotion_code_bills_the_first_invoice_discounted(
        local: Account, v1: Any) -> None:
    from harness.sim.app_checkout import complete_session

    v1.coupons.create(params={"id": "LAUNCH", "percent_off": 50, "duration": "once"})
    promo = v1.promotion_codes.create(params={
        "promotion": {"type": "coupon", "coupon": "LAUNCH"}, "code": "LAUNCH50"})
    before = len(local.world.checkout_sessions)
    with pytest.raises(stripe.InvalidRequestError, match="allow_promotion_codes, discounts"):
        v1.checkout.sessions.create(params={
            "mode": "subscription", "success_url": "https://a.test/ok",
            "line_items": [{"price": "price_pro_monthly", "quantity": 1}],
            "discounts": [{"promotion_code": promo.id}], "allow_promotion_codes": True})
    assert len(local.world.checkout_sessions) == before  # refused before anything was made
    made = v1.checkout.sessions.create(params={
        "mode": "subscription", "success_url": "https://a.test/ok",
        "customer_email": "new@example.test",
        "line_items": [{"price": "price_pro_monthly", "quantity": 1}],
        "discounts": [{"promotion_code": promo.id}]})
    assert made.discounts[0].promotion_code == promo.id
    since = len(local.world.events)
    sub = complete_session(local.world, local.world.checkout_sessions[made.id],
                           "4242424242424242")
    assert sub is not None and sub.discount.checkout_session == made.id
    paid = v1.checkout.sessions.retrieve(made.id)
    assert (paid.amount_subtotal, paid.amount_total, paid.total_details.amount_discount) == (
        2900, 1450, 1450)
    types = [e.type for e in local.world.events[since:]]
    assert "customer.discount.created" in types
    assert types.index("customer.discount.created") < types.index("invoice.paid")
    assert v1.invoices.retrieve(paid.invoice).amount_paid == 1450


def test_a_portal_deep_link_offers_a_coupon_the_account_has(local: Account, v1: Any) -> None:
    flow = {"type": "subscription_cancel",
            "subscription_cancel": {"subscription": local.subscription.id,
                                    "retention": {"type": "coupon_offer",
                                                  "coupon_offer": {"coupon": "STAY"}}}}
    with pytest.raises(stripe.InvalidRequestError, match="No such coupon: 'STAY'"):
        v1.billing_portal.sessions.create(params={"customer": local.customer.id,
                                                  "flow_data": flow})
    v1.coupons.create(params={"id": "STAY", "percent_off": 30, "duration": "once"})
    session = v1.billing_portal.sessions.create(params={"customer": local.customer.id,
                                                        "flow_data": flow})
    retention = session.flow.subscription_cancel.retention
    assert (retention.type, retention.coupon_offer.coupon) == ("coupon_offer", "STAY")
