"""The defect catalog: every mutant is a real, visible departure from the reference app.

Each scenario drives an app and returns what a harness would observe; the reference and the
mutant must observe different things.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import CUSTOMER, OTHER_CUSTOMER
from stripe_stub import PERIOD_END, Driver, event, fail_once, invoice, subscription

from harness.reference_app import create_app
from harness.targets.mutants import MUTANTS, Mutant, create_mutant_app, mutant


def _deliver_subscription(
    driver: Driver, fake_stripe, event_type="customer.subscription.updated", **fields
):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER, **fields))
    return driver.deliver(event(event_type, sub)), driver.state(CUSTOMER)


def _failing_delivery_then_retry(driver: Driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    evt = event("customer.subscription.created", sub)
    fail_once(driver.app.db, "set_plan")
    first = driver.deliver(evt)
    after_failure = driver.state(CUSTOMER)
    return first, after_failure, driver.deliver(evt), driver.state(CUSTOMER)


def _paid_twice(driver: Driver, fake_stripe):
    inv = invoice(CUSTOMER, "sub_1")
    paid = event("invoice.paid", inv)
    codes = [
        driver.deliver(paid),
        driver.deliver(paid),
        driver.deliver(event("invoice.payment_succeeded", inv)),
    ]
    return codes, driver.state(CUSTOMER)["paid_invoices"]


def _late_old_event(driver: Driver, fake_stripe):
    old = subscription("sub_1", CUSTOMER, "price_basic_monthly")
    fake_stripe.put(subscription("sub_1", CUSTOMER, "price_enterprise_monthly"))
    driver.deliver(event("customer.subscription.updated", fake_stripe.subscriptions["sub_1"]))
    driver.deliver(event("customer.subscription.updated", old))
    return driver.state(CUSTOMER)


def _canceled_after_active(driver: Driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    driver.deliver(event("customer.subscription.created", sub))
    canceled = fake_stripe.put(subscription("sub_1", CUSTOMER, status="canceled"))
    return driver.deliver(event("customer.subscription.deleted", canceled)), driver.state(CUSTOMER)


def _feedback_after_deletion(driver: Driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    driver.deliver(event("customer.subscription.created", sub))
    canceled = subscription("sub_1", CUSTOMER, status="canceled")
    canceled["cancellation_details"] = {"comment": None, "feedback": None,
                                        "reason": "cancellation_requested"}
    driver.deliver(event("customer.subscription.deleted", dict(canceled)))
    canceled["cancellation_details"] = {**canceled["cancellation_details"],
                                        "feedback": "too_expensive"}
    fake_stripe.put(canceled)
    driver.deliver(event("customer.subscription.updated", canceled))
    return driver.state(CUSTOMER)


def _seats(driver: Driver, fake_stripe):
    sub = subscription("sub_1", CUSTOMER)
    sub["items"]["data"][0]["quantity"] = 4
    driver.deliver(event("customer.subscription.updated", fake_stripe.put(sub)))
    return driver.state(CUSTOMER)


def _action_required(driver: Driver, fake_stripe):
    inv = {**invoice(CUSTOMER, "sub_1"), "status": "open", "amount_paid": 0}
    return (driver.deliver(event("invoice.payment_action_required", inv)),
            driver.state(CUSTOMER)["paid_invoices"])


def _scheduled_downgrade(driver: Driver, fake_stripe):
    # The portal scheduled a downgrade to basic at the period end: enterprise until then.
    sub = subscription("sub_1", CUSTOMER, "price_enterprise_monthly")
    sub["schedule"] = "sub_sched_1"
    fake_stripe.schedules["sub_sched_1"] = {
        "id": "sub_sched_1", "object": "subscription_schedule", "subscription": "sub_1",
        "phases": [{"items": [{"price": "price_enterprise_monthly", "quantity": 1}]},
                   {"items": [{"price": "price_basic_monthly", "quantity": 1}]}]}
    driver.deliver(event("customer.subscription.updated", fake_stripe.put(sub)))
    return driver.state(CUSTOMER)


def _discount(coupon: str) -> dict[str, Any]:
    # a clover discount, as the app fetches it with expand[]=discounts
    return {"id": "di_1", "object": "discount", "customer": CUSTOMER, "end": None,
            "source": {"coupon": coupon, "type": "coupon"}, "subscription": "sub_1"}


def _discount_then_none(driver: Driver, fake_stripe):
    sub = subscription("sub_1", CUSTOMER)
    driver.deliver(event("customer.subscription.updated",
                         fake_stripe.put({**sub, "discounts": [_discount("STAY50")]})))
    with_coupon = driver.state(CUSTOMER)
    driver.deliver(event("customer.subscription.updated", fake_stripe.put(sub)))
    return with_coupon, driver.state(CUSTOMER)


def _discounted(driver: Driver, fake_stripe):
    sub = {**subscription("sub_1", CUSTOMER), "discounts": [_discount("WELCOME25")]}
    driver.deliver(event("customer.subscription.updated", fake_stripe.put(sub)))
    return driver.state(CUSTOMER)


def _upcoming(driver: Driver, fake_stripe):
    sub = fake_stripe.put(subscription("sub_1", CUSTOMER))
    driver.deliver(event("customer.subscription.created", sub))
    preview = {**invoice(CUSTOMER, "sub_1"), "billing_reason": "upcoming", "status": "draft",
               "amount_paid": 0, "lines": {"object": "list", "data": [
                   {"period": {"start": PERIOD_END, "end": PERIOD_END + 30 * 86400}}]}}
    del preview["id"]  # "will not have an invoice ID"
    return driver.deliver(event("invoice.upcoming", preview)), driver.state(CUSTOMER)


def _portal(user_id: str, **fields: str):
    def scenario(driver: Driver, fake_stripe) -> Any:
        for sub_id, customer in (("sub_1", CUSTOMER), ("sub_bob", OTHER_CUSTOMER)):
            driver.deliver(
                event(
                    "customer.subscription.created", fake_stripe.put(subscription(sub_id, customer))
                )
            )
        try:
            status = driver.portal(user_id, **fields).status_code
        except Exception:  # the route crashed: a server would answer 500
            status = 500
        return status, list(fake_stripe.sessions)

    return scenario


SCENARIOS: dict[str, Callable[[Driver, Any], Any]] = {
    "no_signature_check": lambda d, s: d.deliver(
        event("customer.updated", {"id": CUSTOMER}), secret="whsec_forged"
    ),
    "verifies_reserialized_body": lambda d, s: _deliver_subscription(d, s),
    "accepts_stale_signatures": lambda d, s: d.deliver(
        event("customer.updated", {"id": CUSTOMER}), timestamp=int(time.time()) - 3600
    ),
    "records_paid_invoice_twice": _paid_twice,
    "marks_processed_before_applying": _failing_delivery_then_retry,
    "swallows_errors": _failing_delivery_then_retry,
    "commits_partial_writes": _failing_delivery_then_retry,
    "applies_event_snapshot": _late_old_event,
    "reads_subscription_current_period_end": lambda d, s: _deliver_subscription(d, s),
    "reads_invoice_subscription": lambda d, s: (
        d.deliver(event("invoice.paid", invoice(CUSTOMER, "sub_1"))),
        d.state(CUSTOMER),
    ),
    "ignores_cancel_at": lambda d, s: _deliver_subscription(
        d, s, billing_mode="flexible", cancel_at=PERIOD_END
    ),
    "ignores_pause_collection": lambda d, s: _deliver_subscription(
        d, s, pause_collection={"behavior": "void"}
    ),
    "ignores_paused_status": lambda d, s: _deliver_subscription(
        d, s, "customer.subscription.paused", status="paused"
    ),
    "revokes_on_pending_cancel": lambda d, s: _deliver_subscription(
        d, s, cancel_at_period_end=True, cancel_at=PERIOD_END
    ),
    "only_active_grants_access": lambda d, s: _deliver_subscription(d, s, status="past_due"),
    "ignores_subscription_deleted": _canceled_after_active,
    "final_after_cancellation": _feedback_after_deletion,
    "ignores_quantity": _seats,
    "paid_on_payment_action_required": _action_required,
    "ends_trial_on_trial_will_end": lambda d, s: _deliver_subscription(
        d, s, "customer.subscription.trial_will_end", status="trialing"),
    "reads_scheduled_phase": _scheduled_downgrade,
    "renews_on_invoice_upcoming": _upcoming,
    "keeps_ended_discount": _discount_then_none,
    "reads_subscription_discount": _discounted,
    "portal_customer_from_request": _portal("u_alice", customer=OTHER_CUSTOMER),
    "portal_return_url_from_request": _portal("u_alice", return_url="https://evil.test/phish"),
    "portal_no_customer_check": _portal("u_carol"),
}


def test_catalog_has_at_least_fourteen_distinct_mutants():
    names = [m.name for m in MUTANTS]
    assert len(names) >= 14
    assert len(set(names)) == len(names)
    assert set(names) == set(SCENARIOS)


@pytest.mark.parametrize("entry", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_is_described_in_one_plain_sentence(entry: Mutant):
    assert entry.defect_class and entry.defect_class == entry.defect_class.lower()
    assert entry.description.endswith(".") and entry.description.count(". ") == 0


@pytest.mark.parametrize("entry", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_behaves_differently_from_the_reference(drive, fake_stripe, entry: Mutant):
    scenario = SCENARIOS[entry.name]
    expected = scenario(drive(create_app), fake_stripe)
    fake_stripe.subscriptions.clear()
    fake_stripe.sessions.clear()
    observed = scenario(
        drive(lambda settings: create_mutant_app(entry.name, settings)), fake_stripe
    )
    assert observed != expected


def test_unknown_mutant_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="no_signature_check"):
        mutant("no_such_defect")
