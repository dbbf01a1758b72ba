"""Checkout Sessions an app creates, and portal configurations, through stripe-python."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .accounts import Account

SESSION = {"mode": "subscription", "line_items": [{"price": "price_pro_monthly", "quantity": 2}],
           "success_url": "https://app.example.test/ok?session_id={CHECKOUT_SESSION_ID}",
           "cancel_url": "https://app.example.test/pricing", "client_reference_id": "user_9"}


def test_a_created_session_is_open_with_a_url_and_line_items(local: Account, v1: Any) -> None:
    session = v1.checkout.sessions.create(params={**SESSION, "customer": local.customer.id})
    assert (session.status, session.payment_status, session.mode) == (
        "open", "unpaid", "subscription")
    assert session.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert (session.success_url, session.client_reference_id) == (SESSION["success_url"],
                                                                  "user_9")
    assert session.amount_total == 5800
    items = v1.checkout.sessions.line_items.list(session.id)
    assert [(i.price.id, i.quantity, i.amount_total) for i in items.data] == [
        ("price_pro_monthly", 2, 5800)]
    expanded = v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert expanded.line_items.data[0].price.id == "price_pro_monthly"


def test_a_completed_flow_session_lists_its_subscription_items(local: Account,
                                                               v1: Any) -> None:
    session_id = next(iter(local.world.checkout_sessions))
    items = v1.checkout.sessions.line_items.list(session_id).data
    assert [i.price.id for i in items] == ["price_pro_monthly"]
    listed = v1.checkout.sessions.list(params={"customer": local.customer.id})
    assert [s.id for s in listed.data] == [session_id]


def test_expire_emits_checkout_session_expired(local: Account, v1: Any) -> None:
    session = v1.checkout.sessions.create(params={**SESSION, "customer_email": "e@x.test"})
    assert v1.checkout.sessions.expire(session.id).status == "expired"
    assert local.world.events[-1].type == "checkout.session.expired"
    with pytest.raises(stripe.InvalidRequestError, match="status of \"expired\""):
        v1.checkout.sessions.expire(session.id)


@pytest.mark.parametrize(("change", "message"), [
    ({"line_items": []}, "Missing required param: line_items."),
    ({"line_items": [{"price": "price_nope"}]}, "No such price: 'price_nope'"),
    ({"mode": "subscr"}, "Invalid mode: must be one of payment, setup, or subscription"),
    ({"success_url": None}, "Missing required param: success_url."),
])
def test_bad_sessions_are_refused(v1: Any, change: dict[str, Any], message: str) -> None:
    params = {k: v for k, v in {**SESSION, **change}.items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.checkout.sessions.create(params=params)
    assert info.value.user_message == message


def test_portal_configurations(local: Account, v1: Any) -> None:
    default = v1.billing_portal.configurations.list(params={"is_default": True}).data
    assert [c.id for c in default] == [local.fake.configuration_id]
    made = v1.billing_portal.configurations.create(params={
        "features": {"invoice_history": {"enabled": True}},
        "business_profile": {"headline": "Acme"}})
    assert made.business_profile.headline == "Acme" and made.is_default is False
    updated = v1.billing_portal.configurations.update(
        made.id, params={"default_return_url": "https://app.example.test/account"})
    assert updated.default_return_url == "https://app.example.test/account"
    assert v1.billing_portal.configurations.retrieve(made.id).id == made.id
    session = v1.billing_portal.sessions.create(params={"customer": local.customer.id,
                                                        "configuration": made.id})
    assert session.configuration == made.id
