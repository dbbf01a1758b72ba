"""Subscriptions and their items through stripe-python: the portal's verbs behind the API."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .accounts import Account


def _types(local: Account, since: int) -> list[str]:
    return [e.type for e in local.world.events[since:]]


def test_create_with_a_card_charges_now(local: Account, v1: Any) -> None:
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": local.customer.id})
    since = len(local.world.events)
    sub = v1.subscriptions.create(params={
        "customer": local.customer.id, "items": [{"price": "price_basic_monthly"}],
        "default_payment_method": pm.id, "metadata": {"seat": "1"}})
    assert sub.status == "active" and sub.metadata["seat"] == "1"
    assert _types(local, since)[:3] == ["customer.subscription.created", "invoice.created",
                                        "invoice.finalized"]
    assert "invoice.paid" in _types(local, since)
    assert v1.invoices.retrieve(sub.latest_invoice).status == "paid"


def test_create_without_a_card_is_incomplete_or_refused(local: Account, v1: Any) -> None:
    other = v1.customers.create(params={"email": "o@example.test"})
    sub = v1.subscriptions.create(params={"customer": other.id,
                                          "items": [{"price": "price_basic_monthly"}],
                                          "payment_behavior": "default_incomplete"})
    assert sub.status == "incomplete"
    assert v1.invoices.retrieve(sub.latest_invoice).status == "open"
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": other.id})
    pending = v1.subscriptions.create(params={"customer": other.id,
                                              "items": [{"price": "price_basic_monthly"}],
                                              "default_payment_method": pm.id,
                                              "payment_behavior": "default_incomplete"})
    assert pending.status == "incomplete"  # the app confirms the first payment itself
    with pytest.raises(stripe.InvalidRequestError, match="no attached payment source"):
        v1.subscriptions.create(params={"customer": local.customer.id,
                                        "items": [{"price": "price_basic_monthly"}],
                                        "payment_behavior": "error_if_incomplete"})


def test_update_switches_plan_and_schedules_cancellation(local: Account, v1: Any) -> None:
    sub = local.subscription
    item = sub.items[0].id
    got = v1.subscriptions.update(sub.id, params={
        "items": [{"id": item, "price": "price_enterprise_monthly"}],
        "proration_behavior": "none"})
    assert got["items"].data[0].price.id == "price_enterprise_monthly"
    got = v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert got.cancel_at_period_end is True and local.world.events[-1].type == (
        "customer.subscription.updated")
    got = v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert got.cancel_at_period_end is False and got.cancel_at is None


def test_pause_collection_and_metadata(local: Account, v1: Any) -> None:
    sub = local.subscription
    got = v1.subscriptions.update(sub.id, params={"pause_collection": {"behavior": "void"}})
    assert got.pause_collection.behavior == "void"
    got = v1.subscriptions.update(sub.id, params={"pause_collection": "",
                                                  "metadata": {"k": "v"}})
    assert got.pause_collection is None and got.metadata["k"] == "v"


def test_cancel_and_list_and_search(local: Account, v1: Any) -> None:
    sub = local.subscription
    assert [s.id for s in v1.subscriptions.search(params={"query": "status:'active'"}).data] \
        == [sub.id]
    canceled = v1.subscriptions.cancel(sub.id, params={
        "cancellation_details": {"feedback": "too_expensive"}})
    assert canceled.status == "canceled"
    assert canceled.cancellation_details.feedback == "too_expensive"
    assert "customer.subscription.deleted" in [e.type for e in local.world.events[-2:]]
    assert v1.subscriptions.list().data == []
    assert [s.id for s in v1.subscriptions.list(params={"status": "canceled"}).data] == [sub.id]
    assert v1.subscriptions.retrieve(sub.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        v1.subscriptions.cancel(sub.id)


def test_resume_needs_a_paused_subscription(local: Account, v1: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.subscriptions.resume(local.subscription.id)
    assert info.value.code == "subscription_not_paused"


def test_subscription_items(local: Account, v1: Any) -> None:
    sub = local.subscription
    items = v1.subscription_items.list(params={"subscription": sub.id}).data
    assert [i.id for i in items] == [sub.items[0].id]
    got = v1.subscription_items.update(items[0].id, params={"quantity": 3})
    assert got.quantity == 3 and sub.items[0].quantity == 3
    assert v1.subscription_items.retrieve(items[0].id).quantity == 3
    assert local.world.events[-1].type == "customer.subscription.updated"


def test_resume_a_subscription_paused_by_status() -> None:
    from harness.fake_stripe import FakeStripe

    from .accounts import make_account

    world, _, sub = make_account("2026-09-30.endive")
    world.pause(sub, mechanism="status")
    resumed = FakeStripe(world).stripe_client().v1.subscriptions.resume(sub.id)
    assert resumed.status == "active"
    assert [e.type for e in world.events[-2:]] == ["customer.subscription.updated",
                                                   "customer.subscription.resumed"]
