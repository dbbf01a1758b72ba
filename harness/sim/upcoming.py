"""`invoice.upcoming`: the preview of a renewal invoice, sent some days before it is created.

Stripe sends it "X number of days before a subscription is scheduled to create an invoice that
is automatically charged", X being the account's "Upcoming renewal events" setting (Billing >
Subscriptions and emails), and "the received Invoice object will not have an invoice ID" (the
event's description in Stripe's SDKs), while from 2025-09-30.clover the SDKs type `Invoice.id`
as always present and preview invoices carry `upcoming_in_` ids. The World's
`upcoming_renewal_days` is that setting (None: not sent) and `upcoming_invoice_id` the choice
about the id; FIDELITY.md records the defaults and what is inferred.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .billing import next_period_end
from .lines import line_description
from .objects import Invoice, InvoiceLine

if TYPE_CHECKING:
    from .objects import Subscription
    from .world import World

DEFAULT_UPCOMING_RENEWAL_DAYS = 3


class UpcomingInvoice(Invoice):
    """An invoice that does not exist yet, its lines `il_tmp_`. Its `id` (`upcoming_in_…`) is
    rendered only when `shows_id` (the World's `upcoming_invoice_id` is
    `upcoming_in_from_clover`) and from 2025-09-30.clover; otherwise the event's invoice has no
    `id` key, as Stripe's event docs say."""

    upcoming = True
    shows_id = False


class UpcomingVerbs:
    """Mixed into World; uses its stores, clock, ids and emit()."""

    def _upcoming_due(self: World, sub: Subscription) -> int | None:
        """When this period's invoice.upcoming is due, or None if none is: the setting is off,
        it was sent, or no automatically charged invoice will be created at the period end (a
        cancellation takes effect first, the subscription is paused by status or its
        collection is paused). A period shorter than the notice gets none [I]."""
        days = self.upcoming_renewal_days
        end = sub.current_period_end
        if (days is None or sub.ended or sub.status == "paused"
                or sub.pause_collection is not None
                or (sub.cancel_at is not None and sub.cancel_at <= end)
                or self.upcoming_sent.get(sub.id) == end):
            return None
        at = end - days * 86400
        return at if at >= sub.current_period_start else None

    def _phase_at_renewal(self: World, sub: Subscription) -> Any:
        """The schedule phase that starts when the current period ends (a one-item
        subscription's scheduled downgrade), or None."""
        sched = self.subscription_schedules.get(sub.schedule) if sub.schedule else None
        if sched is None or not sched.live:
            return None
        return next((ph for ph in sched.phases[sched.current + 1:]
                     if ph.start_date == sub.current_period_end), None)

    def _send_upcoming(self: World, sub: Subscription) -> None:
        """What the renewal invoice will hold: a line per item for the next period and the
        pending invoice items (prorations); its own period is the current one, as the renewal
        invoice's will be."""
        self.upcoming_sent[sub.id] = sub.current_period_end
        cust = self.customer(sub.customer)
        lines: list[InvoiceLine] = []
        phase = self._phase_at_renewal(sub)
        for item in sub.items:
            # a schedule's phase starting at the renewal decides what it bills
            price_id, quantity = (phase.price, phase.quantity) if phase else (item.price,
                                                                             item.quantity)
            price = self.catalog.price(price_id)
            end = next_period_end(sub.billing_cycle_anchor, item.current_period_end,
                                  price.interval, price.interval_count)
            lines.append(InvoiceLine(
                id=self.ids.new("il_tmp"), amount=price.unit_amount * quantity,
                description=line_description(quantity, price,
                                             self.catalog.products[price.product]),
                period_start=item.current_period_end, period_end=end, price=price_id,
                quantity=quantity, proration=False, subscription=sub.id,
                subscription_item=item.id))
        for ii in self.invoice_items.values():
            if ii.subscription == sub.id and ii.invoice is None:
                lines.append(InvoiceLine(
                    id=self.ids.new("il_tmp"), amount=ii.amount, description=ii.description,
                    period_start=ii.period_start, period_end=ii.period_end, price=ii.price,
                    quantity=ii.quantity, proration=ii.proration, subscription=sub.id,
                    subscription_item=ii.subscription_item, invoice_item=ii.id,
                    credited=ii.credited))
        inv = UpcomingInvoice(
            id=self.ids.new("upcoming_in"), customer=cust.id, customer_email=cust.email,
            customer_name=cust.name,
            subscription=sub.id, billing_reason="upcoming", created=sub.current_period_end,
            period_start=sub.current_period_start, period_end=sub.current_period_end,
            lines=lines, currency=sub.currency, starting_balance=cust.balance,
            next_payment_attempt=sub.current_period_end + 3600)
        inv.shows_id = self.upcoming_invoice_id == "upcoming_in_from_clover"
        self.emit("invoice.upcoming", inv, request="automatic")
