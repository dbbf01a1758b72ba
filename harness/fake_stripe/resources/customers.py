"""Customers: create, retrieve, update, delete, list, search, and a customer's payment methods.

Writes go through `harness.sim.api_writes` (customer.created / .updated / .deleted). Fields the
World does not model (description, phone, address, shipping) are kept as stored fields of the
object and shown on API reads, not in events.
"""

from __future__ import annotations

from typing import Any

from ...sim import api_writes
from .. import errors
from ..handlers import INCLUDABLE, Call, as_string
from ..routes import Route
from .answers import (
    answer,
    deleted,
    get,
    listing,
    metadata,
    path_id,
    searching,
    world_errors,
)

STORED = {"description", "phone", "address", "shipping", "preferred_locales"}
WRITES = {"email", "name", "metadata", "payment_method", "invoice_settings"} | STORED


def _customer(call: Call) -> Any:
    object_id = path_id(call)
    if call.world.api.deleted.get(object_id) == "customer":
        return None
    return get(call, call.world.customers, "customer", object_id)


def _default_pm(call: Call) -> str | bool | None:
    settings = call.params.get("invoice_settings")
    if not isinstance(settings, dict) or "default_payment_method" not in settings:
        return False
    value = settings["default_payment_method"]
    if value == "":
        return None
    if value not in call.world.payment_methods:
        raise errors.no_such("PaymentMethod", value,
                             "invoice_settings[default_payment_method]")
    return value


def _store(call: Call, object_id: str) -> None:
    stored = {k: call.params[k] for k in STORED if k in call.params}
    if stored:
        call.world.api.overlays.setdefault(object_id, {}).update(
            {k: (None if v == "" else v) for k, v in stored.items()})


def create(call: Call) -> dict[str, Any]:
    p = call.params
    default_pm = _default_pm(call)
    with world_errors():
        cust = api_writes.create_customer(
            call.world, email=p.get("email"), name=p.get("name"),
            metadata=metadata(p.get("metadata")), payment_method=p.get("payment_method"),
            default_payment_method=default_pm or None)
    _store(call, cust.id)
    return answer(call, cust)


def retrieve(call: Call) -> dict[str, Any]:
    cust = _customer(call)
    if cust is None:
        return deleted(path_id(call), "customer")
    return answer(call, cust)


def update(call: Call) -> dict[str, Any]:
    cust = _customer(call)
    if cust is None:
        raise errors.no_such("customer", path_id(call), "id", status=404)
    p = call.params
    changes: dict[str, Any] = {k: p[k] for k in ("email", "name", "metadata") if k in p}
    default_pm = _default_pm(call)
    if default_pm is not False:
        changes["default_payment_method"] = default_pm
    with world_errors():
        if "payment_method" in p:
            api_writes.attach_payment_method(call.world, as_string(p["payment_method"],
                                                                   "payment_method"), cust.id)
        if changes:
            api_writes.update(call.world, cust, "customer.updated", changes)
    _store(call, cust.id)
    return answer(call, cust)


def delete(call: Call) -> dict[str, Any]:
    cust = _customer(call)
    if cust is None:
        raise errors.no_such("customer", path_id(call), "id", status=404)
    api_writes.delete_customer(call.world, cust)
    return deleted(cust.id, "customer")


def list_customers(call: Call) -> dict[str, Any]:
    email = call.params.get("email")
    found = [c for c in call.world.customers.values() if email is None or c.email == email]
    return listing(call, found, "/v1/customers", "customer")


def search(call: Call) -> dict[str, Any]:
    return searching(call, list(call.world.customers.values()), "/v1/customers/search",
                     "customers", {"created", "email", "metadata", "name", "phone"})


def list_payment_methods(call: Call) -> dict[str, Any]:
    """GET /v1/customers/{customer}/payment_methods (cards only: the World holds cards)."""
    customer = path_id(call)
    get(call, call.world.customers, "customer", customer)
    kind = call.params.get("type")
    found = [pm for pm in call.world.payment_methods.values()
             if pm.customer == customer and kind in (None, "card")]
    return listing(call, found, f"/v1/customers/{customer}/payment_methods", "payment_method")


def retrieve_payment_method(call: Call) -> dict[str, Any]:
    customer = call.match["customer"]
    pm = get(call, call.world.payment_methods, "PaymentMethod", call.match["payment_method"])
    if pm.customer != customer:
        raise errors.no_such("PaymentMethod", pm.id, "id", status=404)
    return answer(call, pm)


def list_sources(call: Call) -> dict[str, Any]:
    """GET /v1/customers/{customer}/sources: the World holds no legacy sources."""
    customer = path_id(call)
    get(call, call.world.customers, "customer", customer)
    return listing(call, [], f"/v1/customers/{customer}/sources", "source")


ROUTES = (
    Route.sdk("POST", "/v1/customers", create, stateful=True,
              honours=WRITES),
    Route.sdk("GET", "/v1/customers", list_customers,
              honours={"email", "limit", "starting_after", "ending_before"}),
    Route.sdk("GET", "/v1/customers/search", search, honours={"query", "limit", "page"}),
    Route.sdk("GET", "/v1/customers/{customer}", retrieve),
    Route.sdk("POST", "/v1/customers/{customer}", update, stateful=True, honours=WRITES),
    Route.sdk("DELETE", "/v1/customers/{customer}", delete, stateful=True),
    Route.sdk("GET", "/v1/customers/{customer}/payment_methods", list_payment_methods,
              honours={"type", "limit", "starting_after", "ending_before"}),
    Route.sdk("GET", "/v1/customers/{customer}/payment_methods/{payment_method}",
              retrieve_payment_method),
    Route.sdk("GET", "/v1/customers/{customer}/sources", list_sources,
              honours={"limit", "starting_after", "ending_before", "object"}),
)


def _sources(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": [], "has_more": False,
            "url": f"/v1/customers/{body['id']}/sources"}


def _subscriptions(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    subs = [s for s in call.world.subscriptions_of(body["id"]) if s.status != "canceled"]
    return {"object": "list", "data": [call.render(s) for s in subs], "has_more": False,
            "url": f"/v1/customers/{body['id']}/subscriptions"}


def _tax_ids(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": [], "has_more": False,
            "url": f"/v1/customers/{body['id']}/tax_ids"}


INCLUDABLE.update({("customer", "sources"): _sources,
                   ("customer", "subscriptions"): _subscriptions,
                   ("customer", "tax_ids"): _tax_ids})
