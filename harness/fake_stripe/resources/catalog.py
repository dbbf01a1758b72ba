"""Products, prices and product features: the catalog served as real objects.

The World's catalog seeds them (same ids, amounts and intervals the flows bill); apps can create
and update more (product.created / price.updated ...). A recurring price created here can be
subscribed to at once.
"""

from __future__ import annotations

from typing import Any

from ...sim import api_writes
from ...sim.api_objects import Feature, ProductFeature
from .. import errors
from ..handlers import Call, as_int, as_string
from ..routes import Route
from .answers import (
    answer,
    deleted,
    flag,
    get,
    listing,
    metadata,
    prices,
    products,
    searching,
    world_errors,
)

LIST = {"limit", "starting_after", "ending_before"}


# -- products ------------------------------------------------------------------------------------


def create_product(call: Call) -> dict[str, Any]:
    p = call.params
    fields: dict[str, Any] = {"metadata": metadata(p.get("metadata"))}
    if "id" in p:
        fields["id"] = as_string(p["id"], "id")
    if "description" in p:
        fields["description"] = p["description"] or None
    if "active" in p:
        fields["active"] = flag(p["active"], "active")
    with world_errors():
        product = api_writes.create_product(call.world, as_string(p["name"], "name"), **fields)
        data = p.get("default_price_data")
        if isinstance(data, dict):
            price = _new_price(call, product.id, data, "default_price_data")
            product.default_price = price.id
    return answer(call, product)


