"""Every World verb emits Stripe's events in Stripe's order, with the right previous_attributes.

Each test starts from a fresh World, performs one portal or billing action and compares the exact
event type sequence (FIDELITY.md, "Events per action") plus the keys that must move.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from harness.errors import ScenarioError
from harness.render import render, render_event
from harness.scenario.catalog import default_catalog
from harness.sim import World
from harness.sim.world import START_TIME

DAY = 86400
BASIL = "2025-03-31.basil"
PRE_BASIL = "2024-06-20"
ENDIVE = "2026-10-28.endive"


class Played:
    """A World with one customer on one subscription, and a cursor over its event log."""

    def __init__(self, version: str = BASIL, mode: str | None = None,
                 price: str = "price_pro_monthly", card: str = "visa") -> None:
        self.catalog = default_catalog()
        self.version = version
        # invoice.upcoming before each renewal has its own tests (test_sim_upcoming.py)
        self.world = World(self.catalog, version, seed=7, billing_mode=mode,
                           upcoming_renewal_days=None)
        self.customer = self.world.create_customer("alice@example.test", "Alice")
        self.sub = self.world.checkout(self.customer.id, price, card=card)
        self.mark = len(self.world.events)

    def since(self) -> list:
        """The events emitted since the last call (or since checkout), rendered."""
        new = self.world.events[self.mark:]
        self.mark = len(self.world.events)
        return [render_event(e, self.version, self.catalog) for e in new]

    def advance_days(self, days: float) -> None:
        self.world.advance_to(self.world.now + int(days * DAY))


def types(events: list) -> list[str]:
    return [e["type"] for e in events]


def prev(event: dict) -> dict:
    return event["data"]["previous_attributes"]


def obj(event: dict) -> dict:
    return event["data"]["object"]


def paid(version: str = BASIL, *, new_intent: bool = True) -> list[str]:
    """The events of a successful invoice payment (FIDELITY.md, "Invoice payment")."""
    out = ["payment_intent.created"] if new_intent else []
    out += ["charge.succeeded", "payment_intent.succeeded", "invoice.paid",
            "invoice.payment_succeeded"]
    return out + (["invoice_payment.paid"] if version[:10] >= "2025-05-28" else [])


# -- checkout -------------------------------------------------------------------------------------


def test_basil_checkout_creates_the_subscription_active_after_payment() -> None:
    w = World(default_catalog(), BASIL, seed=1)
    cust = w.create_customer("a@example.test", "A")
    w.checkout(cust.id, "price_basic_monthly")
    events = [render_event(e, BASIL, w.catalog) for e in w.events[1:]]
    assert types(events) == [
        "payment_intent.created",
        "payment_method.attached",
        "charge.succeeded",
        "payment_intent.succeeded",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "checkout.session.completed",
    ]
    assert obj(events[4])["status"] == "active"
    assert obj(events[5])["billing_reason"] == "subscription_create"
    assert "invoice" not in obj(events[0])  # basil: a PaymentIntent names no invoice
    assert obj(events[3])["status"] == "succeeded"
    assert obj(events[2])["payment_intent"] == obj(events[0])["id"]
    paid = obj(events[8])
    # The captured basil Checkout invoice: paid by Checkout itself, attempted but 0 attempts.
    assert (paid["status"], paid["attempted"], paid["attempt_count"]) == ("paid", True, 0)
    assert paid["webhooks_delivered_at"] is None


def test_pre_basil_checkout_creates_an_incomplete_subscription_that_turns_active() -> None:
    w = World(default_catalog(), PRE_BASIL, seed=1)
    cust = w.create_customer("a@example.test", "A")
    w.checkout(cust.id, "price_basic_monthly")
    events = [render_event(e, PRE_BASIL, w.catalog) for e in w.events[1:]]
    assert types(events) == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_method.attached",
        *paid(PRE_BASIL),
        "customer.subscription.updated",
        "checkout.session.completed",
    ]
    assert obj(events[0])["status"] == "incomplete"
    assert obj(events[9])["status"] == "active"
    assert prev(events[9]) == {"status": "incomplete"}
    invoice = obj(events[8])
    assert invoice["attempt_count"] == 1
    # before basil the invoice names its PaymentIntent and Charge, and they name the invoice
    assert invoice["payment_intent"] == obj(events[4])["id"]
    assert invoice["charge"] == obj(events[5])["id"]
    assert obj(events[4])["invoice"] == obj(events[5])["invoice"] == invoice["id"]


def test_checkout_events_carry_an_idempotency_key_and_no_request_id() -> None:
    p = Played()
    checkout_events = [render_event(e, BASIL, p.catalog) for e in p.world.events[1:]]
    for e in checkout_events:
        assert e["request"]["id"] is None
        assert uuid.UUID(e["request"]["idempotency_key"]).version == 4  # as captured


def test_checkout_with_a_declining_card_is_refused() -> None:
    with pytest.raises(ScenarioError, match="declining card"):
        Played(card="declining")


# -- switch plan --------------------------------------------------------------------------------


def test_switch_plan_without_proration_emits_one_update() -> None:
    p = Played()
    p.advance_days(10)
    p.world.switch_plan(p.sub, "price_enterprise_monthly", proration_behavior="none")
    events = p.since()
    assert types(events) == ["customer.subscription.updated"]
    before = prev(events[0])
    assert set(before) == {"items", "plan"}
    assert before["items"]["data"][0]["price"]["id"] == "price_pro_monthly"
    assert before["plan"]["id"] == "price_pro_monthly"
    assert obj(events[0])["items"]["data"][0]["price"]["id"] == "price_enterprise_monthly"
    assert not p.world.invoice_items


def test_switch_plan_with_create_prorations_adds_invoice_items_before_the_update() -> None:
    p = Played()
    p.advance_days(10)
    p.world.switch_plan(p.sub, "price_enterprise_monthly", proration_behavior="create_prorations")
    events = p.since()
    assert types(events) == [
        "invoiceitem.created", "invoiceitem.created", "customer.subscription.updated"]
    credit, debit = obj(events[0]), obj(events[1])
    assert credit["amount"] < 0 < debit["amount"]
    assert credit["proration"] and debit["proration"]
    assert credit["invoice"] is None and debit["invoice"] is None  # billed at the next renewal
    assert set(prev(events[2])) == {"items", "plan"}


def test_switch_plan_with_always_invoice_bills_the_proration_now() -> None:
    p = Played()
    p.advance_days(10)
    p.world.switch_plan(p.sub, "price_enterprise_monthly", proration_behavior="always_invoice")
    events = p.since()
    assert types(events) == [
        "customer.subscription.updated",
        "invoiceitem.created",
        "invoiceitem.created",
        "invoice.created",
        "invoice.finalized",
        *paid(),
    ]
    assert set(prev(events[0])) == {"items", "latest_invoice", "plan"}
    invoice = obj(events[-1])
    assert invoice["billing_reason"] == "subscription_update"
    assert invoice["amount_paid"] == invoice["total"] > 0
    assert all(line["parent"]["subscription_item_details"]["proration"]
               for line in invoice["lines"]["data"])


@pytest.mark.parametrize(("behavior", "proration_lines"), [
    pytest.param("none", 0, id="none"),
    pytest.param("create_prorations", 1, id="create_prorations"),
    pytest.param("always_invoice", 1, id="always_invoice"),
])
def test_an_interval_change_restarts_the_period_and_invoices_at_once(
        behavior: str, proration_lines: int) -> None:
    p = Played()
    p.advance_days(10)
    p.world.switch_plan(p.sub, "price_pro_annual", proration_behavior=behavior)
    events = p.since()
    assert types(events) == [
        "customer.subscription.updated",
        *["invoiceitem.created"] * proration_lines,
        "invoice.created",
        "invoice.finalized",
        *paid(),
    ]
    assert set(prev(events[0])) == {"billing_cycle_anchor", "items", "latest_invoice", "plan"}
    item = obj(events[0])["items"]["data"][0]
    assert item["current_period_start"] == p.world.now
    assert item["current_period_end"] - item["current_period_start"] == 365 * DAY
    lines = obj(events[-1])["lines"]["data"]
    prorations = [x["parent"]["subscription_item_details"]["proration"] for x in lines]
    assert prorations == [False] + [True] * proration_lines  # the new year, then the credit
    assert all(x["amount"] < 0 for x in lines[1:])
    assert obj(events[-1])["billing_reason"] == "subscription_update"


def test_switching_to_the_current_price_is_refused() -> None:
    p = Played()
    with pytest.raises(ScenarioError, match="already on"):
        p.world.switch_plan(p.sub, "price_pro_monthly")


# -- cancel and undo ----------------------------------------------------------------------------


def test_classic_cancel_at_period_end_sets_the_flag_and_cancel_at() -> None:
    p = Played(mode="classic")
    p.advance_days(5)
    requested = p.world.now
    p.world.cancel_at_period_end(p.sub)
    events = p.since()
    assert types(events) == ["customer.subscription.updated"]
    end = p.sub.current_period_end
    o = obj(events[0])
    assert (o["cancel_at_period_end"], o["cancel_at"], o["canceled_at"]) == (True, end, requested)
    assert o["cancellation_details"]["reason"] == "cancellation_requested"
    assert prev(events[0]) == {
        "cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
        "cancellation_details": {"reason": None}}


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_portal_feedback_arrives_in_a_second_later_update(mode: str) -> None:
    """Gap 1 (FIDELITY.md): the cancellation first, feedback null; ~7 s later, as its own portal
    request, a customer.subscription.updated that only adds the feedback."""
    p = Played(mode=mode)
    p.advance_days(5)
    p.world.cancel_at_period_end(p.sub, feedback="too_expensive")
    first, second = p.since()
    assert first["type"] == second["type"] == "customer.subscription.updated"
    assert obj(first)["cancellation_details"]["feedback"] is None
    assert obj(second)["cancellation_details"]["feedback"] == "too_expensive"
    assert prev(second) == {"cancellation_details": {"feedback": None}}
    assert second["created"] == first["created"] + 7
    assert first["request"]["idempotency_key"] != second["request"]["idempotency_key"]


def test_feedback_can_be_sent_inside_the_cancellation_event() -> None:
    w = World(default_catalog(), BASIL, seed=7, feedback="same_event")
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_basic_monthly")
    mark = len(w.events)
    w.cancel_at_period_end(sub, feedback="too_expensive")
    (event,) = [render_event(e, BASIL, w.catalog) for e in w.events[mark:]]
    assert obj(event)["cancellation_details"]["feedback"] == "too_expensive"
    with pytest.raises(ScenarioError, match="feedback must be one of"):
        World(default_catalog(), BASIL, feedback="sometimes")


def test_flexible_cancel_at_period_end_sets_only_cancel_at() -> None:
    p = Played(mode="flexible")
    p.advance_days(5)
    p.world.cancel_at_period_end(p.sub)
    events = p.since()
    o = obj(events[0])
    assert o["cancel_at_period_end"] is False
    assert o["cancel_at"] == p.sub.current_period_end
    # Gap 4: a flexible cancel moves only cancel_at and cancellation_details (canceled_at stays
    # null until the subscription ends).
    assert o["canceled_at"] is None
    assert set(prev(events[0])) == {"cancel_at", "cancellation_details"}


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_undo_cancel_returns_every_cancellation_field_to_empty(mode: str) -> None:
    p = Played(mode=mode)
    p.world.cancel_at_period_end(p.sub, feedback="unused")
    p.since()
    p.advance_days(1)
    p.world.undo_cancel(p.sub)
    events = p.since()
    assert types(events) == ["customer.subscription.updated"]
    o = obj(events[0])
    assert (o["cancel_at_period_end"], o["cancel_at"], o["canceled_at"]) == (False, None, None)
    assert o["cancellation_details"] == {"comment": None, "feedback": None, "reason": None}
    expected = {"cancel_at", "cancellation_details"}
    if mode == "classic":
        expected |= {"cancel_at_period_end", "canceled_at"}
    assert set(prev(events[0])) == expected


def test_undo_cancel_without_a_pending_cancellation_is_refused() -> None:
    p = Played()
    with pytest.raises(ScenarioError, match="no pending cancellation"):
        p.world.undo_cancel(p.sub)


def test_cancel_now_deletes_the_subscription_at_once() -> None:
    p = Played()
    p.advance_days(7)
    p.world.cancel_now(p.sub, feedback="switched_service")
    events = p.since()
    # the feedback follows in an update of the already canceled subscription (gap 1)
    assert types(events) == ["customer.subscription.deleted", "customer.subscription.updated"]
    o = obj(events[0])
    assert o["status"] == "canceled"
    assert o["canceled_at"] == o["ended_at"] == p.world.now - 7
    assert o["cancellation_details"]["reason"] == "cancellation_requested"
    assert o["cancellation_details"]["feedback"] is None
    assert "previous_attributes" not in events[0]["data"]
    late = obj(events[1])
    assert (late["status"], late["cancellation_details"]["feedback"]) == (
        "canceled", "switched_service")
    with pytest.raises(ScenarioError, match="has ended"):
        p.world.cancel_now(p.sub)


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_a_scheduled_cancellation_takes_effect_at_period_end_without_an_invoice(mode: str) -> None:
    p = Played(mode=mode)
    p.advance_days(5)
    p.world.cancel_at_period_end(p.sub)
    requested_at, end = p.world.now, p.sub.current_period_end
    p.since()
    p.advance_days(40)
    events = p.since()
    assert types(events) == ["customer.subscription.deleted"]
    o = obj(events[0])
    assert events[0]["created"] == end
    canceled_at = requested_at if mode == "classic" else end
    assert (o["status"], o["ended_at"], o["canceled_at"]) == ("canceled", end, canceled_at)
    assert events[0]["request"] == {"id": None, "idempotency_key": None}


# -- pause and resume -----------------------------------------------------------------------------


def test_pause_by_status_emits_updated_then_paused() -> None:
    p = Played(ENDIVE, "flexible")
    p.advance_days(8)
    p.world.pause(p.sub, mechanism="status")
    events = p.since()
    # gap 2: the pause credits the unused time as a pending invoice item
    assert types(events) == [
        "invoiceitem.created", "customer.subscription.updated", "customer.subscription.paused"]
    credit = obj(events.pop(0))
    assert credit["amount"] < 0 and credit["invoice"] is None
    o = obj(events[0])
    assert o["status"] == "paused"
    assert o["status_details"] == {"paused": {
        "subscription": {"type": "pause_requested"}, "transitioned_at": p.world.now,
        "type": "subscription"}}
    assert prev(events[0]) == {"status": "active", "status_details": None}


def test_resume_within_the_period_emits_updated_then_resumed() -> None:
    p = Played(ENDIVE, "flexible")
    p.advance_days(10)
    p.world.pause(p.sub, mechanism="status")
    p.advance_days(10)
    p.since()
    p.world.resume(p.sub)
    events = p.since()
    # gap 2: billing_cycle_anchor=now: a new period, invoiced and paid before the resume
    assert types(events) == [
        "invoice.created", "invoice.finalized", *paid(ENDIVE), "customer.subscription.updated",
        "customer.subscription.resumed"]
    invoice = obj(events[-4])  # invoice.payment_succeeded
    assert invoice["amount_paid"] > 0 and any(line["amount"] < 0 for line in
                                              invoice["lines"]["data"])
    o = obj(events[-2])
    assert o["status"] == "active" and o["billing_cycle_anchor"] == p.world.now
    assert o["items"]["data"][0]["current_period_start"] == p.world.now
    assert set(prev(events[-2])) == {
        "billing_cycle_anchor", "items", "latest_invoice", "status", "status_details"}


def test_a_paused_subscription_does_not_renew_and_resuming_later_invoices_a_new_period() -> None:
    p = Played(ENDIVE, "flexible")
    p.advance_days(10)
    p.world.pause(p.sub, mechanism="status")
    p.since()
    p.advance_days(45)
    assert p.since() == []  # no renewal while paused
    p.world.resume(p.sub)
    events = p.since()
    assert types(events) == [
        "invoice.created", "invoice.finalized", *paid(ENDIVE), "customer.subscription.updated",
        "customer.subscription.resumed"]
    item = obj(events[-2])["items"]["data"][0]
    assert item["current_period_start"] == p.world.now


def test_pause_collection_keeps_the_status_and_voids_renewal_invoices() -> None:
    p = Played(BASIL, "classic")
    p.world.pause(p.sub, mechanism="pause_collection", behavior="void")
    events = p.since()
    assert types(events) == ["customer.subscription.updated"]
    assert obj(events[0])["status"] == "active"
    assert obj(events[0])["pause_collection"] == {"behavior": "void", "resumes_at": None}
    assert prev(events[0]) == {"pause_collection": None}
    p.advance_days(32)
    assert types(p.since()) == [
        "invoice.created", "customer.subscription.updated", "invoice.voided"]
    p.world.resume(p.sub)
    events = p.since()
    assert types(events) == ["customer.subscription.updated"]
    assert prev(events[0]) == {"pause_collection": {"behavior": "void", "resumes_at": None}}


def test_pause_collection_mark_uncollectible_finalizes_then_marks_the_invoice() -> None:
    p = Played(BASIL, "classic")
    p.world.pause(p.sub, mechanism="pause_collection", behavior="mark_uncollectible")
    p.since()
    p.advance_days(32)
    events = p.since()
    assert types(events) == [
        "invoice.created", "customer.subscription.updated", "invoice.finalized",
        "invoice.marked_uncollectible"]
    assert obj(events[-1])["status"] == "uncollectible"


def test_pause_collection_keep_as_draft_leaves_the_renewal_invoice_a_draft() -> None:
    p = Played(BASIL, "classic")
    p.world.pause(p.sub, mechanism="pause_collection", behavior="keep_as_draft")
    p.since()
    p.advance_days(40)
    assert types(p.since()) == ["invoice.created", "customer.subscription.updated"]
    invoice = p.world.invoices[p.sub.latest_invoice]
    assert (invoice.status, invoice.auto_advance) == ("draft", False)


@pytest.mark.parametrize(("version", "mode"), [
    pytest.param(BASIL, "flexible", id="basil-flexible"),
    pytest.param("2026-08-26.dahlia", "flexible", id="dahlia-flexible"),
    pytest.param(ENDIVE, "classic", id="endive-classic"),
])
def test_pause_by_status_outside_endive_flexible_is_refused(version: str, mode: str) -> None:
    p = Played(version, mode)
    with pytest.raises(ScenarioError, match=r"2026-09-30\.endive or later and flexible"):
        p.world.pause(p.sub, mechanism="status")


@pytest.mark.parametrize(("version", "mode", "mechanism"), [
    pytest.param(ENDIVE, "flexible", "status", id="endive-flexible-status"),
    pytest.param(ENDIVE, "classic", "pause_collection", id="endive-classic-collection"),
    pytest.param(BASIL, "flexible", "pause_collection", id="basil-flexible-collection"),
])
def test_auto_pause_picks_the_mechanism_stripe_offers(version: str, mode: str,
                                                      mechanism: str) -> None:
    p = Played(version, mode)
    p.world.pause(p.sub)
    paused_by_status = p.sub.status == "paused"
    assert paused_by_status == (mechanism == "status")
    assert (p.sub.pause_collection is not None) == (mechanism == "pause_collection")


# -- payment method, renewal, failures ----------------------------------------------------------


def test_update_payment_method_confirms_a_setup_intent_and_sets_the_defaults() -> None:
    p = Played()
    old_pm = p.sub.default_payment_method
    p.advance_days(3)
    p.world.update_payment_method(p.customer.id, card="mastercard")
    events = p.since()
    assert types(events) == [
        "setup_intent.created", "setup_intent.succeeded", "payment_method.attached",
        "customer.updated", "customer.subscription.updated"]
    assert obj(events[0])["status"] == "requires_payment_method"
    assert obj(events[1])["status"] == "succeeded"
    new_pm = obj(events[2])["id"]
    assert obj(events[1])["payment_method"] == new_pm
    assert obj(events[3])["invoice_settings"]["default_payment_method"] == new_pm
    assert prev(events[3]) == {"invoice_settings": {"default_payment_method": None}}
    assert prev(events[4]) == {"default_payment_method": old_pm}


def test_renewal_advances_the_period_then_charges_an_hour_later() -> None:
    p = Played(BASIL)
    end = p.sub.current_period_end
    p.world.advance_to(end)
    events = p.since()
    # gap 6: the invoice is created before the period moves
    assert types(events) == ["invoice.created", "customer.subscription.updated"]
    assert [e["created"] for e in events] == [end, end]
    assert set(prev(events[1])) == {"items", "latest_invoice"}
    draft = obj(events[0])
    assert (draft["status"], draft["billing_reason"], draft["auto_advance"]) == (
        "draft", "subscription_cycle", True)
    assert draft["automatically_finalizes_at"] == end + 3600
    assert draft["webhooks_delivered_at"] is None
    p.world.advance_to(end + 3600)
    events = p.since()
    assert types(events) == ["invoice.finalized", *paid()]
    assert all(e["created"] == end + 3600 for e in events)
    assert all(e["request"] == {"id": None, "idempotency_key": None} for e in events)
    invoice = obj(events[-1])
    assert (invoice["status"], invoice["attempt_count"], invoice["webhooks_delivered_at"]) == (
        "paid", 1, end)


def test_renewal_bills_the_period_that_starts() -> None:
    p = Played(BASIL)
    first_end = p.sub.current_period_end
    p.world.advance_to(first_end + 3600)
    invoice = p.world.invoices[p.sub.latest_invoice]
    assert (invoice.period_start, invoice.period_end) == (START_TIME, first_end)
    line = invoice.lines[0]
    assert line.period_start == first_end  # the line covers the new period, billed in advance
    assert line.period_end == p.sub.current_period_end


def test_monthly_periods_follow_the_anchor_day_through_short_months() -> None:
    jan31 = 1769850000  # 2026-01-31 09:00 UTC
    w = World(default_catalog(), BASIL, seed=1, start=jan31)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")
    ends = []
    for _ in range(3):
        ends.append(sub.current_period_end)
        w.advance_to(sub.current_period_end + 3600)
    days = [time.strftime("%m-%d", time.gmtime(t)) for t in ends]
    assert days == ["02-28", "03-31", "04-30"]


def test_invoices_are_numbered_per_customer_with_its_prefix() -> None:
    p = Played()
    p.world.advance_to(p.sub.current_period_end + 3600)
    numbers = [i.number for i in p.world.invoices.values()]
    prefix = p.customer.invoice_prefix
    assert re.fullmatch(r"[A-Z0-9]{8}", prefix)
    assert numbers == [f"{prefix}-0001", f"{prefix}-0002"]
    assert render(p.customer, BASIL, p.catalog)["next_invoice_sequence"] == 3


def test_a_failed_renewal_goes_past_due_and_the_retry_after_a_card_update_recovers() -> None:
    p = Played(BASIL)
    p.world.card_declines(p.customer.id)
    end = p.sub.current_period_end
    p.world.advance_to(end + 3600)
    events = p.since()
    assert types(events) == [
        "invoice.created", "customer.subscription.updated", "invoice.finalized",
        "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
        "invoice.payment_failed", "invoice.updated", "customer.updated",
        "customer.subscription.updated"]
    assert obj(events[4])["status"] == "failed" and obj(events[4])["failure_code"]
    assert obj(events[5])["status"] == "requires_payment_method"
    failed = obj(events[6])
    assert (failed["status"], failed["attempt_count"]) == ("open", 1)
    assert failed["next_payment_attempt"] == end + 3600 + 2 * DAY
    assert set(prev(events[7])) == {"attempt_count", "attempted", "next_payment_attempt"}
    assert prev(events[8]) == {"delinquent": False}
    assert prev(events[9]) == {"status": "active"}
    p.world.update_payment_method(p.customer.id, card="visa")
    p.since()
    p.world.advance_to(failed["next_payment_attempt"])
    events = p.since()
    # the retry confirms the invoice's PaymentIntent again: no new intent, a new charge
    assert types(events) == [
        *paid(new_intent=False), "customer.updated", "customer.subscription.updated"]
    assert obj(events[3])["attempt_count"] == 2
    assert prev(events[4]) == {"delinquent": True}
    assert prev(events[5]) == {"status": "past_due"}


def test_retries_follow_the_schedule_then_the_subscription_is_canceled_as_payment_failed() -> None:
    p = Played(BASIL)
    p.world.card_declines(p.customer.id)
    p.world.advance_to(p.sub.current_period_end + 3600)
    p.since()
    invoice = p.world.invoices[p.sub.latest_invoice]
    retry = ["charge.failed", "payment_intent.payment_failed", "invoice.payment_failed",
             "invoice.updated"]
    gaps = []
    while invoice.next_payment_attempt is not None:
        at = invoice.next_payment_attempt
        p.world.advance_to(at)
        events = p.since()
        if invoice.next_payment_attempt is not None:
            assert types(events) == retry
            gaps.append((invoice.next_payment_attempt - at) // DAY)
    # Stripe's recommended Smart Retries: 8 tries within 2 weeks (gap 9)
    assert gaps == [2] * 6 and invoice.attempt_count == 8
    assert types(events) == [*retry, "customer.subscription.deleted"]
    assert obj(events[2])["attempt_count"] == 8
    assert obj(events[2])["next_payment_attempt"] is None
    deleted = obj(events[4])
    assert deleted["status"] == "canceled"
    assert deleted["cancellation_details"]["reason"] == "payment_failed"
    assert deleted["canceled_at"] == deleted["ended_at"] == p.world.now


def test_a_credit_balance_from_a_downgrade_pays_the_next_renewal() -> None:
    p = Played(BASIL, price="price_enterprise_monthly")
    p.advance_days(12)
    p.world.switch_plan(p.sub, "price_basic_monthly", proration_behavior="create_prorations")
    p.since()
    p.world.advance_to(p.sub.current_period_end + 3600)
    events = p.since()
    assert types(events) == [
        "invoice.created", "customer.subscription.updated", "invoice.finalized",
        "customer.updated", "invoice.paid", "invoice.payment_succeeded"]
    invoice = obj(events[-1])
    assert invoice["total"] < 0 and invoice["amount_due"] == 0
    assert obj(events[3])["balance"] == invoice["total"]
    assert prev(events[3]) == {"balance": 0}


# -- log invariants --------------------------------------------------------------------------


def test_portal_actions_carry_an_idempotency_key_and_no_request_id() -> None:
    """Gap 10: one request per action, shared by its events; the portal's has a null id."""
    p = Played()
    p.advance_days(3)
    p.world.switch_plan(p.sub, "price_enterprise_monthly", proration_behavior="always_invoice")
    events = p.since()
    assert len(events) > 3
    assert {e["request"]["id"] for e in events} == {None}
    keys = {e["request"]["idempotency_key"] for e in events}
    assert len(keys) == 1 and uuid.UUID(keys.pop()).version == 4
    p.world.cancel_at_period_end(p.sub)
    (other,) = p.since()
    assert other["request"]["idempotency_key"] not in {e["request"]["idempotency_key"]
                                                       for e in events}


def test_api_actions_carry_one_request_id_per_request() -> None:
    p = Played()
    created = render_event(p.world.events[0], BASIL, p.catalog)
    assert created["request"]["id"].startswith("req_")  # the app's customers.create
    with p.world.acting_as("api"):
        p.world.cancel_at_period_end(p.sub)
    (event,) = p.since()
    assert event["request"]["id"].startswith("req_")
    assert event["request"]["id"] != created["request"]["id"]


def test_the_clock_cannot_go_back() -> None:
    p = Played()
    with pytest.raises(ScenarioError, match="cannot go back"):
        p.world.advance_to(p.world.now - 1)


def test_event_times_never_decrease_and_ids_never_repeat() -> None:
    p = Played()
    p.world.card_declines(p.customer.id)
    p.world.advance_to(p.world.now + 60 * DAY)
    created = [e.created for e in p.world.events]
    assert created == sorted(created)
    ids = [e.id for e in p.world.events]
    assert len(set(ids)) == len(ids)
