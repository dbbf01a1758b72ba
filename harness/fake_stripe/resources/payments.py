"""Payment methods, setup intents, and the payment objects invoices reference.

Payment methods: create (test cards), retrieve, list for a customer, attach, detach. Setup
intents: create, retrieve, list, confirm. Payment intents, charges and balance
transactions are served from what the World holds for them (refunds: `resources/refunds.py`).
"""

from __future__ import annotations

from typing import Any

from ...sim import api_writes
from ...sim.api_objects import BalanceTransaction
from ...sim.objects import SetupIntent
from .. import errors
from ..handlers import INCLUDABLE, Call, as_string
from ..routes import Route
from .answers import answer, customer_param, get, listing, path_id, searching, world_errors

LIST = {"limit", "starting_after", "ending_before"}
TEST_TOKENS = {"tok_visa": "visa", "tok_mastercard": "mastercard",
               "tok_chargeCustomerFail": "declining"}


def create_payment_method(call: Call) -> dict[str, Any]:
    """A card from a test token (card[token]=tok_visa) or a test PaymentMethod id."""
    p = call.params
    if p.get("type", "card") != "card":
        raise errors.invalid("The fake Stripe creates card payment methods only.", "type")
    card = p.get("card") if isinstance(p.get("card"), dict) else {}
    token = card.get("token") or p.get("payment_method") or "tok_visa"
    kind = TEST_TOKENS.get(token) or api_writes.TEST_PAYMENT_METHODS.get(token)
    if kind is None and card.get("number", "").endswith("0341"):
        kind = "declining"
    if kind is None:
        kind = "mastercard" if card.get("number", "").startswith("5") else "visa"
    pm = api_writes.create_card(call.world, kind)
    return answer(call, pm)


def list_payment_methods(call: Call) -> dict[str, Any]:
    customer = customer_param(call)
    found = [pm for pm in call.world.payment_methods.values()
             if customer is not None and pm.customer == customer
             and call.params.get("type") in (None, "card")]
    return listing(call, found, "/v1/payment_methods", "payment_method")


def attach(call: Call) -> dict[str, Any]:
    customer = customer_param(call, required=True)
    assert customer is not None
    pm_id = call.match["payment_method"]
    if pm_id not in call.world.payment_methods and \
            pm_id not in api_writes.TEST_PAYMENT_METHODS:
        raise errors.no_such("PaymentMethod", pm_id, "payment_method", status=404)
    with world_errors():
        pm = api_writes.attach_payment_method(call.world, pm_id, customer)
    return answer(call, pm)


def detach(call: Call) -> dict[str, Any]:
    pm = get(call, call.world.payment_methods, "PaymentMethod")
    with world_errors():
        api_writes.detach_payment_method(call.world, pm)
    return answer(call, pm)


# -- setup intents -------------------------------------------------------------------------------


def create_setup_intent(call: Call) -> dict[str, Any]:
    world = call.world
    customer = customer_param(call)
    si = SetupIntent(id=world.ids.new("seti"), customer=customer, created=world.now,  # type: ignore[arg-type]
                     payment_method=None, status="requires_payment_method")
    world.setup_intents[si.id] = si
    world.emit("setup_intent.created", si)
    if "payment_method" in call.params:
        _confirm(call, si)
    return answer(call, si)


def _confirm(call: Call, si: SetupIntent) -> None:
    pm_id = as_string(call.params.get("payment_method", ""), "payment_method")
    world = call.world
    with world_errors():
        if si.customer and (pm_id in api_writes.TEST_PAYMENT_METHODS or
                            (world.payment_methods.get(pm_id) is not None and
                            world.payment_methods[pm_id].customer is None)):
            pm = api_writes.attach_payment_method(world, pm_id, si.customer)
        else:
            pm = get(call, world.payment_methods, "PaymentMethod", pm_id,
                     param="payment_method")
    si.payment_method, si.status = pm.id, "succeeded"
    world.emit("setup_intent.succeeded", si)


def confirm_setup_intent(call: Call) -> dict[str, Any]:
    si = get(call, call.world.setup_intents, "setupintent")
    if si.status == "succeeded":
        raise errors.invalid("You cannot confirm this SetupIntent because it has already "
                             "succeeded.", code="setup_intent_unexpected_state")
    if "payment_method" not in call.params:
        raise errors.missing("payment_method")
    _confirm(call, si)
    return answer(call, si)


def list_setup_intents(call: Call) -> dict[str, Any]:
    customer = customer_param(call)
    found = [si for si in call.world.setup_intents.values() if customer in (None, si.customer)]
    return listing(call, found, "/v1/setup_intents", "setup_intent")


# -- balance transactions: derived from the charges that reference them ------------------------


def _balance_transactions(call: Call) -> dict[str, BalanceTransaction]:
    out = {ch.balance_transaction: BalanceTransaction.of_charge(ch)
           for ch in _store(call, "charges").values()
           if getattr(ch, "balance_transaction", None)}
    out.update({r.balance_transaction: BalanceTransaction.of_refund(r)
                for r in _store(call, "refunds").values()})
    return out


def list_balance_transactions(call: Call) -> dict[str, Any]:
    if not hasattr(call.world, "charges"):
        call.notes.append("the simulated World does not model charges: the list is empty")
    q = call.params
    found = [t for t in _balance_transactions(call).values()
             if q.get("source") in (None, t.source) and q.get("type") in (None, t.type)]
    return listing(call, found, "/v1/balance_transactions", "balance_transaction")


