"""Refunds (create, retrieve, update, cancel, list) acting on the World's charges.

A refund names a charge or a payment intent (its latest charge); `harness.sim.refunds` refunds
it and emits Stripe's events. Card refunds succeed at once, so a cancel is Stripe's 400 (only a
refund waiting for the customer, `requires_action`, can be canceled). A charge's `refunds`
list is left out of its body unless expanded (2022-11-15).
"""

from __future__ import annotations

from typing import Any

from ...sim import refunds as sim_refunds
from .. import errors
from ..handlers import INCLUDABLE, Call, as_int, as_string
from ..routes import Route
from .answers import answer, get, listing, metadata, world_errors
from .payments import expand_balance_transaction

LIST = {"limit", "starting_after", "ending_before"}


def _charge_to_refund(call: Call) -> Any:
    p = call.params
    if p.get("charge") and p.get("payment_intent"):
        raise errors.invalid("You cannot specify both a charge and a payment_intent.",
                             "payment_intent")
    if p.get("charge"):
        return get(call, call.world.charges, "charge", as_string(p["charge"], "charge"),
                   param="charge")
    if p.get("payment_intent"):
        pi = get(call, call.world.payment_intents, "payment_intent",
                 as_string(p["payment_intent"], "payment_intent"), param="payment_intent")
        if pi.status != "succeeded" or pi.latest_charge is None:
            raise errors.invalid(f"This PaymentIntent ({pi.id}) does not have a successful "
                                 "charge to refund.", "payment_intent",
                                 code="charge_not_refundable")
        return call.world.charges[pi.latest_charge]
    raise errors.invalid("One of the following params should be provided for this request: "
                         "payment_intent or charge.")


def create(call: Call) -> dict[str, Any]:
    charge = _charge_to_refund(call)
    p = call.params
    amount = None
    if "amount" in p:
        amount = as_int(p["amount"], "amount", low=1)
    left = charge.amount - charge.amount_refunded
    if charge.status == "succeeded" and left <= 0:
        raise errors.invalid(f"Charge {charge.id} has already been refunded.",
                             code="charge_already_refunded")
    if amount is not None and amount > left:
        raise errors.invalid(sim_refunds.too_much(amount, left, charge.currency), "amount")
    with world_errors():
        refund = sim_refunds.refund_charge(call.world, charge, amount, reason=p.get("reason"),
                                           metadata=metadata(p.get("metadata")))
    return answer(call, refund)


def update(call: Call) -> dict[str, Any]:
    refund = get(call, call.world.refunds, "refund")
    if "metadata" in call.params:
        with world_errors():
            sim_refunds.update_refund(call.world, refund, metadata_update(call.params))
    return answer(call, refund)


def metadata_update(p: dict[str, Any]) -> dict[str, str]:
    """metadata[key]= (empty) removes a key, as at Stripe; `metadata=` clears them all."""
    value = p["metadata"]
    if value in ("", None):
        return {}
    if not isinstance(value, dict):
        raise errors.invalid("Invalid hash", "metadata")
    return dict(value)


def cancel(call: Call) -> dict[str, Any]:
    refund = get(call, call.world.refunds, "refund")
    if refund.status != "requires_action":
        raise errors.invalid(f"You can only cancel refunds with a status of `requires_action`; "
                             f"this refund has a status of `{refund.status}`.",
                             code="refund_unexpected_state")
    return answer(call, refund)  # pragma: no cover - card refunds never wait for the customer


def list_refunds(call: Call) -> dict[str, Any]:
    q = call.params
    found = [r for r in call.world.refunds.values()
             if q.get("charge") in (None, r.charge)
             and q.get("payment_intent") in (None, r.payment_intent)]
    return listing(call, found, "/v1/refunds", "refund")


def _charge_refunds(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """expand[]=refunds on a charge: its refunds, newest first, as Stripe lists them."""
    charge = call.world.charges[body["id"]]
    data = [call.render(call.world.refunds[r]) for r in reversed(charge.refunds)]
    return {"object": "list", "data": data, "has_more": False,
            "total_count": len(data), "url": f"/v1/charges/{charge.id}/refunds"}


INCLUDABLE[("charge", "refunds")] = _charge_refunds
INCLUDABLE[("refund", "balance_transaction")] = expand_balance_transaction

ROUTES = (
    Route.sdk("POST", "/v1/refunds", create, stateful=True,
              honours={"charge", "payment_intent", "amount", "reason", "metadata"}),
    Route.sdk("GET", "/v1/refunds", list_refunds, honours=LIST | {"charge", "payment_intent"}),
    Route.sdk("GET", "/v1/refunds/{refund}",
              lambda call: answer(call, get(call, call.world.refunds, "refund"))),
    Route.sdk("POST", "/v1/refunds/{refund}", update, stateful=True, honours={"metadata"}),
    Route.sdk("POST", "/v1/refunds/{refund}/cancel", cancel),
)
