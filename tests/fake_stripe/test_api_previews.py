"""Previews of a mid-period change (`POST /v1/invoices/create_preview` with
`subscription_details`, and `GET /v1/invoices/upcoming` before basil): the proration lines are
the ones the World bills when the app makes the same update with the same proration_date."""

from __future__ import annotations

from typing import Any

import pytest

from harness.fake_stripe import FakeStripe

from .accounts import make_account

DAY = 86400


@pytest.fixture
def mid_period() -> Any:
    """Ten days into a pro subscription's first month; (world, sub, client.v1)."""
    world, _, sub = make_account()
    world.advance_to(world.now + 10 * DAY)
    fake = FakeStripe(world)
    yield world, sub, fake.stripe_client(stripe_version=world.api_version).v1
    fake.check()


def _prorations(invoice: Any) -> list[tuple[int, int, int, str]]:
    return [(line.amount, line.period.start, line.period.end, line.description)
            for line in invoice.lines.data
            if line.parent.subscription_item_details.proration]


def test_a_plan_switch_preview_equals_what_the_update_then_bills(mid_period: Any) -> None:
    world, sub, v1 = mid_period
    when = world.now - 3600  # the moment the customer saw the price
    details = {"items": [{"id": sub.items[0].id, "price": "price_enterprise_monthly"}],
               "proration_date": when}
    events = len(world.events)
    preview = v1.invoices.create_preview(params={"subscription": sub.id,
                                                 "subscription_details": details})
    assert len(world.events) == events and not any(  # a preview changes nothing
        ii.proration for ii in world.invoice_items.values())
    expected = _prorations(preview)
    assert [a < 0 for a, *_ in expected] == [True, False]  # credit, then the new price's debit
    assert {(start, end) for _, start, end, _ in expected} == {
        (when, sub.current_period_end)}
    v1.subscriptions.update(sub.id, params={
        "items": details["items"], "proration_date": when,
        "proration_behavior": "create_prorations"})
    pending = v1.invoice_items.list(params={"customer": sub.customer, "pending": True}).data
    assert sorted((ii.amount, ii.period.start, ii.period.end, ii.description)
                  for ii in pending) == sorted(expected)
    world.advance_to(sub.current_period_end + 3600 + 60)  # the renewal bills them
    renewal = v1.invoices.retrieve(world.subscriptions[sub.id].latest_invoice)
    assert renewal.total == preview.total
    assert sorted(_prorations(renewal)) == sorted(expected)


def test_a_seat_change_invoiced_at_once_previews_that_invoice(mid_period: Any) -> None:
    world, sub, v1 = mid_period
    details = {"items": [{"id": sub.items[0].id, "quantity": 3}],
               "proration_behavior": "always_invoice", "proration_date": world.now}
    preview = v1.invoices.create_preview(params={"subscription": sub.id,
                                                 "subscription_details": details})
    assert preview.billing_reason == "subscription_update"
    updated = v1.subscriptions.update(sub.id, params={
        "items": details["items"], "proration_behavior": "always_invoice",
        "proration_date": world.now})
    billed = v1.invoices.retrieve(updated.latest_invoice)
    assert billed.total == preview.total > 0
    assert sorted(_prorations(billed)) == sorted(_prorations(preview))


def test_without_prorations_the_preview_is_the_next_period_on_the_new_price(
        mid_period: Any) -> None:
    _, sub, v1 = mid_period
    preview = v1.invoices.create_preview(params={"subscription": sub.id, "subscription_details": {
        "items": [{"id": sub.items[0].id, "price": "price_basic_monthly"}],
        "proration_behavior": "none"}})
    assert _prorations(preview) == []
    assert preview.total == 900
    assert preview.lines.data[0].period.start == sub.current_period_end


def test_a_proration_date_outside_the_period_is_refused(mid_period: Any) -> None:
    import stripe

    world, sub, v1 = mid_period
    with pytest.raises(stripe.InvalidRequestError, match="proration_date must be within"):
        v1.invoices.create_preview(params={"subscription": sub.id, "subscription_details": {
            "items": [{"id": sub.items[0].id, "quantity": 2}],
            "proration_date": world.now + DAY}})


def test_upcoming_takes_the_old_subscription_parameters() -> None:
    import json

    world, customer, sub = make_account("2024-06-20")
    world.advance_to(world.now + 10 * DAY)
    fake = FakeStripe(world)
    headers = {"Authorization": f"Bearer {fake.api_key}", "Stripe-Version": "2024-06-20"}
    query = (f"customer={customer.id}&subscription={sub.id}"
             f"&subscription_items[0][id]={sub.items[0].id}"
             "&subscription_items[0][price]=price_enterprise_monthly"
             f"&subscription_proration_date={world.now}")
    status, _, body = fake.dispatch("GET", "/v1/invoices/upcoming", query, headers, b"")
    assert status == 200, body
    lines = json.loads(body)["lines"]["data"]
    prorated = [line for line in lines if line["proration"]]
    assert len(prorated) == 2 and prorated[0]["period"]["start"] == world.now
