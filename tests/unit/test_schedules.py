"""Downgrades scheduled at the period end (FIDELITY.md, "Subscription schedules"): the portal
creates a subscription schedule, the renewal enters its next phase, the schedule is released
when its last phase ends; undo, cancel and pause while one is pending."""

from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.render import render_event
from harness.scenario.catalog import default_catalog
from harness.sim import World
from harness.sim.portal_config import load_portal_configuration
from harness.sim.schedules import EXPIRING_NOTICE

BASIL = "2025-03-31.basil"


def scheduled_world(price: str = "price_enterprise_monthly", mode: str = "classic"):
    w = World(default_catalog(), BASIL, seed=4, billing_mode=mode,
              portal=load_portal_configuration("schedule_downgrades"))
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, price)
    w.advance_to(w.now + 10 * 86400)
    return w, sub


def types_since(w: World, n: int) -> list[str]:
    return [e.type for e in w.events[n:]]


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_a_portal_downgrade_creates_a_schedule_and_keeps_the_plan(mode: str) -> None:
    w, sub = scheduled_world(mode=mode)
    n = len(w.events)
    w.switch_plan(sub, "price_basic_monthly")
    assert types_since(w, n) == ["subscription_schedule.created", "customer.subscription.updated"]
    sched = w.subscription_schedules[sub.schedule]
    assert sched.id.startswith("sub_sched_1") and sched.status == "active"
    assert (sched.subscription, sched.end_behavior, sched.billing_mode) == (
        sub.id, "release", mode)
    now, after = sched.phases
    assert (now.price, now.start_date, now.end_date) == (
        "price_enterprise_monthly", sub.current_period_start, sub.current_period_end)
    assert (after.price, after.start_date) == ("price_basic_monthly", sub.current_period_end)
    assert sub.items[0].price == "price_enterprise_monthly"
    assert w.expected_state(sub.customer)["plan"] == "enterprise"
    update = render_event(w.events[-1], BASIL, w.catalog)
    assert update["data"]["previous_attributes"] == {"schedule": None}
    assert update["data"]["object"]["schedule"] == sched.id
    created = render_event(w.events[-2], BASIL, w.catalog)["data"]["object"]
    assert created["current_phase"] == {"end_date": now.end_date, "start_date": now.start_date}
    assert [p["items"][0]["price"] for p in created["phases"]] == [
        "price_enterprise_monthly", "price_basic_monthly"]
    # the portal's request: no request id, one idempotency key for both events
    assert {(e.request_id, e.idempotency_key) for e in w.events[n:]} == {
        (None, w.events[n].idempotency_key)}


def test_the_renewal_enters_the_next_phase_and_bills_the_new_price() -> None:
    w, sub = scheduled_world()
    w.switch_plan(sub, "price_basic_monthly")
    sched = w.subscription_schedules[sub.schedule]
    end = sub.current_period_end
    n = len(w.events)
    w.advance_to(end - 1)
    # invoice.upcoming previews what the renewal will bill: the scheduled phase's price
    assert types_since(w, n) == ["invoice.upcoming"]
    assert [line.price for line in w.events[n].object.lines] == ["price_basic_monthly"]
    assert w.events[n].object.total == 900
    n = len(w.events)
    w.advance_to(end)
    assert types_since(w, n) == ["invoice.created", "customer.subscription.updated",
                                 "subscription_schedule.updated"]
    assert sub.items[0].price == "price_basic_monthly"
    invoice = w.invoices[sub.latest_invoice]
    assert [line.price for line in invoice.lines] == ["price_basic_monthly"]
    assert invoice.total == 900
    update = render_event(w.events[n + 1], BASIL, w.catalog)["data"]["previous_attributes"]
    assert set(update) == {"items", "latest_invoice", "plan"}
    moved = render_event(w.events[n + 2], BASIL, w.catalog)["data"]
    assert moved["previous_attributes"] == {"current_phase": {
        "end_date": end, "start_date": sched.phases[0].start_date}}
    assert moved["object"]["current_phase"]["start_date"] == end
    assert w.expected_state(sub.customer)["plan"] == "basic"


def test_the_schedule_warns_a_week_ahead_then_is_released_at_its_end() -> None:
    w, sub = scheduled_world()
    w.switch_plan(sub, "price_basic_monthly")
    sched = w.subscription_schedules[sub.schedule]
    last_end = sched.phases[-1].end_date
    w.advance_to(sub.current_period_end + 7200)
    n = len(w.events)
    w.advance_to(last_end - EXPIRING_NOTICE)
    assert types_since(w, n) == ["subscription_schedule.expiring"]
    w.advance_to(last_end - 1)  # past the renewal's invoice.upcoming
    n = len(w.events)
    w.advance_to(last_end)
    assert types_since(w, n) == [
        "subscription_schedule.updated", "subscription_schedule.released",
        "customer.subscription.updated", "invoice.created", "customer.subscription.updated"]
    assert (sched.status, sched.released_at, sched.released_subscription, sched.subscription) \
        == ("released", last_end, sub.id, None)
    assert sub.schedule is None and sub.items[0].price == "price_basic_monthly"
    assert all(e.request_id is None and e.idempotency_key is None for e in w.events[n:])
    released = render_event(w.events[n], BASIL, w.catalog)["data"]
    assert set(released["previous_attributes"]) == {
        "current_phase", "released_at", "released_subscription", "status", "subscription"}
    w.advance_to(sub.current_period_end + 7200)  # then it renews by itself
    assert w.invoices[sub.latest_invoice].status == "paid"


