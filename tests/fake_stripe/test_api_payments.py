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


def test_unknown_payment_ids_are_stripes_404(local: Account, v1: Any) -> None:
    for call in (lambda: v1.charges.retrieve("ch_missing"),
                 lambda: v1.payment_intents.retrieve("pi_missing"),
                 lambda: v1.refunds.retrieve("re_missing"),
                 lambda: v1.balance_transactions.retrieve("txn_missing"),
                 lambda: v1.invoice_payments.retrieve("inpay_missing"),
                 lambda: v1.subscription_schedules.retrieve("sub_sched_missing")):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert info.value.http_status == 404 and info.value.code == "resource_missing"
        # An id the World cannot hold is the harness's gap; one it could hold is the app's 404.
        modelled = hasattr(local.world, {"ch": "charges", "pi": "payment_intents", "re": "refunds",
                                         "txn": "charges", "inpay": "invoice_payments",
                                         "sub": "subscription_schedules"}[
            local.fake.requests[-1].path.split("/")[-1].split("_")[0]])
        assert (local.fake.requests[-1].gap is None) is modelled
    assert v1.refunds.list().data == []  # none made yet: an empty list, not a gap
    assert local.fake.requests[-1].gap is None
    assert v1.payment_intents.search(params={"query": "status:'succeeded'"}).object == (
        "search_result")


def test_the_payments_behind_a_paid_invoice(local: Account, v1: Any) -> None:
    if not hasattr(local.world, "charges"):
        pytest.skip("this build's World does not model payment intents and charges")
    invoice = local.world.invoices[local.subscription.latest_invoice]
    intents = v1.payment_intents.list(params={"customer": local.customer.id}).data
    assert [p.id for p in intents] == [invoice.payment_intent]
    intent = v1.payment_intents.retrieve(invoice.payment_intent)
    assert (intent.status, intent.amount) == ("succeeded", 2900)
    charge = v1.charges.retrieve(intent.latest_charge, params={
        "expand": ["balance_transaction"]})
    txn = charge.balance_transaction
    assert (txn.object, txn.source, txn.amount, txn.fee, txn.net) == (
        "balance_transaction", charge.id, 2900, 114, 2786)
    assert v1.balance_transactions.retrieve(txn.id).source == charge.id
    assert [t.id for t in v1.balance_transactions.list(params={"source": charge.id}).data] == [
        txn.id]
    assert [c.id for c in v1.charges.list(params={"customer": local.customer.id}).data] == [
        charge.id]
    assert v1.charges.search(params={"query": "status:'succeeded'"}).data[0].id == charge.id
    payments = v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert [p.invoice for p in payments] == [invoice.id]
    assert v1.invoice_payments.retrieve(payments[0].id).id == payments[0].id
