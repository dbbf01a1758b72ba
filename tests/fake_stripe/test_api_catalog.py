"""Products, prices and features through stripe-python: the catalog as real objects."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .accounts import Account


def test_the_catalog_is_served_as_products_and_prices(v1: Any) -> None:
    product = v1.products.retrieve("prod_pro")
    assert (product.name, product.default_price, product.active) == (
        "Pro", "price_pro_monthly", True)
    price = v1.prices.retrieve("price_pro_annual", params={"expand": ["product"]})
    assert (price.unit_amount, price.recurring.interval, price.product.id) == (
        29000, "year", "prod_pro")
    assert {p.id for p in v1.prices.list(params={"product": "prod_pro"}).data} == {
        "price_pro_monthly", "price_pro_annual"}
    assert len(v1.products.list().data) == 3


def test_created_products_and_prices_emit_events_and_can_be_subscribed(
        local: Account, v1: Any) -> None:
    product = v1.products.create(params={"name": "Team", "metadata": {"tier": "4"}})
    price = v1.prices.create(params={"product": product.id, "unit_amount": 4900,
                                     "currency": "usd", "recurring": {"interval": "month"},
                                     "lookup_key": "team_monthly"})
    assert [e.type for e in local.world.events[-2:]] == ["product.created", "price.created"]
    assert v1.prices.list(params={"lookup_keys": ["team_monthly"]}).data[0].id == price.id
    pm = v1.payment_methods.attach("pm_card_visa", params={"customer": local.customer.id})
    sub = v1.subscriptions.create(params={"customer": local.customer.id,
                                          "items": [{"price": price.id}],
                                          "default_payment_method": pm.id})
    assert (sub.status, sub["items"].data[0].price.id) == ("active", price.id)


def test_update_and_search(local: Account, v1: Any) -> None:
    product = v1.products.create(params={"name": "Widget"})
    updated = v1.products.update(product.id, params={"description": "Blue", "active": False})
    assert (updated.description, updated.active) == ("Blue", False)
    assert local.world.events[-1].type == "product.updated"
    assert [p.id for p in v1.products.search(params={"query": "name~'Widg'"}).data] == [
        product.id]
    assert [p.id for p in v1.products.list(params={"active": False}).data] == [product.id]
    price = v1.prices.update("price_basic_monthly", params={"nickname": "Basic"})
    assert price.nickname == "Basic"
    found = v1.prices.search(params={"query": "product:'prod_pro' AND active:'true'"})
    assert {p.id for p in found.data} == {"price_pro_monthly", "price_pro_annual"}


def test_a_price_with_product_data_makes_its_product(v1: Any) -> None:
    price = v1.prices.create(params={"product_data": {"name": "Add-on"}, "unit_amount": 100,
                                     "currency": "usd"})
    assert price.type == "one_time" and price.recurring is None
    assert v1.products.retrieve(price.product).name == "Add-on"


def test_product_features(v1: Any) -> None:
    feature = v1.entitlements.features.create(params={"name": "SSO", "lookup_key": "sso"})
    assert v1.entitlements.features.retrieve(feature.id).lookup_key == "sso"
    assert [f.id for f in v1.entitlements.features.list().data] == [feature.id]
    attached = v1.products.features.create("prod_pro",
                                           params={"entitlement_feature": feature.id})
    listed = v1.products.features.list("prod_pro")
    assert [f.entitlement_feature.lookup_key for f in listed.data] == ["sso"]
    assert v1.products.features.retrieve("prod_pro", attached.id).id == attached.id
    assert v1.products.features.delete("prod_pro", attached.id).deleted is True
    assert v1.products.features.list("prod_pro").data == []


def test_a_product_with_prices_cannot_be_deleted_but_a_bare_one_can(v1: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="has one or more"):
        v1.products.delete("prod_pro")
    bare = v1.products.create(params={"name": "Bare"})
    assert v1.products.delete(bare.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError, match="No such product"):
        v1.products.retrieve(bare.id)
