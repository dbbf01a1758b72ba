"""Payment objects, cards that need authentication, seats and the retry schedule setting.

Each test pins a row of FIDELITY.md ("Invoice payment", "Authentication", "Seats", "Retry
schedule"): the event order around an invoice payment and what the objects say.
"""

from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.render import render_event
from harness.scenario.catalog import default_catalog
from harness.sim import World
from harness.sim.billing import RETRY_SCHEDULES

DAY = 86400
ENDIVE = "2026-10-28.endive"


def played(version: str = ENDIVE, card: str = "visa", quantity: int = 1, **kw):
    kw.setdefault("upcoming_renewal_days", None)  # invoice.upcoming: test_sim_upcoming.py
    w = World(default_catalog(), version, seed=3, **kw)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly", card=card, quantity=quantity)
    return w, cust, sub


def since(w: World, mark: int, version: str = ENDIVE) -> list[dict]:
    return [render_event(e, version, w.catalog) for e in w.events[mark:]]


def test_invoice_payment_paid_is_sent_from_the_release_that_added_it() -> None:
    for version, sent in (("2025-04-30.basil", False), ("2025-05-28.basil", True)):
        w, _, _ = played(version)
        types = [e.type for e in w.events]
        assert ("invoice_payment.paid" in types) is sent
    w, _, sub = played()
    paid = next(e for e in since(w, 0) if e["type"] == "invoice_payment.paid")["data"]["object"]
    assert paid["invoice"] == sub.latest_invoice and paid["status"] == "paid"
    assert paid["payment"]["type"] == "payment_intent"
    assert paid["payment"]["payment_intent"].startswith("pi_")


def test_a_renewal_payment_creates_and_confirms_the_invoices_payment_intent() -> None:
    w, _, sub = played()
    mark = len(w.events)
    w.advance_to(sub.current_period_end + 3600)
    events = since(w, mark)
    assert [e["type"] for e in events] == [
        "invoice.created", "customer.subscription.updated", "invoice.finalized",
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "invoice.paid", "invoice.payment_succeeded", "invoice_payment.paid"]
    intent, charge = events[5]["data"]["object"], events[4]["data"]["object"]
    invoice = events[7]["data"]["object"]
    assert intent["amount"] == intent["amount_received"] == invoice["amount_paid"] > 0
    assert intent["latest_charge"] == charge["id"] and charge["payment_intent"] == intent["id"]
    assert (charge["paid"], charge["captured"], charge["status"]) == (True, True, "succeeded")
    assert intent["description"] == "Subscription update"


def test_a_card_that_needs_authentication_asks_for_it_at_renewal() -> None:
    w, cust, sub = played(card="authentication_required")
    mark = len(w.events)
    w.advance_to(sub.current_period_end + 3600)
    events = since(w, mark)
    types = [e["type"] for e in events]
    assert types[3:] == [
        "payment_intent.created", "payment_intent.requires_action", "invoice.payment_failed",
        "invoice.payment_action_required", "invoice.updated", "customer.updated",
        "customer.subscription.updated"]
    intent = events[4]["data"]["object"]
    assert intent["status"] == "requires_action" and intent["next_action"]["type"]
    assert intent["last_payment_error"]["code"] == "authentication_required"
    assert events[-1]["data"]["object"]["status"] == "past_due"
    assert not any(t.startswith("charge.") for t in types)  # nothing reached the card network
    mark = len(w.events)
    w.authenticate_payment(cust.id)
    events = since(w, mark)
    assert [e["type"] for e in events] == [
        "charge.succeeded", "payment_intent.succeeded", "invoice.paid",
        "invoice.payment_succeeded", "invoice_payment.paid", "customer.updated",
        "customer.subscription.updated"]
    assert events[-1]["data"]["object"]["status"] == "active"
    assert events[0]["request"]["id"] is None and events[0]["request"]["idempotency_key"]
    with pytest.raises(ScenarioError, match="no payment waiting"):
        w.authenticate_payment(cust.id)


def test_a_failed_authentication_leaves_the_invoice_open_for_the_next_attempt() -> None:
    w, cust, sub = played(card="authentication_required")
    w.advance_to(sub.current_period_end + 3600)
    invoice = w.invoices[sub.latest_invoice]
    mark = len(w.events)
    w.authenticate_payment(cust.id, succeed=False)
    (event,) = since(w, mark)
    assert event["type"] == "payment_intent.payment_failed"
    assert event["data"]["object"]["last_payment_error"]["code"] == (
        "payment_intent_authentication_failure")
    assert (invoice.status, sub.status) == ("open", "past_due")
    assert invoice.next_payment_attempt is not None


def test_checkout_with_a_card_that_needs_authentication_is_paid_on_session() -> None:
    w, _, sub = played(card="authentication_required")
    assert sub.status == "active"
    assert w.invoices[sub.latest_invoice].status == "paid"


