"""Seat verbs of the World: the customer changes the quantity of their subscription in the
portal (`features.subscription_update.default_allowed_updates` includes `quantity`).

The item's quantity changes now; prorations follow the proration behaviour as for a plan switch:
a credit for the unused time at the old quantity and a debit for the rest of the period at the
new one, pending (`create_prorations`) or invoiced at once (`always_invoice`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ScenarioError
from .billing import action

if TYPE_CHECKING:
    from .objects import Subscription
    from .world import World


class SeatVerbs:
    """Mixed into World; uses its stores, clock, ids and emit()."""

    @action
    def change_quantity(self: World, sub: Subscription, quantity: int, *,
                        proration_behavior: str | None = None) -> None:
        self._require_live(sub, "change the quantity")
        proration_behavior = self._proration(proration_behavior, sub.customer)
        if (portal := self.portal_of(sub.customer)) is not None:
            portal.check_update("quantity")
        if proration_behavior not in ("create_prorations", "always_invoice", "none"):
            raise ScenarioError(f"unknown proration_behavior {proration_behavior!r}")
        if quantity < 1:
            raise ScenarioError(f"quantity must be at least 1, not {quantity}")
        item = sub.items[0]
        if quantity == item.quantity:
            raise ScenarioError(f"subscription {sub.id} already has quantity {quantity}")
        before = sub.snapshot()
        prorations = []
        if proration_behavior != "none":
            credit = self._proration_items(sub, item.price, item.price, item.quantity, item.id,
                                           debit=False)
            debit = self._proration_items(sub, item.price, item.price, quantity, item.id,
                                          debit=False, sign=1)
            prorations = credit + debit
        item.quantity = quantity
        if proration_behavior != "always_invoice":
            for ii in prorations:  # as a plan switch: the items, then the update
                self.emit("invoiceitem.created", ii)
            self.emit("customer.subscription.updated", sub, before=before)
            return
        inv = self._new_invoice(sub, "subscription_update", cycle=False)
        sub.latest_invoice = inv.id
        self.emit("customer.subscription.updated", sub, before=before)
        for ii in prorations:
            self.emit("invoiceitem.created", ii)
        self.emit("invoice.created", inv)
        self._finalize(inv, request="portal")
