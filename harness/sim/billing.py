"""Billing verbs of the World: invoices, charges, renewals, retries and scheduled cancellations.

Each changes objects and emits Stripe's events in Stripe's order (FIDELITY.md in the repo lists
what is confirmed and what is inferred). Called by the clock and by the portal verbs.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .lines import credited_items, line_description, proration_description
from .objects import Invoice, InvoiceItem, InvoiceLine, Subscription

if TYPE_CHECKING:
    from .world import World

RETRY_SCHEDULES: dict[str, tuple[int, ...]] = {
    # Stripe's recommended Smart Retries policy: "8 tries within 2 weeks"
    # (https://docs.stripe.com/payments/off-session-payments/smart-retries). Stripe picks the
    # times with its model; here the 7 retries are spread evenly, 2 days apart.
    "smart_retries_8_in_2_weeks": (2, 2, 2, 2, 2, 2, 2),
    # The older fixed custom schedule many accounts still use: 3, 5 and 7 days apart.
    "custom_3_5_7": (3, 5, 7),
}
DEFAULT_RETRY_SCHEDULE = "smart_retries_8_in_2_weeks"

FEEDBACK_MODES = ("separate_update", "same_event")
"""How portal cancellation feedback reaches the webhook: in a second, later
customer.subscription.updated (what public reports show Stripe doing, the default) or inside the
cancellation event itself."""
DEFAULT_FEEDBACK = "separate_update"
FEEDBACK_DELAY = 7  # seconds between the cancellation and the feedback update (reports: ~7 s)


def action(verb):
    """Mark a World verb as one action: its events share one `request` (see World.emit)."""
    @functools.wraps(verb)
    def run(self, *args, **kwargs):
        outer = self.begin_action()
        try:
            return verb(self, *args, **kwargs)
        finally:
            if outer:
                self.end_action()
    return run


_INTERVAL_SECONDS = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}


def add_interval(start: int, interval: str, count: int) -> int:
    """The end of a billing period. Months are calendar months, as Stripe bills them."""
    if interval in ("month", "year"):
        import datetime as dt

        d = dt.datetime.fromtimestamp(start, dt.UTC)
        months = count * (12 if interval == "year" else 1)
        month0 = d.month - 1 + months
        year, month = d.year + month0 // 12, month0 % 12 + 1
        day = min(d.day, _days_in_month(year, month))
        return int(d.replace(year=year, month=month, day=day).timestamp())
    return start + _INTERVAL_SECONDS[interval] * count


def next_period_end(anchor: int, start: int, interval: str, count: int) -> int:
    """The first period boundary after `start`, counted from the billing cycle anchor, so a
    subscription anchored on the 31st bills Feb 28 then Mar 31
    (https://stripe.com/docs/subscriptions/billing-cycle)."""
    n = 1
    while (end := add_interval(anchor, interval, count * n)) <= start:
        n += 1
    return end


def _days_in_month(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


class BillingVerbs:
    """Mixed into World; uses its stores, clock, ids and emit()."""

    # -- invoices ---------------------------------------------------------------------------

    def _new_invoice(self: World, sub: Subscription, reason: str, *, cycle: bool,
                     period: tuple[int, int] | None = None, trial: bool = False) -> Invoice:
        """A draft invoice. Its own period is the one just billed in arrears (a renewal invoice
        shows the period that ended; a first invoice has start == end, as captured payloads do)."""
        cust = self.customer(sub.customer)
        inv_id = self.ids.new("in")
        lines: list[InvoiceLine] = []
        if cycle:  # one line per item for the new period
            for item in sub.items:
                price = self.catalog.price(item.price)
                name = self.catalog.products[price.product]
                lines.append(InvoiceLine(
                    id=self.ids.new("il"), amount=0 if trial else price.unit_amount * item.quantity,
                    description=f"Trial period for {name}" if trial else
                    line_description(item.quantity, price, name),
                    period_start=item.current_period_start, period_end=item.current_period_end,
                    price=item.price, quantity=item.quantity, proration=False,
                    subscription=sub.id, subscription_item=item.id,
                ))
        for ii in self.invoice_items.values():  # pending prorations are billed now
            if ii.subscription == sub.id and ii.invoice is None:
                ii.invoice = inv_id
                lines.append(InvoiceLine(
                    id=self.ids.new("il"), amount=ii.amount, description=ii.description,
                    period_start=ii.period_start, period_end=ii.period_end, price=ii.price,
                    quantity=ii.quantity, proration=ii.proration, subscription=sub.id,
                    subscription_item=ii.subscription_item, invoice_item=ii.id,
                    credited=ii.credited,
                ))
        inv = Invoice(
            id=inv_id, customer=cust.id, customer_email=cust.email, customer_name=cust.name,
            subscription=sub.id, billing_reason=reason, created=self.now,
            period_start=period[0] if period else self.now,
            period_end=period[1] if period else self.now, lines=lines, currency=sub.currency,
            starting_balance=cust.balance,
        )
        self.invoices[inv.id] = inv
        self._discount_invoice(inv, sub)
        return inv

    def _finalize(self: World, inv: Invoice, *, request: str = "automatic") -> None:
        """draft -> open (invoice.finalized), then collect unless collection is paused."""
        sub = self.subscriptions.get(inv.subscription or "")
        pause = sub.pause_collection if sub else None
        if pause and pause["behavior"] == "keep_as_draft":
            inv.auto_advance = False
            return
        if pause and pause["behavior"] == "void":
            inv.status, inv.voided_at, inv.auto_advance = "void", self.now, False
            self.emit("invoice.voided", inv, request=request)
            return
        self._open(inv)
        self.emit("invoice.finalized", inv, request=request)
        if pause and pause["behavior"] == "mark_uncollectible":
            inv.status, inv.marked_uncollectible_at, inv.auto_advance = (
                "uncollectible", self.now, False)
            self.emit("invoice.marked_uncollectible", inv, request=request)
            return
        self._attempt_payment(inv, request=request)

    def _open(self: World, inv: Invoice) -> None:
        """draft -> open with its number: the customer's invoice prefix and their next sequence
        number, as Stripe numbers invoices per customer by default (captured: "M8V0KX57-0001")."""
        cust = self.customer(inv.customer)
        inv.status, inv.finalized_at = "open", self.now
        inv.number = f"{cust.invoice_prefix}-{cust.next_invoice_sequence:04d}"
        cust.next_invoice_sequence += 1

    def _apply_balance(self: World, inv: Invoice, request: str) -> None:
        """A customer credit balance pays first; a negative total becomes credit."""
        cust = self.customer(inv.customer)
        new_balance = cust.balance + inv.total if inv.total + cust.balance <= 0 else 0
        if new_balance != cust.balance:
            before = cust.snapshot()
            cust.balance = new_balance
            self.emit("customer.updated", cust, before=before, request=request)

    def _attempt_payment(self: World, inv: Invoice, *, request: str = "automatic",
                         counted: bool = True) -> None:
        """Charge the invoice through its PaymentIntent. `counted=False` is a payment made
        outside the invoice's own attempts (basil Checkout pays before the invoice exists: the
        captured first invoice shows attempted true with attempt_count 0). A card that needs
        authentication is only asked for it off-session (renewals, retries); in Checkout and the
        portal the customer is present and authenticates at once."""
        sub = self.subscriptions.get(inv.subscription or "")
        if inv.amount_due == 0:
            self._apply_balance(inv, request)
            self._mark_paid(inv, sub, request)
            return
        paid_before = self.payment_intents.get(inv.payment_intent or "")
        if paid_before is not None and paid_before.status == "succeeded":
            inv.attempted = True  # basil Checkout: its PaymentIntent already succeeded
            self._apply_balance(inv, request)
            self._mark_paid(inv, sub, request)
            return
        cust = self.customer(inv.customer)
        pm_id = (sub.default_payment_method if sub else None) or cust.default_payment_method
        pm = self.payment_methods.get(pm_id or "")
        before = inv.snapshot()
        inv.attempt_count += 1 if counted else 0
        inv.attempted = True
        pi = self._payment_intent_for(inv, pm, request)
        if pm is not None and pm.requires_authentication and request == "automatic":
            self._require_action(inv, pi, request)
            self._payment_not_made(inv, sub, before, request, action_required=True)
            return
        if pm is not None and not pm.declines:
            self._charge(inv, pi, pm, succeeded=True, request=request)
            self._apply_balance(inv, request)
            self._mark_paid(inv, sub, request)
            return
        if pm is not None:
            self._charge(inv, pi, pm, succeeded=False, request=request)
        self._payment_not_made(inv, sub, before, request)

    def _payment_not_made(self: World, inv: Invoice, sub: Subscription | None, before: Invoice,
                          request: str, *, action_required: bool = False) -> None:
        """A failed attempt (or one waiting for authentication): the retry schedule decides the
        next attempt; after the last one the subscription is canceled (the Dashboard's default
        "cancel the subscription" outcome)."""
        cust = self.customer(inv.customer)
        retries_done = inv.attempt_count - 1
        inv.next_payment_attempt = (
            self.now + self.retry_days[retries_done] * 86400
            if 0 <= retries_done < len(self.retry_days) else None
        )
        self.emit("invoice.payment_failed", inv, request=request)
        if action_required:
            self.emit("invoice.payment_action_required", inv, request=request)
        self.emit("invoice.updated", inv, before=before, request=request)
        if not cust.delinquent:
            cust_before = cust.snapshot()
            cust.delinquent = True
            self.emit("customer.updated", cust, before=cust_before, request=request)
        if sub is None:
            return
        if sub.status == "active":
            self._update_sub(sub, lambda: setattr(sub, "status", "past_due"), request=request)
        if inv.next_payment_attempt is None and not sub.ended:
            self._cancel(sub, reason="payment_failed", request=request)

    def _mark_paid(self: World, inv: Invoice, sub: Subscription | None, request: str) -> None:
        inv.status, inv.paid_at, inv.next_payment_attempt = "paid", self.now, None
        inv.amount_paid = inv.amount_due
        self.emit("invoice.paid", inv, request=request)
        self.emit("invoice.payment_succeeded", inv, request=request)
        self._invoice_payment_paid(inv, request)
        cust = self.customer(inv.customer)
        if cust.delinquent:
            before = cust.snapshot()
            cust.delinquent = False
            self.emit("customer.updated", cust, before=before, request=request)
        if sub is not None and sub.status in ("past_due", "incomplete"):
            self._update_sub(sub, lambda: setattr(sub, "status", "active"), request=request)

    # -- subscriptions over time ------------------------------------------------------------------

    def _update_sub(self: World, sub: Subscription, change, *, request: str = "portal") -> None:
        before = sub.snapshot()
        change()
        self.emit("customer.subscription.updated", sub, before=before, request=request)

    def _renew(self: World, sub: Subscription, change=None) -> None:
        """Period end: a draft invoice for the new period (invoice.created), then the period
        advances (customer.subscription.updated); Stripe finalizes and charges the invoice about
        an hour later. `change` applies a schedule's next phase first (sim/schedules.py)."""
        before = sub.snapshot()
        if change is not None:
            change()
        ended = (sub.current_period_start, sub.current_period_end)
        if sub.status == "trialing":  # the trial ends: the first paid period starts
            sub.status = "active"
        for item in sub.items:
            price = self.catalog.price(item.price)
            item.current_period_start = item.current_period_end
            item.current_period_end = next_period_end(
                sub.billing_cycle_anchor, item.current_period_start, price.interval,
                price.interval_count)
        inv = self._new_invoice(sub, "subscription_cycle", cycle=True, period=ended)
        sub.latest_invoice = inv.id
        self.emit("invoice.created", inv, request="automatic")
        self._end_discount(sub, inv)
        self.emit("customer.subscription.updated", sub, before=before, request="automatic")

    def _end_scheduled(self: World, sub: Subscription) -> None:
        """A scheduled cancellation takes effect: customer.subscription.deleted, no invoice."""
        self._cancel(sub, reason=None, request="automatic", at=sub.cancel_at)

    def _cancel(self: World, sub: Subscription, *, reason: str | None, request: str,
                at: int | None = None) -> None:
        sub.status = "canceled"
        sub.ended_at = at if at is not None else self.now
        if sub.canceled_at is None:
            sub.canceled_at = sub.ended_at
        if reason is not None:
            sub.cancellation_reason = reason
        sub.paused = None
        self.emit("customer.subscription.deleted", sub, request=request)
        self.cancel_schedule(sub, request=request)

    def _proration_items(self: World, sub: Subscription, old_price: str, new_price: str,
                         quantity: int, item_id: str, *, debit: bool = True,
                         sign: int = -1) -> list[InvoiceItem]:
        """Credit for unused time on the old price, debit for the rest of the period on the new.

        `debit=False` for an interval change: the period restarts and the new price is billed
        for a whole new period, so only the credit for the old period remains. `sign=1` with
        `debit=False` gives only a debit (the new side of a quantity change)."""
        start, end = sub.items[0].current_period_start, sub.items[0].current_period_end
        at = self.proration_date or self.now  # an API update's proration_date (api_changes)
        remaining = max(end - at, 0) / max(end - start, 1)
        items = []
        sides = [(old_price, sign, "Unused" if sign < 0 else "Remaining"),
                 (new_price, 1, "Remaining")][:2 if debit else 1]
        for price_id, side, word in sides:
            price = self.catalog.price(price_id)
            amount = side * round(price.unit_amount * quantity * remaining)
            name = self.catalog.products[price.product]
            ii = InvoiceItem(
                id=self.ids.new("ii"), customer=sub.customer, amount=amount, currency=sub.currency,
                date=self.now, description=proration_description(word, quantity, name, at),
                period_start=at, period_end=end, price=price_id,
                quantity=quantity, proration=True, subscription=sub.id, subscription_item=item_id,
                credited=credited_items(self, sub, item_id, price_id) if amount < 0 else None,
            )
            self.invoice_items[ii.id] = ii
            items.append(ii)
        return items

