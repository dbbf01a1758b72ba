"""Payment methods, setup intents and the payment objects, through stripe-python."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .accounts import Account


def test_create_attach_list_detach(local: Account, v1: Any) -> None:
    pm = v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_mastercard"}})
    assert pm.customer is None and pm.card.last4 == "4444"
    attached = v1.payment_methods.attach(pm.id, params={"customer": local.customer.id})
    assert attached.customer == local.customer.id
    assert local.world.events[-1].type == "payment_method.attached"
    listed = v1.payment_methods.list(params={"customer": local.customer.id, "type": "card"})
    assert pm.id in [p.id for p in listed.data]
    assert v1.payment_methods.retrieve(pm.id).id == pm.id
    assert v1.payment_methods.detach(pm.id).customer is None
    assert local.world.events[-1].type == "payment_method.detached"
    with pytest.raises(stripe.InvalidRequestError, match="not attached"):
        v1.payment_methods.detach(pm.id)


def test_setup_intent_confirms_a_card(local: Account, v1: Any) -> None:
    intent = v1.setup_intents.create(params={"customer": local.customer.id})
    assert intent.status == "requires_payment_method"
    done = v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert done.status == "succeeded" and done.payment_method
    assert v1.payment_methods.retrieve(done.payment_method).customer == local.customer.id
    assert [s.id for s in v1.setup_intents.list(params={"customer": local.customer.id}).data] \
        == [intent.id]
    assert v1.setup_intents.retrieve(intent.id).status == "succeeded"


def test_payment_objects_are_served_from_the_world(local: Account, v1: Any) -> None:
    """Lists show what the World holds for payments (none yet in this World: empty lists and
    Stripe's 404 for ids)."""
    for service in (v1.payment_intents, v1.charges, v1.refunds, v1.balance_transactions):
        held = getattr(local.world, {v1.payment_intents: "payment_intents",
                                     v1.charges: "charges", v1.refunds: "refunds",
                                     v1.balance_transactions: "balance_transactions"}[service],
                       {})
        assert len(service.list().data) == min(len(held), 10)
    assert v1.payment_intents.search(params={"query": "status:'succeeded'"}).object == (
        "search_result")
    assert v1.charges.search(params={"query": "amount>0"}).object == "search_result"
    for call in (lambda: v1.charges.retrieve("ch_missing"),
                 lambda: v1.payment_intents.retrieve("pi_missing"),
                 lambda: v1.refunds.retrieve("re_missing"),
                 lambda: v1.balance_transactions.retrieve("txn_missing")):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert info.value.http_status == 404 and info.value.code == "resource_missing"