def test_changing_seats_prorates_both_quantities() -> None:
    w, _, sub = played(quantity=3)
    w.advance_to(w.now + 10 * DAY)
    mark = len(w.events)
    w.change_quantity(sub, 5)
    events = since(w, mark)
    assert [e["type"] for e in events] == [
        "invoiceitem.created", "invoiceitem.created", "customer.subscription.updated"]
    credit, debit = (e["data"]["object"] for e in events[:2])
    assert (credit["quantity"], debit["quantity"]) == (3, 5)
    assert credit["amount"] < 0 < debit["amount"]
    assert round(-credit["amount"] * 5 / 3) == pytest.approx(debit["amount"], abs=2)
    updated = events[2]["data"]["object"]
    assert updated["items"]["data"][0]["quantity"] == updated["quantity"] == 5
    assert events[2]["data"]["previous_attributes"]["quantity"] == 3
    assert w.expected_state(sub.customer)["subscriptions"][sub.id]["quantity"] == 5
    with pytest.raises(ScenarioError, match="already has quantity 5"):
        w.change_quantity(sub, 5)


def test_changing_seats_with_always_invoice_charges_at_once() -> None:
    w, _, sub = played(quantity=2)
    w.advance_to(w.now + 10 * DAY)
    mark = len(w.events)
    w.change_quantity(sub, 4, proration_behavior="always_invoice")
    types = [e.type for e in w.events[mark:]]
    assert types[:4] == ["customer.subscription.updated", "invoiceitem.created",
                         "invoiceitem.created", "invoice.created"]
    invoice = w.invoices[sub.latest_invoice]
    assert invoice.status == "paid" and invoice.billing_reason == "subscription_update"


def test_the_retry_schedule_is_a_setting() -> None:
    w, cust, sub = played(retry_days=RETRY_SCHEDULES["custom_3_5_7"])
    w.card_declines(cust.id)
    w.advance_to(sub.current_period_end + 3600)
    invoice = w.invoices[sub.latest_invoice]
    gaps = []
    while invoice.next_payment_attempt is not None:
        at = invoice.next_payment_attempt
        gaps.append((at - w.now) // DAY)
        w.advance_to(at)
    assert gaps == [3, 5, 7] and invoice.attempt_count == 4 and sub.status == "canceled"


def test_a_trial_starts_trialing_with_a_zero_invoice_and_warns_three_days_before_it_ends() -> None:
    w = World(default_catalog(), ENDIVE, seed=3)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly", trial_days=14)
    events = since(w, 1)
    assert [e["type"] for e in events] == [
        "payment_method.attached", "customer.subscription.created", "invoice.created",
        "invoice.finalized", "invoice.paid", "invoice.payment_succeeded",
        "checkout.session.completed"]
    created = events[1]["data"]["object"]
    assert (created["status"], created["trial_start"], created["trial_end"]) == (
        "trialing", w.now, w.now + 14 * DAY)
    assert created["billing_cycle_anchor"] == created["trial_end"]
    first = events[5]["data"]["object"]
    assert (first["amount_paid"], first["billing_reason"]) == (0, "subscription_create")
    assert first["lines"]["data"][0]["description"].startswith("Trial period for")
    mark = len(w.events)
    w.advance_to(sub.trial_end - 1)
    warning, upcoming = since(w, mark)
    assert warning["type"] == "customer.subscription.trial_will_end"
    assert warning["created"] == sub.trial_end - 3 * DAY
    assert warning["request"] == {"id": None, "idempotency_key": None}
    # the first paid invoice is announced too (default: 3 days before, the same moment)
    assert (upcoming["type"], upcoming["created"]) == ("invoice.upcoming", warning["created"])
    assert upcoming["data"]["object"]["amount_due"] == 2900
    mark = len(w.events)
    w.advance_to(sub.trial_end + 3600)
    events = since(w, mark)
    assert [e["type"] for e in events][:2] == ["invoice.created", "customer.subscription.updated"]
    assert events[1]["data"]["object"]["status"] == "active"
    assert events[1]["data"]["previous_attributes"]["status"] == "trialing"
    assert w.invoices[sub.latest_invoice].status == "paid" and sub.status == "active"


def test_a_trial_canceled_before_its_end_ends_with_it_and_charges_nothing() -> None:
    w = World(default_catalog(), ENDIVE, seed=3)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly", trial_days=14)
    w.advance_to(w.now + 5 * DAY)
    w.cancel_at_period_end(sub)
    mark = len(w.events)
    w.advance_to(sub.trial_end + 10 * DAY)
    assert [e.type for e in w.events[mark:]] == [
        "customer.subscription.trial_will_end", "customer.subscription.deleted"]
    assert sub.ended_at == sub.trial_end
    assert [i.amount_paid for i in w.invoices.values()] == [0]
