"""What an app asks Checkout to do beyond the sale, acted on when the customer pays: the
subscription's metadata, description and trial (`subscription_data`), and the details entered
on the page saved onto the customer (`customer_update`), as better-auth's plugin sends them."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.sim.app_checkout import complete_session

from .accounts import Account

SESSION = {"mode": "subscription", "line_items": [{"price": "price_pro_monthly", "quantity": 1}],
           "success_url": "https://app.example.test/ok", "cancel_url": "https://app.example.test/"}


def _pay(local: Account, session_id: str) -> Any:
    sub = complete_session(local.world, local.world.checkout_sessions[session_id],
                           "4242424242424242")
    assert sub is not None
    return sub


def test_subscription_data_lands_on_the_subscription(local: Account, v1: Any) -> None:
    session = v1.checkout.sessions.create(params={
        **SESSION, "customer": local.customer.id,
        "subscription_data": {"metadata": {"userId": "u_1"}, "description": "Team plan"}})
    sub = v1.subscriptions.retrieve(_pay(local, session.id).id)
    assert (sub.status, sub.metadata.to_dict(), sub.description) == (
        "active", {"userId": "u_1"}, "Team plan")
    (created,) = v1.events.list(params={"type": "customer.subscription.created",
                                        "limit": 1}).data
    assert (created.data.object.id, created.data.object.metadata.to_dict()) == (
        sub.id, {"userId": "u_1"})
    assert not local.fake.gaps


def test_a_trial_starts_the_subscription_trialing_with_a_free_first_invoice(
        local: Account, v1: Any) -> None:
    session = v1.checkout.sessions.create(params={
        **SESSION, "customer": local.customer.id,
        "subscription_data": {"trial_period_days": 14}})
    now = local.world.now
    sub = v1.subscriptions.retrieve(_pay(local, session.id).id)
    assert (sub.status, sub.trial_start, sub.trial_end) == ("trialing", now, now + 14 * 86400)
    assert sub["items"].data[0].current_period_end == now + 14 * 86400
    invoice = v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.amount_due, invoice.status) == (0, "paid")
    assert v1.checkout.sessions.retrieve(session.id).amount_total == 0


def test_trial_end_sets_the_end_of_the_trial(local: Account, v1: Any) -> None:
    end = local.world.now + 10 * 86400
    session = v1.checkout.sessions.create(params={
        **SESSION, "customer": local.customer.id, "subscription_data": {"trial_end": end}})
    assert v1.subscriptions.retrieve(_pay(local, session.id).id).trial_end == end


@pytest.mark.parametrize(("change", "message"), [
    ({"subscription_data": {"trial_end": 1}},
     "The `trial_end` date has to be at least 2 days in the future."),
    ({"subscription_data": {"trial_period_days": 731}},
     "Invalid subscription_data[trial_period_days]: must be between 1 and 730"),
    ({"customer_update": {"name": "auto"}}, "`customer_update` can only be used with `customer`."),
    ({"mode": "payment", "line_items": [{"price": "price_pro_monthly"}],
      "subscription_data": {"metadata": {"a": "b"}}},
     "You can only specify `subscription_data` in `subscription` mode, but this Checkout "
     "Session is in `payment` mode."),
])
def test_bad_options_are_refused(v1: Any, change: dict[str, Any], message: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.checkout.sessions.create(params={**SESSION, "customer_email": "a@x.test", **change})
    assert info.value.user_message == message


def test_customer_update_saves_the_address_entered_on_the_page(local: Account, v1: Any) -> None:
    session = v1.checkout.sessions.create(params={
        **SESSION, "customer": local.customer.id, "billing_address_collection": "required",
        "customer_update": {"name": "auto", "address": "auto"}, "locale": "de"})
    assert (session.billing_address_collection, session.locale) == ("required", "de")
    _pay(local, session.id)
    customer = v1.customers.retrieve(local.customer.id)
    assert (customer.address.line1, customer.address.country) == ("510 Townsend St", "US")
    details = v1.checkout.sessions.retrieve(session.id).customer_details
    assert (details.name, details.address.postal_code) == (customer.name, "94103")


def test_without_customer_update_the_customer_keeps_no_address(local: Account, v1: Any) -> None:
    session = v1.checkout.sessions.create(params={**SESSION, "customer": local.customer.id})
    _pay(local, session.id)
    assert v1.customers.retrieve(local.customer.id).address is None
    assert v1.checkout.sessions.retrieve(session.id).customer_details.address.country == "US"


def test_subscription_data_the_fake_does_not_act_on_is_a_gap(local: Account, v1: Any) -> None:
    v1.checkout.sessions.create(params={
        **SESSION, "customer": local.customer.id,
        "subscription_data": {"application_fee_percent": 5, "metadata": {"a": "b"}}})
    (gap,) = local.fake.gaps
    assert "subscription_data parameters accepted but not supported by the fake: " \
           "application_fee_percent" in gap.gap


def test_a_name_entered_on_the_page_is_saved_with_customer_update(local: Account,
                                                                  v1: Any) -> None:
    customer = v1.customers.create(params={"email": "nadia@example.test"})
    assert customer.name is None
    session = v1.checkout.sessions.create(params={
        **SESSION, "customer": customer.id, "customer_update": {"name": "auto"}})
    _pay(local, session.id)
    assert v1.customers.retrieve(customer.id).name == "nadia"
    (updated,) = v1.events.list(params={"type": "customer.updated", "limit": 1}).data
    assert updated.data.object.id == customer.id
    assert updated.data.previous_attributes.to_dict() == {"name": None}