def _update_fields(call: Call, names: tuple[str, ...]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in names:
        if name not in call.params:
            continue
        value = call.params[name]
        changes[name] = (flag(value, name) if name == "active"
                         else value if name == "metadata" else (value or None))
    return changes


def update_product(call: Call) -> dict[str, Any]:
    product = get(call, products(call), "product")
    changes = _update_fields(call, ("name", "description", "active", "metadata",
                                    "default_price"))
    if changes.get("default_price") and changes["default_price"] not in prices(call):
        raise errors.no_such("price", changes["default_price"], "default_price")
    api_writes.update(call.world, product, "product.updated", changes)
    return answer(call, product)


def delete_product(call: Call) -> dict[str, Any]:
    product = get(call, products(call), "product")
    if any(p.product == product.id for p in prices(call).values()):
        raise errors.invalid("This product cannot be deleted because it has one or more "
                             "user-created prices.")
    del call.world.api.products[product.id]
    call.world.emit("product.deleted", product)
    return deleted(product.id, "product")


def list_products(call: Call) -> dict[str, Any]:
    active = call.params.get("active")
    ids = call.params.get("ids")
    found = [p for p in products(call).values()
             if (active is None or p.active == flag(active, "active"))
             and (not isinstance(ids, list) or p.id in ids)]
    return listing(call, found, "/v1/products", "product")


def search_products(call: Call) -> dict[str, Any]:
    return searching(call, list(products(call).values()), "/v1/products/search", "products",
                     {"active", "created", "description", "metadata", "name", "shippable",
                      "url"})


# -- prices --------------------------------------------------------------------------------------


def _new_price(call: Call, product: str, p: dict[str, Any], prefix: str = "") -> Any:
    def name(key: str) -> str:
        return f"{prefix}[{key}]" if prefix else key

    if "unit_amount" not in p:
        raise errors.missing(name("unit_amount"))
    recurring = p.get("recurring")
    interval = count = None
    if isinstance(recurring, dict):
        interval = as_string(recurring.get("interval", ""), name("recurring][interval"))
        count = as_int(recurring.get("interval_count", "1"), "recurring[interval_count]",
                       low=1, high=365)
    fields = {"metadata": metadata(p.get("metadata"))}
    for key in ("nickname", "lookup_key"):
        if key in p:
            fields[key] = p[key] or None
    with world_errors():
        return api_writes.create_price(
            call.world, product, as_int(p["unit_amount"], name("unit_amount"), low=0),
            as_string(p.get("currency", ""), name("currency")).lower(), interval, count or 1,
            **fields)


def create_price(call: Call) -> dict[str, Any]:
    p = call.params
    if "product" in p:
        product = as_string(p["product"], "product")
        if product not in products(call):
            raise errors.no_such("product", product, "product")
    elif isinstance(p.get("product_data"), dict):
        with world_errors():
            product = api_writes.create_product(
                call.world, as_string(p["product_data"].get("name", ""), "product_data[name]"),
                metadata=metadata(p["product_data"].get("metadata"))).id
    else:
        raise errors.invalid("You must specify either `product` or `product_data` when "
                             "creating a price.", "product")
    return answer(call, _new_price(call, product, p))


def update_price(call: Call) -> dict[str, Any]:
    price = get(call, prices(call), "price")
    changes = _update_fields(call, ("active", "nickname", "lookup_key", "metadata"))
    api_writes.update(call.world, price, "price.updated", changes)
    return answer(call, price)


def list_prices(call: Call) -> dict[str, Any]:
    q = call.params
    keys = q.get("lookup_keys")
    recurring = q.get("recurring") if isinstance(q.get("recurring"), dict) else {}
    found = [
        p for p in prices(call).values()
        if (q.get("active") is None or p.active == flag(q["active"], "active"))
        and q.get("product") in (None, p.product) and q.get("currency") in (None, p.currency)
        and q.get("type") in (None, "recurring" if p.interval else "one_time")
        and (not isinstance(keys, list) or p.lookup_key in keys)
        and recurring.get("interval") in (None, p.interval)
    ]
    return listing(call, found, "/v1/prices", "price")


def search_prices(call: Call) -> dict[str, Any]:
    return searching(call, list(prices(call).values()), "/v1/prices/search", "prices",
                     {"active", "currency", "lookup_key", "metadata", "product", "type"})


# -- features ------------------------------------------------------------------------------------


def create_feature(call: Call) -> dict[str, Any]:
    p = call.params
    feature = Feature(call.world.ids.new("feat", short=True), as_string(p["name"], "name"),
                      as_string(p["lookup_key"], "lookup_key"), call.world.now,
                      metadata=metadata(p.get("metadata")))
    if any(f.lookup_key == feature.lookup_key for f in call.world.api.features.values()):
        raise errors.invalid(f"A feature with lookup_key {feature.lookup_key} already exists.",
                             "lookup_key")
    call.world.api.features[feature.id] = feature
    return answer(call, feature)


def list_features(call: Call) -> dict[str, Any]:
    key = call.params.get("lookup_key")
    found = [f for f in call.world.api.features.values() if key in (None, f.lookup_key)]
    return listing(call, found, "/v1/entitlements/features", "feature")


def retrieve_feature(call: Call) -> dict[str, Any]:
    return answer(call, get(call, call.world.api.features, "feature"))


def _product_feature(call: Call, pf: ProductFeature) -> dict[str, Any]:
    body = answer(call, pf)
    feature = call.world.api.features.get(pf.feature)
    if feature is not None:
        body["entitlement_feature"] = call.render(feature)
    return body


def list_product_features(call: Call) -> dict[str, Any]:
    product = get(call, products(call), "product", call.match["product"])
    found = [pf for pf in call.world.api.product_features.values() if pf.product == product.id]
    body = listing(call, found, f"/v1/products/{product.id}/features", "product_feature")
    for item in body["data"]:
        feature = call.world.api.features.get(item["entitlement_feature"]["id"])
        if feature is not None:
            item["entitlement_feature"] = call.render(feature)
    return body


def create_product_feature(call: Call) -> dict[str, Any]:
    product = get(call, products(call), "product", call.match["product"])
    feature = get(call, call.world.api.features, "feature",
                  as_string(call.params["entitlement_feature"], "entitlement_feature"),
                  param="entitlement_feature")
    pf = ProductFeature(call.world.ids.new("prodft", short=True), product.id, feature.id,
                        call.world.now)
    call.world.api.product_features[pf.id] = pf
    return _product_feature(call, pf)


def retrieve_product_feature(call: Call) -> dict[str, Any]:
    pf = get(call, call.world.api.product_features, "product_feature", call.match["id"])
    if pf.product != call.match["product"]:
        raise errors.no_such("product_feature", pf.id, "id", status=404)
    return _product_feature(call, pf)


def delete_product_feature(call: Call) -> dict[str, Any]:
    pf = get(call, call.world.api.product_features, "product_feature", call.match["id"])
    del call.world.api.product_features[pf.id]
    return deleted(pf.id, "product_feature")


def retrieve_product(call: Call) -> dict[str, Any]:
    return answer(call, get(call, products(call), "product"))


def retrieve_price(call: Call) -> dict[str, Any]:
    return answer(call, get(call, prices(call), "price"))


ROUTES = (
    Route.sdk("POST", "/v1/products", create_product, stateful=True,
              honours={"name", "id", "description", "active", "metadata",
                       "default_price_data"}),
    Route.sdk("GET", "/v1/products", list_products, honours=LIST | {"active", "ids"}),
    Route.sdk("GET", "/v1/products/search", search_products, honours={"query", "limit", "page"}),
    Route.sdk("GET", "/v1/products/{id}", retrieve_product),
    Route.sdk("POST", "/v1/products/{id}", update_product, stateful=True,
              honours={"name", "description", "active", "metadata", "default_price"}),
    Route.sdk("DELETE", "/v1/products/{id}", delete_product, stateful=True),
    Route.sdk("GET", "/v1/products/{product}/features", list_product_features, honours=LIST),
    Route.sdk("POST", "/v1/products/{product}/features", create_product_feature),
    Route.sdk("GET", "/v1/products/{product}/features/{id}", retrieve_product_feature),
    Route.sdk("DELETE", "/v1/products/{product}/features/{id}", delete_product_feature),
    Route.sdk("POST", "/v1/prices", create_price, stateful=True,
              honours={"product", "product_data", "unit_amount", "currency", "recurring",
                       "nickname", "lookup_key", "metadata"}),
    Route.sdk("GET", "/v1/prices", list_prices,
              honours=LIST | {"active", "product", "currency", "type", "lookup_keys",
                              "recurring"}),
    Route.sdk("GET", "/v1/prices/search", search_prices, honours={"query", "limit", "page"}),
    Route.sdk("GET", "/v1/prices/{price}", retrieve_price),
    Route.sdk("POST", "/v1/prices/{price}", update_price, stateful=True,
              honours={"active", "nickname", "lookup_key", "metadata"}),
    Route.sdk("POST", "/v1/entitlements/features", create_feature,
              honours={"name", "lookup_key", "metadata"}),
    Route.sdk("GET", "/v1/entitlements/features", list_features, honours=LIST | {"lookup_key"}),
    Route.sdk("GET", "/v1/entitlements/features/{id}", retrieve_feature),
)
