"""Seat verbs of the World: the customer changes the quantity of their subscription in the
portal (`features.subscription_update.default_allowed_updates` includes `quantity`).

The item's quantity changes now; prorations follow the proration behaviour as for a plan switch:
a credit for the unused time at the old quantity and a debit for the rest of the period at the
new one, pending (`create_prorations`) or invoiced at once (`always_invoice`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
        # as a plan switch: the items, then the update; or invoiced at once
        self._emit_update(sub, before, prorations,
                          invoice_now=proration_behavior == "always_invoice")


class TrialVerbs:
    """Trials: a Checkout with a trial period, trial_will_end three days before it ends."""

    def _checkout_trial(self: World, customer_id: str, price_id: str, quantity: int, card: str,
                        client_reference_id: str | None, trial_days: int) -> Subscription:
        from .objects import CheckoutSession, Subscription, SubscriptionItem

        if trial_days < 1:
            raise ScenarioError(f"trial_days must be at least 1, not {trial_days}")
        cust = self.customer(customer_id)
        price = self.catalog.price(price_id)
        pm = self._new_card(cust.id, card)
        start, end = self.now, self.now + trial_days * 86400
        sub = Subscription(
            id=self.ids.new("sub"), customer=cust.id, created=start, status="trialing",
            billing_mode=self.billing_mode, billing_cycle_anchor=end, currency=price.currency,
            items=[SubscriptionItem(self.ids.new("si", short=True), price.id, quantity, start,
                                    start, end)],
            default_payment_method=pm.id, trial_start=start, trial_end=end,
        )
        self.subscriptions[sub.id] = sub
        inv = self._new_invoice(sub, "subscription_create", cycle=True, trial=True)
        sub.latest_invoice = inv.id
        session = CheckoutSession(
            id="cs_test_" + self.ids.token(58), customer=cust.id, customer_email=cust.email,
            created=start, subscription=sub.id, invoice=inv.id, amount_total=0,
            currency=price.currency, client_reference_id=client_reference_id,
        )
        self.checkout_sessions[session.id] = session
        self._pay_trial_checkout(sub, inv, pm)
        self.emit("checkout.session.completed", session, request="checkout")
        return sub

    def _pay_trial_checkout(self: World, sub: Subscription, inv: Any, pm: Any) -> None:
        """The events of a Checkout with a trial up to `checkout.session.completed`; shared
        with an app's own sessions that ask for a trial (`subscription_data`)."""
        self.emit("payment_method.attached", pm, request="checkout")
        self.emit("customer.subscription.created", sub, request="checkout")
        self.emit("invoice.created", inv, request="checkout")
        self._open(inv)
        self.emit("invoice.finalized", inv, request="checkout")
        self._attempt_payment(inv, request="checkout", counted=False)  # $0: paid at once

    def _trial_will_end(self: World, sub: Subscription) -> None:
        """customer.subscription.trial_will_end, three days before the trial ends."""
        sub.trial_will_end_sent = True
        self.emit("customer.subscription.trial_will_end", sub, request="automatic")
