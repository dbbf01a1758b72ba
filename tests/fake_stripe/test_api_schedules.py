"""Subscription schedules through stripe-python: create, retrieve, update, list, release, cancel,
each backed by the World and sending the events the portal's scheduled downgrades send."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.render import render_event

from .accounts import Account


def _types(local: Account, since: int) -> list[str]:
    return [e.type for e in local.world.events[since:]]


def test_from_subscription_attaches_a_one_phase_schedule(local: Account, v1: Any) -> None:
    sub = local.subscription
    since = len(local.world.events)
    sched = v1.subscription_schedules.create(params={"from_subscription": sub.id,
                                                     "metadata": {"why": "downgrade"}})
    assert sched.id.startswith("sub_sched_") and sched.status == "active"
    assert sched.subscription == sub.id and sched.end_behavior == "release"
    assert [p["items"][0].price for p in sched.phases] == ["price_pro_monthly"]
    assert sched.current_phase.end_date == sub.current_period_end
    assert _types(local, since) == ["subscription_schedule.created",
                                    "customer.subscription.updated"]
    # every event of the request carries its Request-Id
    assert {e.request_id for e in local.world.events[since:]} == {
        local.fake.requests[-1].request_id}
    got = v1.subscriptions.retrieve(sub.id, params={"expand": ["schedule"]})
    assert got.schedule.id == sched.id and got.schedule.object == "subscription_schedule"
    assert v1.subscription_schedules.retrieve(sched.id).metadata["why"] == "downgrade"
    with pytest.raises(stripe.InvalidRequestError, match="already attached to a schedule"):
        v1.subscription_schedules.create(params={"from_subscription": sub.id})


def test_a_second_phase_bills_the_new_price_at_the_renewal(local: Account, v1: Any) -> None:
    sub = local.subscription
    sched = v1.subscription_schedules.create(params={"from_subscription": sub.id})
    start, end = sched.phases[0].start_date, sched.phases[0].end_date
    since = len(local.world.events)
    updated = v1.subscription_schedules.update(sched.id, params={"phases": [
        {"items": [{"price": "price_pro_monthly"}], "start_date": start, "end_date": end},
        {"items": [{"price": "price_basic_monthly", "quantity": 1}],
         "duration": {"interval": "month", "interval_count": 1}}]})
    assert [p["items"][0].price for p in updated.phases] == ["price_pro_monthly",
                                                             "price_basic_monthly"]
    assert _types(local, since) == ["subscription_schedule.updated"]
    assert v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == "price_pro_monthly"
    local.world.advance_to(end + 60)
    assert v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == "price_basic_monthly"
    invoice = v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.total == 900
    assert v1.subscription_schedules.retrieve(sched.id).current_phase.start_date == end


def test_release_keeps_the_subscription_on_its_price(local: Account, v1: Any) -> None:
    sub = local.subscription
    sched = v1.subscription_schedules.create(params={"from_subscription": sub.id})
    since = len(local.world.events)
    released = v1.subscription_schedules.release(sched.id)
    assert (released.status, released.subscription, released.released_subscription) == (
        "released", None, sub.id)
    assert released.released_at == local.world.now and released.current_phase is None
    assert _types(local, since) == ["subscription_schedule.updated",
                                    "subscription_schedule.released",
                                    "customer.subscription.updated"]
    assert v1.subscriptions.retrieve(sub.id).schedule is None
    with pytest.raises(stripe.InvalidRequestError, match="currently in the `released` status"):
        v1.subscription_schedules.release(sched.id)


def test_cancel_ends_the_subscription_and_the_schedule(local: Account, v1: Any) -> None:
    sub = local.subscription
    sched = v1.subscription_schedules.create(params={"from_subscription": sub.id})
    since = len(local.world.events)
    canceled = v1.subscription_schedules.cancel(sched.id)
    assert canceled.status == "canceled" and canceled.canceled_at == local.world.now
    assert _types(local, since) == ["customer.subscription.deleted",
                                    "subscription_schedule.canceled"]
    assert v1.subscriptions.retrieve(sub.id).status == "canceled"


def test_create_with_phases_starts_a_subscription_now(local: Account, v1: Any) -> None:
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": local.customer.id})
    v1.customers.update(local.customer.id, params={
        "invoice_settings": {"default_payment_method": pm.id}})
    sched = v1.subscription_schedules.create(params={
        "customer": local.customer.id, "start_date": "now", "end_behavior": "cancel",
        "phases": [{"items": [{"price": "price_enterprise_monthly"}]},
                   {"items": [{"price": "price_basic_monthly"}]}]})
    sub = v1.subscriptions.retrieve(sched.subscription)
    assert sub.status == "active" and sub.schedule == sched.id
    assert sched.end_behavior == "cancel" and len(sched.phases) == 2
    assert sched.phases[1].start_date == sched.phases[0].end_date
    # at the end of the last phase, end_behavior=cancel ends the subscription
    local.world.advance_to(sched.phases[1].end_date + 60)
    assert v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert v1.subscription_schedules.retrieve(sched.id).status == "completed"
    listed = v1.subscription_schedules.list(params={"customer": local.customer.id})
    assert sched.id in [s.id for s in listed.data]


def test_bad_schedule_requests_get_stripes_errors(local: Account, v1: Any) -> None:
    sub = local.subscription
    with pytest.raises(stripe.InvalidRequestError, match="cannot set `customer`"):
        v1.subscription_schedules.create(params={"from_subscription": sub.id,
                                                 "customer": local.customer.id})
    with pytest.raises(stripe.InvalidRequestError, match="No such price"):
        v1.subscription_schedules.create(params={
            "customer": local.customer.id, "phases": [{"items": [{"price": "price_nope"}]}]})
    sched = v1.subscription_schedules.create(params={"from_subscription": sub.id})
    with pytest.raises(stripe.InvalidRequestError, match="updating any cancelation behavior"):
        v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    with pytest.raises(stripe.InvalidRequestError, match="cannot change"):
        v1.subscription_schedules.update(sched.id, params={"phases": [
            {"items": [{"price": "price_basic_monthly"}],
             "start_date": sched.phases[0].start_date}]})
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.subscription_schedules.retrieve("sub_sched_missing")
    assert info.value.http_status == 404 and local.fake.requests[-1].gap is None


def test_schedule_events_render_in_each_version(local: Account, v1: Any) -> None:
    sched = v1.subscription_schedules.create(params={"from_subscription": local.subscription.id})
    event = next(e for e in local.world.events if e.type == "subscription_schedule.created")
    old = render_event(event, "2024-06-20", local.world.catalog)["data"]["object"]
    new = render_event(event, "2026-10-28.endive", local.world.catalog)["data"]["object"]
    assert old["phases"][0]["coupon"] is None and "coupon" not in new["phases"][0]
    assert "pause_schedules" not in old and new["pause_schedules"] == []
    assert "customer_account" in new and "customer_account" not in old
    assert old["id"] == new["id"] == sched.id


def test_phase_parameters_the_fake_ignores_are_noted_as_gaps(local: Account, v1: Any) -> None:
    sched = v1.subscription_schedules.create(params={"from_subscription": local.subscription.id})
    phase = sched.phases[0]
    v1.subscription_schedules.update(sched.id, params={"phases": [
        {"items": [{"price": "price_pro_monthly"}], "start_date": phase.start_date,
         "end_date": phase.end_date, "description": "first"}]})
    assert "phases[0][description]" in (local.fake.requests[-1].gap or "")


def test_an_api_downgrade_is_not_scheduled_by_the_portal_configuration(local: Account,
                                                                       v1: Any) -> None:
    from harness.sim.portal_config import load_portal_configuration

    local.world.portal = load_portal_configuration("schedule_downgrades")
    sub = local.subscription
    got = v1.subscriptions.update(sub.id, params={
        "items": [{"id": sub.items[0].id, "price": "price_basic_monthly"}],
        "proration_behavior": "none"})
    assert got["items"].data[0].price.id == "price_basic_monthly" and got.schedule is None
    assert not local.world.subscription_schedules