def test_a_shorter_interval_is_scheduled_too_and_restarts_the_cycle() -> None:
    w, sub = scheduled_world("price_pro_annual")
    w.switch_plan(sub, "price_pro_monthly")  # cheaper and shorter: both conditions hold
    sched = w.subscription_schedules[sub.schedule]
    year_end = sub.current_period_end
    w.advance_to(year_end)
    assert sub.items[0].price == "price_pro_monthly"
    assert sub.billing_cycle_anchor == year_end
    assert sched.phases[1].end_date == sub.current_period_end


def test_shortening_interval_alone_schedules_only_shorter_intervals() -> None:
    config = load_portal_configuration("schedule_downgrades").model_dump()
    config["features"]["subscription_update"]["schedule_at_period_end"]["conditions"] = [
        {"type": "shortening_interval"}]
    w = World(default_catalog(), BASIL, seed=4, portal=load_portal_configuration(config))
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_enterprise_monthly")
    w.switch_plan(sub, "price_basic_monthly")  # same interval: happens now
    assert sub.items[0].price == "price_basic_monthly" and sub.schedule is None


def test_an_upgrade_happens_now_and_releases_a_pending_downgrade() -> None:
    w, sub = scheduled_world("price_pro_monthly")
    w.switch_plan(sub, "price_basic_monthly")
    sched_id = sub.schedule
    n = len(w.events)
    w.switch_plan(sub, "price_enterprise_monthly")
    assert types_since(w, n)[:3] == ["subscription_schedule.updated",
                                     "subscription_schedule.released",
                                     "customer.subscription.updated"]
    assert w.subscription_schedules[sched_id].status == "released"
    assert sub.items[0].price == "price_enterprise_monthly" and sub.schedule is None


def test_a_second_downgrade_replaces_the_pending_phase() -> None:
    w, sub = scheduled_world("price_enterprise_monthly")
    w.switch_plan(sub, "price_pro_monthly")
    n = len(w.events)
    w.switch_plan(sub, "price_basic_monthly")
    assert types_since(w, n) == ["subscription_schedule.updated"]
    assert w.subscription_schedules[sub.schedule].phases[1].price == "price_basic_monthly"


def test_cancel_scheduled_update_releases_the_schedule() -> None:
    w, sub = scheduled_world()
    with pytest.raises(ScenarioError, match="no scheduled update"):
        w.cancel_scheduled_update(sub)
    w.switch_plan(sub, "price_basic_monthly")
    n = len(w.events)
    w.cancel_scheduled_update(sub)
    assert types_since(w, n) == ["subscription_schedule.updated",
                                 "subscription_schedule.released",
                                 "customer.subscription.updated"]
    w.advance_to(sub.current_period_end)
    assert sub.items[0].price == "price_enterprise_monthly"


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_cancelling_at_period_end_releases_the_schedule_first(mode: str) -> None:
    w, sub = scheduled_world(mode=mode)
    w.switch_plan(sub, "price_basic_monthly")
    n = len(w.events)
    w.cancel_at_period_end(sub)
    assert types_since(w, n) == ["subscription_schedule.updated",
                                 "subscription_schedule.released",
                                 "customer.subscription.updated",
                                 "customer.subscription.updated"]
    assert sub.cancellation_pending and sub.schedule is None
    w.advance_to(sub.current_period_end)
    assert sub.status == "canceled" and sub.items[0].price == "price_enterprise_monthly"


def test_cancelling_now_cancels_the_schedule_with_the_subscription() -> None:
    w, sub = scheduled_world()
    w.switch_plan(sub, "price_basic_monthly")
    config = w.portal.model_dump()
    config["features"]["subscription_cancel"]["mode"] = "immediately"
    w.portal = load_portal_configuration(config)
    sched = w.subscription_schedules[sub.schedule]
    n = len(w.events)
    w.cancel_now(sub)
    assert types_since(w, n) == ["customer.subscription.deleted",
                                 "subscription_schedule.canceled"]
    assert (sched.status, sched.canceled_at, sched.subscription) == ("canceled", w.now, sub.id)


def test_a_scheduled_subscription_cannot_be_paused() -> None:
    w, sub = scheduled_world()
    w.switch_plan(sub, "price_basic_monthly")
    with pytest.raises(ScenarioError, match="attached schedules cannot be paused"):
        w.pause(sub)


def test_without_conditions_a_downgrade_happens_now() -> None:
    w = World(default_catalog(), BASIL, seed=4, portal=load_portal_configuration("standard"))
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_enterprise_monthly")
    w.switch_plan(sub, "price_basic_monthly")
    assert sub.items[0].price == "price_basic_monthly" and not w.subscription_schedules
