"""Refunds through stripe-python: the charge changes, the refund gets its own balance
transaction, and Stripe's events arrive in Stripe's order for the account's API version."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.fake_stripe import FakeStripe

from .accounts import Account, make_account


@pytest.fixture(params=["2024-06-20", "2025-03-31.basil", "2026-10-28.endive"])
def paid(request: pytest.FixtureRequest) -> Any:
    """A paid subscription's charge, in one API version; (world, fake, client.v1, charge)."""
    world, _, _ = make_account(request.param)
    fake = FakeStripe(world)
    v1 = fake.stripe_client(stripe_version=world.api_version).v1
    (charge,) = world.charges.values()
    yield world, fake, v1, charge
    fake.check()


def _events_since(world: Any, start: int) -> list[str]:
    return [e.type for e in world.events[start:]]


def test_a_partial_then_a_full_refund_update_the_charge(paid: Any) -> None:
    world, _, v1, charge = paid
    start = len(world.events)
    first = v1.refunds.create(params={"charge": charge.id, "amount": 1000,
                                      "reason": "requested_by_customer",
                                      "metadata": {"ticket": "T-1"}})
    assert (first.status, first.amount, first.charge, first.reason) == (
        "succeeded", 1000, charge.id, "requested_by_customer")
    after = v1.charges.retrieve(charge.id)
    assert (after.amount_refunded, after.refunded) == (1000, False)
    acacia = world.api_version >= "2024-10-28"
    assert _events_since(world, start) == (
        ["charge.refunded", "refund.created"] if acacia else ["charge.refunded"])
    refunded = world.events[start]
    assert refunded.previous.amount_refunded == 0
    rest = v1.refunds.create(params={"payment_intent": charge.payment_intent})
    assert rest.amount == charge.amount - 1000
    after = v1.charges.retrieve(charge.id, params={"expand": ["refunds"]})
    assert (after.amount_refunded, after.refunded) == (charge.amount, True)
    assert [r.id for r in after.refunds.data] == [rest.id, first.id]
    assert "refunds" not in v1.charges.retrieve(charge.id)
    listed = v1.refunds.list(params={"charge": charge.id})
    assert [r.id for r in listed.data] == [rest.id, first.id]
    assert v1.refunds.retrieve(first.id).metadata.to_dict() == {"ticket": "T-1"}


def test_a_refund_has_its_own_balance_transaction(paid: Any) -> None:
    _, _, v1, charge = paid
    refund = v1.refunds.create(params={"charge": charge.id, "amount": 500,
                                       "expand": ["balance_transaction"]})
    txn = refund.balance_transaction
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.source) == (
        "refund", -500, 0, -500, refund.id)
    listed = v1.balance_transactions.list(params={"type": "refund"})
    assert [t.id for t in listed.data] == [txn.id]
    assert v1.balance_transactions.retrieve(txn.id).reporting_category == "refund"


def test_the_refund_shows_its_customer_from_2026_07_29(paid: Any) -> None:
    world, _, v1, charge = paid
    refund = v1.refunds.create(params={"charge": charge.id})
    if world.api_version >= "2026-07-29":
        assert (refund.customer, refund.payment_method) == (charge.customer,
                                                            charge.payment_method)
    else:
        assert "customer" not in refund and "payment_method" not in refund


def test_updating_a_refund_sends_its_update_events(paid: Any) -> None:
    world, _, v1, charge = paid
    refund = v1.refunds.create(params={"charge": charge.id, "metadata": {"a": "1"}})
    start = len(world.events)
    updated = v1.refunds.update(refund.id, params={"metadata": {"b": "2", "a": ""}})
    assert updated.metadata.to_dict() == {"b": "2"}
    acacia = world.api_version >= "2024-10-28"
    assert _events_since(world, start) == (
        ["charge.refund.updated", "refund.updated"] if acacia else ["charge.refund.updated"])
    assert world.events[start].previous.metadata == {"a": "1"}


@pytest.mark.parametrize(("params", "message", "param"), [
    ({"amount": 999999}, "Refund amount ($9,999.99) is greater than unrefunded amount on "
                         "charge ($29.00)", "amount"),
    ({"charge": "ch_nope"}, "No such charge: 'ch_nope'", "charge"),
    ({"charge": None}, "One of the following params should be provided for this request: "
                       "payment_intent or charge.", None),
])
def test_bad_refunds_are_refused(local: Account, v1: Any, params: dict[str, Any],
                                 message: str, param: str | None) -> None:
    (charge,) = local.world.charges.values()
    body = {k: v for k, v in {"charge": charge.id, **params}.items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.refunds.create(params=body)
    assert info.value.user_message == message
    assert info.value.param == param
    assert local.world.charges[charge.id].amount_refunded == 0


def test_a_refunded_charge_cannot_be_refunded_again_nor_a_card_refund_canceled(
        local: Account, v1: Any) -> None:
    (charge,) = local.world.charges.values()
    refund = v1.refunds.create(params={"charge": charge.id})
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.refunds.create(params={"charge": charge.id})
    assert info.value.code == "charge_already_refunded"
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.refunds.cancel(refund.id)
    assert "requires_action" in info.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.refunds.retrieve("re_missing")
    assert info.value.http_status == 404


def test_refund_events_are_signed_webhooks_in_the_worlds_version() -> None:
    world, _, _ = make_account("2025-09-30.clover")
    fake = FakeStripe(world)
    v1 = fake.stripe_client(stripe_version=world.api_version).v1
    (charge,) = world.charges.values()
    refund = v1.refunds.create(params={"charge": charge.id, "amount": 100})
    listed = v1.events.list(params={"types": ["charge.refunded", "refund.created"]}).data
    assert [(e.type, e.data.object.id) for e in listed] == [
        ("refund.created", refund.id), ("charge.refunded", charge.id)]
    assert listed[1].data.previous_attributes.amount_refunded == 0
    assert listed[0].request.id  # an API request's events carry its Request-Id
