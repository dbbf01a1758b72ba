"""Customer verbs of the World: sign-up, Checkout, and what a customer does in the portal.

Switch plan, cancel at period end or now, undo, pause and resume (both of Stripe's mechanisms),
update the payment method. Each emits Stripe's events in Stripe's order; FIDELITY.md in the repo
marks which orders are confirmed and which inferred.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from ..versions import Era, era
from .billing import FEEDBACK_DELAY, action, add_interval
from .objects import (
    CheckoutSession,
    Customer,
    Invoice,
    PaymentMethod,
    PortalSession,
    SetupIntent,
    Subscription,
    SubscriptionItem,
)

if TYPE_CHECKING:
    from .portal_config import PortalConfiguration
    from .world import World

# name: (brand, last4, declines, requires authentication). Stripe's test cards: 4000 0000 0000
# 0341 attaches, then declines; 4000 0027 6000 3184 asks for 3D Secure on every payment.
CARDS = {"visa": ("visa", "4242", False, False),
         "mastercard": ("mastercard", "4444", False, False),
         "declining": ("visa", "0341", True, False),
         "authentication_required": ("visa", "3184", False, True)}


class PortalVerbs:
    """Mixed into World; uses its stores, clock, ids and emit()."""

    @action
    def create_customer(self: World, email: str, name: str) -> Customer:
        """The app signs a user up and creates their Stripe customer (customer.created)."""
        cust = Customer(id=self.ids.new("cus", short=True), email=email, name=name,
                        created=self.now)
        self.customers[cust.id] = cust
        self.emit("customer.created", cust, request="api")
        return cust

    def _new_card(self: World, customer: str, card: str) -> PaymentMethod:
        if card not in CARDS:
            raise ScenarioError(f"unknown card {card!r}; choose one of {', '.join(CARDS)}")
        brand, last4, declines, sca = CARDS[card]
        pm = PaymentMethod(id=self.ids.new("pm"), customer=customer, created=self.now,
                           brand=brand, last4=last4, declines=declines,
                           requires_authentication=sca)
        self.payment_methods[pm.id] = pm
        return pm

    @action
    def checkout(self: World, customer_id: str, price_id: str, *, quantity: int = 1,
                 card: str = "visa", client_reference_id: str | None = None,
                 session_id: str | None = None, trial_days: int | None = None) -> Subscription:
        """Stripe Checkout in subscription mode, paid by card.

        From 2025-03-31.basil the subscription is created only after the payment succeeds
        (https://docs.stripe.com/changelog/basil/2025-03-31/checkout-legacy-subscription-upgrade);
        before, it was created `incomplete` and turned `active` when the first invoice was paid.
        `session_id` completes a session the app created earlier (the hosted Checkout page).
        With `trial_days` the subscription starts `trialing` with a $0 first invoice, paid at
        once, and the trial's end is the first period end (https://docs.stripe.com/billing/
        subscriptions/trials).
        """
        if trial_days is not None:
            return self._checkout_trial(customer_id, price_id, quantity, card,
                                        client_reference_id, trial_days)
        cust = self.customer(customer_id)
        price = self.catalog.price(price_id)
        pm = self._new_card(cust.id, card)
        if pm.declines:
            raise ScenarioError("checkout with a declining card never creates a subscription; "
                                "use card_declines after checkout to fail renewals")
        start = self.now
        end = add_interval(start, price.interval, price.interval_count)
        sub = Subscription(
            id=self.ids.new("sub"), customer=cust.id, created=start,
            billing_mode=self.billing_mode, billing_cycle_anchor=start, currency=price.currency,
            items=[SubscriptionItem(self.ids.new("si", short=True), price.id, quantity, start,
                                    start, end)],
            default_payment_method=pm.id,
        )
        self.subscriptions[sub.id] = sub
        inv = self._new_invoice(sub, "subscription_create", cycle=True)
        sub.latest_invoice = inv.id
        session = CheckoutSession(
            id=session_id or "cs_test_" + self.ids.token(58), customer=cust.id,
            customer_email=cust.email,
            created=start, subscription=sub.id, invoice=inv.id, amount_total=inv.total,
            currency=price.currency, client_reference_id=client_reference_id,
        )
        opened = self.checkout_sessions.get(session.id)
        for kept in ("success_url", "cancel_url", "metadata", "line_items", "expires_at",
                     "customer_creation"):  # what the app set when it created the session
            if hasattr(opened, kept) and hasattr(session, kept):
                setattr(session, kept, getattr(opened, kept))
        self.checkout_sessions[session.id] = session
        self._pay_checkout(sub, inv, pm)
        self.emit("checkout.session.completed", session, request="checkout")
        return sub

    def _pay_checkout(self: World, sub: Subscription, inv: Invoice, pm: PaymentMethod) -> None:
        """The events of a paid Checkout up to `checkout.session.completed`, in Stripe's order
        for the account's version (see `checkout`); shared with an app's own sessions."""
        basil = era(self.api_version) >= Era.BASIL
        if basil:  # the session's own PaymentIntent is paid first (no invoice on it yet)
            pi = self._payment_intent_for(inv, pm, "checkout")
            self.emit("payment_method.attached", pm, request="checkout")
            self._charge(inv, pi, pm, succeeded=True, request="checkout")
        else:
            sub.status = "incomplete"
        self.emit("customer.subscription.created", sub, request="checkout")
        self.emit("invoice.created", inv, request="checkout")
        self._open(inv)
        self.emit("invoice.finalized", inv, request="checkout")
        if not basil:
            self.emit("payment_method.attached", pm, request="checkout")
        # pre-basil: incomplete -> active here; basil: Checkout's own payment already succeeded
        self._attempt_payment(inv, request="checkout", counted=not basil)

    @action
    def switch_plan(self: World, sub: Subscription, price_id: str, *,
                    proration_behavior: str | None = None) -> None:
        """The portal's plan switch: the item's price changes now.

        A change of billing interval restarts the period and invoices the new period at once,
        whatever the proration behaviour; the credit for the unused old period follows the
        proration behaviour (`none`: no credit; an interval change prorates by default,
        https://stripe.com/docs/subscriptions/changing). No "remaining time" debit: the new
        price is billed for its whole new period. `proration_behavior` None: the portal
        configuration's (Stripe's default none), or create_prorations without a configuration.
        """
        self._require_live(sub, "switch plan")
        portal = self.portal_of(sub.customer)
        proration_behavior = self._proration(proration_behavior, sub.customer)
        if portal is not None:
            new_price = self.catalog.price(price_id)
            portal.check_update("price", new_price.id, new_price.product)
            if self.schedules_switch(sub, new_price):
                return self._schedule_switch(sub, new_price.id, proration_behavior)
        if proration_behavior not in ("create_prorations", "always_invoice", "none"):
            raise ScenarioError(f"unknown proration_behavior {proration_behavior!r}")
        item = sub.items[0]
        old, new = self.catalog.price(item.price), self.catalog.price(price_id)
        if old.id == new.id:
            raise ScenarioError(f"subscription {sub.id} is already on {price_id}")
        interval_change = (old.interval, old.interval_count) != (new.interval, new.interval_count)
        self.release_schedule(sub)  # a switch now replaces a pending scheduled one
        before = sub.snapshot()
        proration_items = []
        if proration_behavior != "none":
            proration_items = self._proration_items(sub, old.id, new.id, item.quantity, item.id,
                                                    debit=not interval_change)
        if interval_change:
            item.current_period_start = self.now
            item.current_period_end = add_interval(self.now, new.interval, new.interval_count)
            sub.billing_cycle_anchor = self.now
        item.price = new.id
        invoice_now = proration_behavior == "always_invoice" or interval_change
        self._emit_update(sub, before, proration_items, invoice_now=invoice_now,
                          cycle=interval_change)

    def _emit_update(self: World, sub: Subscription, before: Any, proration_items: list[Any],
                     *, invoice_now: bool, cycle: bool = False) -> None:
        """The events of a subscription update with prorations: the invoice items, then the
        update; or, invoiced at once, the update, its items and the invoice, finalized."""
        if not invoice_now:
            for ii in proration_items:  # API order: items first, then the subscription update
                self.emit("invoiceitem.created", ii)
            self.emit("customer.subscription.updated", sub, before=before)
            return
        inv = self._new_invoice(sub, "subscription_update", cycle=cycle)
        sub.latest_invoice = inv.id
        self.emit("customer.subscription.updated", sub, before=before)
        for ii in proration_items:
            self.emit("invoiceitem.created", ii)
        self.emit("invoice.created", inv)
        self._finalize(inv, request="portal")

    @action
    def cancel_at_period_end(self: World, sub: Subscription, *,
                             feedback: str | None = None) -> None:
        """Classic: cancel_at_period_end=true, cancel_at=period end and canceled_at=now.
        Flexible: only cancel_at (the max item period end); cancel_at_period_end stays false
        and canceled_at stays null until the subscription ends (billing-mode compare docs; the
        reported flexible portal cancel shows only cancel_at and cancellation_details move)."""
        self._require_live(sub, "cancel")
        self._portal_cancel(sub.customer, "at_period_end", feedback)
        if sub.cancellation_pending:
            raise ScenarioError(f"subscription {sub.id} already has a cancellation pending")
        inline = feedback if self.feedback == "same_event" else None
        self.release_schedule(sub)  # a scheduled subscription's cancellation is not settable

        def change() -> None:
            if sub.billing_mode == "classic":
                sub.cancel_at_period_end = True
                sub.canceled_at = self.now
            sub.cancel_at = sub.current_period_end
            sub.cancellation_reason = "cancellation_requested"
            sub.cancellation_feedback = inline

        self._update_sub(sub, change)
        self._late_feedback(sub, feedback)

    def _late_feedback(self: World, sub: Subscription, feedback: str | None) -> None:
        """The portal's cancellation survey answer, sent as its own request a few seconds after
        the cancellation: a second customer.subscription.updated, even after .deleted (public
        reports: better-auth/better-auth#9321, laravel/cashier-stripe#1632 and #1714)."""
        if feedback is None or self.feedback == "same_event":
            return
        self.now += FEEDBACK_DELAY
        self._requests = {}
        self._update_sub(sub, lambda: setattr(sub, "cancellation_feedback", feedback))

    @action
    def undo_cancel(self: World, sub: Subscription) -> None:
        """The portal's "renew" / "don't cancel": every cancellation field returns to empty."""
        if not sub.cancellation_pending:
            raise ScenarioError(f"subscription {sub.id} has no pending cancellation to undo")

        def change() -> None:
            sub.cancel_at_period_end = False
            sub.cancel_at = sub.canceled_at = None
            sub.cancellation_reason = sub.cancellation_feedback = None

        self._update_sub(sub, change)

    @action
    def cancel_now(self: World, sub: Subscription, *, feedback: str | None = None) -> None:
        """Portal cancel in `immediately` mode without prorations: customer.subscription.deleted
        (then the feedback update, see `_late_feedback`)."""
        self._require_live(sub, "cancel")
        self._portal_cancel(sub.customer, "immediately", feedback)
        sub.cancellation_reason = "cancellation_requested"
        sub.cancellation_feedback = feedback if self.feedback == "same_event" else None
        sub.canceled_at = self.now
        self._cancel(sub, reason="cancellation_requested", request="portal")
        self._late_feedback(sub, feedback)

    @action
    def pause(self: World, sub: Subscription, *, mechanism: str = "auto",
              behavior: str = "void") -> None:
        """Pause by status (endive, flexible mode: status=paused, customer.subscription.paused)
        or by pause_collection (any version: status unchanged, only .updated). `auto` picks
        the status pause where Stripe offers it in the portal, pause_collection elsewhere."""
        self._require_live(sub, "pause")
        if self.schedule_of(sub) is not None:  # SDK pause docs: Stripe refuses it
            raise ScenarioError(f"cannot pause {sub.id}: subscriptions with attached schedules "
                                "cannot be paused")
        if mechanism == "auto":
            mechanism = "status" if self._status_pause_available(sub) else "pause_collection"
        if mechanism == "status":
            if not self._status_pause_available(sub):
                raise ScenarioError(
                    "pausing by status needs API version 2026-09-30.endive or later and flexible"
                    f" billing mode (this run: {self.api_version}, {sub.billing_mode})")
            if sub.status == "paused":
                raise ScenarioError(f"subscription {sub.id} is already paused")

            def change() -> None:
                sub.status = "paused"
                sub.paused = {"type": "subscription", "transitioned_at": self.now,
                              "subscription": {"type": "pause_requested"}}

            # Pause defaults: bill_for.unused_time_from=now with invoicing_behavior=
            # pending_invoice_item, i.e. a credit for the unused time, billed on resumption.
            item = sub.items[0]
            for ii in self._proration_items(sub, item.price, item.price, item.quantity, item.id,
                                            debit=False):
                self.emit("invoiceitem.created", ii)
            self._update_sub(sub, change)
            self.emit("customer.subscription.paused", sub)
        elif mechanism == "pause_collection":
            if behavior not in ("void", "keep_as_draft", "mark_uncollectible"):
                raise ScenarioError(f"unknown pause_collection behavior {behavior!r}")
            if sub.pause_collection is not None:
                raise ScenarioError(f"collection of {sub.id} is already paused")
            # The portal has not offered pause_collection since 2024-04-10: the app's API call.
            self._update_sub(sub, lambda: setattr(
                sub, "pause_collection", {"behavior": behavior, "resumes_at": None}),
                request="api")
        else:
            raise ScenarioError(f"unknown pause mechanism {mechanism!r}")

    @action
    def resume(self: World, sub: Subscription) -> None:
        """Undo whichever pause is in force (a status pause: see below; pause_collection: the
        app's API call clears it)."""
        if sub.status == "paused":
            # Resume defaults: billing_cycle_anchor=now, so a new period starts now and its
            # invoice (with the pause credit) must be paid before the subscription is active.
            before = sub.snapshot()
            for item in sub.items:
                price = self.catalog.price(item.price)
                item.current_period_start = self.now
                item.current_period_end = add_interval(
                    self.now, price.interval, price.interval_count)
            sub.billing_cycle_anchor = self.now
            inv = self._new_invoice(sub, "subscription_cycle", cycle=True)
            sub.latest_invoice = inv.id
            self.emit("invoice.created", inv)
            self._finalize(inv, request="portal")
            if inv.status != "paid":  # the resumption invoice failed: still paused
                return
            sub.status, sub.paused = "active", None
            self.emit("customer.subscription.updated", sub, before=before)
            self.emit("customer.subscription.resumed", sub)
        elif sub.pause_collection is not None:
            self._update_sub(sub, lambda: setattr(sub, "pause_collection", None), request="api")
        else:
            raise ScenarioError(f"subscription {sub.id} is not paused")

    @action
    def update_payment_method(self: World, customer_id: str, *, card: str = "visa") -> None:
        """The portal's payment-method update: a SetupIntent confirms the card, which becomes
        the customer's default and the default of their live subscriptions."""
        if (portal := self.portal_of(customer_id)) is not None:
            portal.require("payment_method_update")
        cust = self.customer(customer_id)
        pm = self._new_card(cust.id, card)
        si = SetupIntent(id=self.ids.new("seti"), customer=cust.id, created=self.now,
                         payment_method=None, status="requires_payment_method")
        self.setup_intents[si.id] = si
        self.emit("setup_intent.created", si)
        si.payment_method, si.status = pm.id, "succeeded"
        self.emit("setup_intent.succeeded", si)
        self.emit("payment_method.attached", pm)
        before = cust.snapshot()
        cust.default_payment_method = pm.id
        self.emit("customer.updated", cust, before=before)
        for sub in self.subscriptions_of(cust.id) if self.card_update == "subscriptions" else ():
            if not sub.ended and sub.default_payment_method not in (None, pm.id):
                self._update_sub(sub, lambda s=sub: setattr(s, "default_payment_method", pm.id))

    @action
    def card_declines(self: World, customer_id: str) -> None:
        """From now on, every card the customer has declines (expired, lost, no funds)."""
        self.customer(customer_id)
        for pm in self.payment_methods.values():
            if pm.customer == customer_id:
                pm.declines = True

    @action
    def create_portal_session(self: World, customer_id: str, *, return_url: str | None,
                              configuration: str, flow: dict | None,
                              locale: str | None = None) -> PortalSession:
        """POST /v1/billing_portal/sessions."""
        self.customer(customer_id)
        session = PortalSession(
            id=self.ids.new("bps"), customer=customer_id, created=self.now,
            configuration=configuration, return_url=return_url, flow=flow, locale=locale,
            url=f"https://billing.stripe.com/p/session/test_{self.ids.token(40)}",
        )
        # Stripe emits billing_portal.session.created here; it is kept out of the event log
        # because the app's own request creates it, outside any scenario's flow.
        self.portal_sessions[session.id] = session
        return session

    def portal_of(self: World, customer_id: str) -> PortalConfiguration | None:
        """The portal configuration this customer's sessions use (apps route customer types
        to different configurations), else the World's."""
        return self.customer_portals.get(customer_id, self.portal)

    def _proration(self: World, given: str | None, customer_id: str) -> str:
        """The step's proration behaviour, else the portal configuration's (Stripe's default
        is none), else create_prorations when no configuration is given."""
        if given is not None:
            return given
        if (portal := self.portal_of(customer_id)) is not None:
            return portal.features.subscription_update.proration_behavior
        return "create_prorations"

    def _portal_cancel(self: World, customer_id: str, mode: str, feedback: str | None) -> None:
        if (portal := self.portal_of(customer_id)) is None:
            return
        portal.require("subscription_cancel")
        configured = portal.features.subscription_cancel.mode
        if configured != mode:
            raise ScenarioError(f"portal configuration {portal.id} cancels {configured}, "
                                f"not {mode}")
        portal.check_reason(feedback)

    def _status_pause_available(self: World, sub: Subscription) -> bool:
        return era(self.api_version) >= Era.ENDIVE and sub.billing_mode == "flexible"

    def _require_live(self: World, sub: Subscription, what: str) -> None:
        if sub.ended:
            raise ScenarioError(f"cannot {what}: subscription {sub.id} has ended ({sub.status})")
