"""A card update in the portal: the customer's default, and (a named choice, FIDELITY.md audit
gap 7) the default of their live subscriptions, whose own default Stripe charges first."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import ScenarioError
from harness.scenario.catalog import default_catalog
from harness.scenario.files import Settings
from harness.sim import World

DAY = 86400


def failed_renewal(card_update: str) -> tuple[World, Any, list[str]]:
    w = World(default_catalog(), "2025-09-30.clover", seed=4, card_update=card_update,
              upcoming_renewal_days=None)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")  # Checkout sets the subscription's default
    w.card_declines(cust.id)
    w.advance_to(sub.current_period_end + 2 * 3600)
    assert sub.status == "past_due"
    w.advance_to(w.now + DAY)
    mark = len(w.events)
    w.update_payment_method(cust.id, card="visa")
    w.advance_to(w.now + 3 * DAY)
    return w, sub, [e.type for e in w.events[mark:]]


def test_by_default_the_new_card_becomes_the_subscriptions_default_and_the_retry_recovers():
    w, sub, types = failed_renewal("subscriptions")
    assert types[:5] == ["setup_intent.created", "setup_intent.succeeded",
                         "payment_method.attached", "customer.updated",
                         "customer.subscription.updated"]
    assert sub.default_payment_method == w.customers[sub.customer].default_payment_method
    assert sub.status == "active" and "invoice.paid" in types


def test_customer_only_leaves_the_subscriptions_card_which_the_retry_still_charges():
    w, sub, types = failed_renewal("customer")
    assert "customer.subscription.updated" not in types[:5]
    assert sub.default_payment_method != w.customers[sub.customer].default_payment_method
    # Stripe charges the subscription's own default first: the old, declining card
    assert sub.status == "past_due" and "invoice.payment_failed" in types
    assert "invoice.paid" not in types


def test_the_scenario_setting_names_the_choice():
    assert Settings().portal_card_update == "customer_and_subscriptions"
    assert Settings(portal_card_update="customer_only").portal_card_update == "customer_only"
    with pytest.raises(ScenarioError, match="card_update must be"):
        World(default_catalog(), "2025-09-30.clover", card_update="everything")
