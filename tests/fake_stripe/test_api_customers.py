"""Customers through stripe-python: writes emit Stripe's events, reads show the World."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .accounts import Account


def _events(local: Account, type_: str) -> list[Any]:
    return [e for e in local.world.events if e.type == type_]


def test_create_emits_customer_created_with_what_was_sent(local: Account, v1: Any) -> None:
    made = v1.customers.create(params={"email": "n@example.test", "name": "N",
                                       "metadata": {"user_id": "7"}, "phone": "+15550100"})
    assert (made.email, made.name, made.metadata["user_id"], made.phone) == (
        "n@example.test", "N", "7", "+15550100")
    created = _events(local, "customer.created")[-1]
    assert created.object.id == made.id and created.object.metadata == {"user_id": "7"}
    assert v1.customers.retrieve(made.id).email == "n@example.test"


def test_update_merges_metadata_and_emits_previous_attributes(local: Account, v1: Any) -> None:
    made = v1.customers.create(params={"email": "n@example.test", "metadata": {"a": "1",
                                                                                "b": "2"}})
    got = v1.customers.update(made.id, params={"name": "New", "metadata": {"a": ""}})
    assert (got.name, got.metadata.to_dict()) == ("New", {"b": "2"})
    event = local.fake.stripe_client().v1.events.retrieve(
        _events(local, "customer.updated")[-1].id)
    assert event.data.previous_attributes["metadata"].to_dict() == {"a": "1"}


def test_delete_cancels_subscriptions_and_leaves_a_deleted_stub(local: Account,
                                                                v1: Any) -> None:
    answer = v1.customers.delete(local.customer.id)
    assert answer.deleted is True
    assert local.subscription.status == "canceled"
    assert [e.type for e in local.world.events[-2:]] == [
        "customer.subscription.deleted", "customer.deleted"]
    assert v1.customers.retrieve(local.customer.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        v1.customers.update(local.customer.id, params={"name": "x"})
    assert info.value.http_status == 404


def test_expand_sources_and_the_default_payment_method(local: Account, v1: Any) -> None:
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": local.customer.id})
    v1.customers.update(local.customer.id,
                        params={"invoice_settings": {"default_payment_method": pm.id}})
    got = v1.customers.retrieve(local.customer.id, params={
        "expand": ["sources", "subscriptions", "invoice_settings.default_payment_method"]})
    assert got.sources.object == "list" and got.sources.data == []
    assert [s.id for s in got.subscriptions.data] == [local.subscription.id]
    assert got.invoice_settings.default_payment_method.card.last4 == "4242"
    assert "sources" not in v1.customers.retrieve(local.customer.id)


def test_list_pages_forwards_backwards_and_auto_pages(local: Account, v1: Any) -> None:
    made = [v1.customers.create(params={"email": f"c{i}@example.test"}).id for i in range(5)]
    every = [c.id for c in v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert len(every) == 6 and set(made) <= set(every)
    first = v1.customers.list(params={"limit": 2})
    assert first.has_more is True and len(first.data) == 2
    back = v1.customers.list(params={"limit": 2, "ending_before": every[3]})
    assert [c.id for c in back.data] == every[1:3] and back.has_more is True
    assert v1.customers.list(params={"email": "c3@example.test"}).data[0].id == made[3]


def test_search_reads_metadata_email_and_or(local: Account, v1: Any) -> None:
    a = v1.customers.create(params={"email": "x@example.test", "metadata": {"team": "red"}})
    b = v1.customers.create(params={"email": "y@example.test", "metadata": {"team": "blue"}})
    ids = lambda q: {c.id for c in v1.customers.search(params={"query": q}).data}  # noqa: E731
    assert ids("metadata['team']:'red'") == {a.id}
    assert ids("email:'y@example.test' OR metadata['team']:'red'") == {a.id, b.id}
    assert ids("email:'y@example.test' AND metadata['team']:'red'") == set()
    assert ids("-metadata['team']:'red' AND email~'example'") == {b.id, local.customer.id}
    with pytest.raises(stripe.InvalidRequestError, match="unsupported search field"):
        v1.customers.search(params={"query": "status:'active'"})


def test_search_pages_with_next_page(local: Account, v1: Any) -> None:
    for i in range(3):
        v1.customers.create(params={"email": f"p{i}@example.test"})
    found = v1.customers.search(params={"query": "email~'example'", "limit": 2})
    assert found.has_more is True and found.next_page
    every = list(found.auto_paging_iter())
    assert len({c.id for c in every}) == 4


def test_a_customers_payment_methods(local: Account, v1: Any) -> None:
    pm = v1.payment_methods.attach("pm_card_mastercard", params={"customer": local.customer.id})
    listed = v1.customers.payment_methods.list(local.customer.id)
    assert pm.id in [p.id for p in listed.data]
    got = v1.customers.payment_methods.retrieve(local.customer.id, pm.id)
    assert got.card.last4 == "4444"
    assert v1.customers.payment_sources.list(local.customer.id).data == []