def retrieve_balance_transaction(call: Call) -> dict[str, Any]:
    if not hasattr(call.world, "charges"):
        return retriever("charges", "balance transaction")(call)  # the gap: no charges kept
    return answer(call, get(call, _balance_transactions(call), "balance transaction"))


def expand_balance_transaction(call: Call, node: dict[str, Any]) -> Any:
    value = node.get("balance_transaction")
    if not isinstance(value, str):
        return value
    found = _balance_transactions(call).get(value)
    return call.render(found) if found is not None else value


INCLUDABLE[("charge", "balance_transaction")] = expand_balance_transaction


# -- objects the World may hold ------------------------------------------------------------------


def _store(call: Call, name: str) -> dict[str, Any]:
    return getattr(call.world, name, None) or {}


def retriever(store: str, noun: str) -> Any:
    def handler(call: Call) -> dict[str, Any]:
        if not hasattr(call.world, store):  # ids may be referenced, the objects are not kept
            missing = errors.no_such(noun, path_id(call), "id", status=404)
            missing.gap = (f"the simulated World does not model {store.replace('_', ' ')}: "
                           f"{path_id(call)} cannot be served")
            raise missing
        return answer(call, get(call, _store(call, store), noun))

    handler.__name__ = f"retrieve_{store}"
    return handler


def lister(store: str, url: str, noun: str, filters: tuple[str, ...]) -> Any:
    def handler(call: Call) -> dict[str, Any]:
        customer = customer_param(call) if "customer" in filters else None
        if not hasattr(call.world, store):
            call.notes.append(f"the simulated World does not model "
                              f"{store.replace('_', ' ')}: the list is empty")
        found = []
        for obj in _store(call, store).values():
            if customer is not None and getattr(obj, "customer", None) != customer:
                continue
            if any(f in call.params and f != "customer"
                   and getattr(obj, f, None) != call.params[f] for f in filters):
                continue
            found.append(obj)
        return listing(call, found, url, noun)

    handler.__name__ = f"list_{store}"
    return handler


def searcher(store: str, url: str, resource: str, fields: set[str]) -> Any:
    def handler(call: Call) -> dict[str, Any]:
        return searching(call, list(_store(call, store).values()), url, resource, fields)

    handler.__name__ = f"search_{store}"
    return handler


ROUTES = (
    Route.sdk("POST", "/v1/payment_methods", create_payment_method, honours={"type", "card"}),
    Route.sdk("GET", "/v1/payment_methods", list_payment_methods,
              honours=LIST | {"customer", "type"}),
    Route.sdk("GET", "/v1/payment_methods/{payment_method}",
              lambda call: answer(call, get(call, call.world.payment_methods, "PaymentMethod"))),
    Route.sdk("POST", "/v1/payment_methods/{payment_method}/attach", attach, stateful=True,
              honours={"customer"}),
    Route.sdk("POST", "/v1/payment_methods/{payment_method}/detach", detach, stateful=True),
    Route.sdk("POST", "/v1/setup_intents", create_setup_intent, stateful=True,
              honours={"customer", "payment_method", "payment_method_types", "usage",
                       "confirm", "metadata"}),
    Route.sdk("GET", "/v1/setup_intents", list_setup_intents, honours=LIST | {"customer"}),
    Route.sdk("GET", "/v1/setup_intents/{intent}",
              lambda call: answer(call, get(call, call.world.setup_intents, "setupintent"))),
    Route.sdk("POST", "/v1/setup_intents/{intent}/confirm", confirm_setup_intent,
              stateful=True, honours={"payment_method"}),
    Route.sdk("GET", "/v1/payment_intents", lister("payment_intents", "/v1/payment_intents",
                                                  "payment_intent", ("customer",)),
              honours=LIST | {"customer"}),
    Route.sdk("GET", "/v1/payment_intents/search",
              searcher("payment_intents", "/v1/payment_intents/search", "payment_intents",
                       {"amount", "created", "currency", "customer", "metadata", "status"}),
              honours={"query", "limit", "page"}),
    Route.sdk("GET", "/v1/payment_intents/{intent}",
              retriever("payment_intents", "payment_intent")),
    Route.sdk("GET", "/v1/charges", lister("charges", "/v1/charges", "charge",
                                          ("customer", "payment_intent")),
              honours=LIST | {"customer", "payment_intent"}),
    Route.sdk("GET", "/v1/charges/search",
              searcher("charges", "/v1/charges/search", "charges",
                       {"amount", "created", "currency", "customer", "metadata", "status",
                        "payment_intent", "refunded"}),
              honours={"query", "limit", "page"}),
    Route.sdk("GET", "/v1/charges/{charge}", retriever("charges", "charge")),
    Route.sdk("GET", "/v1/balance_transactions", list_balance_transactions,
              honours=LIST | {"source", "type"}),
    Route.sdk("GET", "/v1/balance_transactions/{id}", retrieve_balance_transaction),
    Route.sdk("GET", "/v1/invoice_payments",
              lister("invoice_payments", "/v1/invoice_payments", "invoice_payment",
                     ("invoice", "status")), honours=LIST | {"invoice", "status"}),
    Route.sdk("GET", "/v1/invoice_payments/{invoice_payment}",
              retriever("invoice_payments", "invoice_payment")),
)
