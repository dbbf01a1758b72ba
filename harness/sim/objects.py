"""The simulated Stripe objects: plain, version-free dataclasses.

Each holds what Stripe knows about an object, not how any API version shows it (that is
`harness.render`). `snapshot()` gives an independent copy for an event's data.object.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Self


class _Snap:
    def snapshot(self) -> Self:
        return _copy(self)


_ATOMIC = frozenset({str, int, bool, float, type(None)})


def _copy(value: Any) -> Any:
    """copy.deepcopy for these objects (dataclasses of scalars, lists and dicts, no cycles,
    no shared parts), several times as fast: every event carries a snapshot."""
    cls = value.__class__
    if cls in _ATOMIC:
        return value
    if cls is list:
        return [_copy(v) for v in value]
    if cls is dict:
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, _Snap):
        new = object.__new__(cls)
        new.__dict__.update({k: _copy(v) for k, v in value.__dict__.items()})
        return new
    return copy.deepcopy(value)


@dataclass
class Customer(_Snap):
    id: str
    email: str
    name: str
    created: int
    default_payment_method: str | None = None
    balance: int = 0
    delinquent: bool = False
    next_invoice_sequence: int = 1
    metadata: dict[str, str] = field(default_factory=dict)
    discount: Any = None  # a customer-level Discount (harness.sim.discounts)
    kind = "customer"

    @property
    def invoice_prefix(self) -> str:
        """Eight upper-case characters that start this customer's invoice numbers."""
        return self.id[4:12].upper()


@dataclass
class PaymentMethod(_Snap):
    id: str
    customer: str | None
    created: int
    brand: str
    last4: str
    exp_month: int = 12
    exp_year: int = 2030
    declines: bool = False
    requires_authentication: bool = False  # 3D Secure on every off-session payment
    kind = "payment_method"


@dataclass
class SubscriptionItem(_Snap):
    id: str
    price: str
    quantity: int
    created: int
    current_period_start: int
    current_period_end: int


@dataclass
class Subscription(_Snap):
    id: str
    customer: str
    created: int
    billing_mode: str  # "classic" | "flexible"
    items: list[SubscriptionItem]
    status: str = "active"
    billing_cycle_anchor: int = 0
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    cancellation_feedback: str | None = None
    cancellation_comment: str | None = None
    ended_at: int | None = None
    pause_collection: dict[str, Any] | None = None
    paused: dict[str, Any] | None = None  # status_details.paused (endive) while status == paused
    latest_invoice: str | None = None
    default_payment_method: str | None = None
    currency: str = "usd"
    metadata: dict[str, str] = field(default_factory=dict)
    trial_start: int | None = None
    trial_end: int | None = None
    trial_will_end_sent: bool = False  # bookkeeping, not rendered
    discount: Any = None  # the subscription's Discount (harness.sim.discounts)
    description: str | None = None
    schedule: str | None = None  # the sub_sched_ managing it (sim/schedules.py)
    kind = "subscription"

    @property
    def current_period_start(self) -> int:
        return min(i.current_period_start for i in self.items)

    @property
    def current_period_end(self) -> int:
        # Under flexible billing mode items may differ; Stripe's portal cancel uses the max.
        return max(i.current_period_end for i in self.items)

    @property
    def ended(self) -> bool:
        return self.status in ("canceled", "incomplete_expired")

    @property
    def cancellation_pending(self) -> bool:
        """A cancellation is scheduled and has not happened yet (either billing mode)."""
        return not self.ended and (self.cancel_at_period_end or self.cancel_at is not None)


@dataclass
class InvoiceLine(_Snap):
    id: str
    amount: int
    description: str
    period_start: int
    period_end: int
    price: str
    quantity: int
    proration: bool
    subscription: str | None
    subscription_item: str | None
    invoice_item: str | None = None
    credited: dict[str, Any] | None = None  # a credit proration's debit (sim.lines)
    discount_amount: int = 0  # this line's share of the invoice's discount


@dataclass
class InvoiceItem(_Snap):
    id: str
    customer: str
    amount: int
    currency: str
    date: int
    description: str
    period_start: int
    period_end: int
    price: str
    quantity: int
    proration: bool
    subscription: str | None
    subscription_item: str | None
    invoice: str | None = None
    credited: dict[str, Any] | None = None  # a credit proration's debit (sim.lines)
    kind = "invoiceitem"


@dataclass
class Invoice(_Snap):
    id: str
    customer: str
    customer_email: str
    customer_name: str
    subscription: str | None
    billing_reason: str
    created: int
    period_start: int
    period_end: int
    lines: list[InvoiceLine]
    currency: str = "usd"
    status: str = "draft"
    number: str | None = None
    amount_paid: int = 0
    attempt_count: int = 0
    attempted: bool = False
    auto_advance: bool = True
    next_payment_attempt: int | None = None
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    payment_intent: str | None = None
    charge: str | None = None
    starting_balance: int = 0
    discount: Any = None  # a snapshot of the Discount it billed (harness.sim.discounts)
    kind = "invoice"

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total_discount(self) -> int:
        return sum(line.discount_amount for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.total_discount

    @property
    def amount_due(self) -> int:
        return max(self.total + self.starting_balance, 0)

    @property
    def amount_remaining(self) -> int:
        return 0 if self.status in ("paid", "void") else self.amount_due - self.amount_paid


@dataclass
class CheckoutSession(_Snap):
    id: str
    customer: str | None
    customer_email: str | None
    created: int
    subscription: str | None
    invoice: str | None
    amount_total: int
    currency: str = "usd"
    client_reference_id: str | None = None
    # Sessions an app creates through the API start open and unpaid; the flows' own are complete.
    status: str = "complete"
    payment_status: str = "paid"
    mode: str = "subscription"
    url: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    line_items: list[dict[str, Any]] = field(default_factory=list)  # {id, price, quantity}
    metadata: dict[str, str] = field(default_factory=dict)
    expires_at: int | None = None
    customer_creation: str | None = None
    discounts: list[dict[str, Any]] = field(default_factory=list)  # {coupon, promotion_code}
    amount_discount: int = 0
    # what the app asked Checkout to do (kept for completion and reads)
    subscription_data: dict[str, Any] = field(default_factory=dict)
    customer_update: dict[str, str] = field(default_factory=dict)
    billing_address_collection: str | None = None
    locale: str | None = None
    customer_details: dict[str, Any] = field(default_factory=dict)  # collected at completion
    kind = "checkout.session"


@dataclass
class SetupIntent(_Snap):
    id: str
    customer: str
    created: int
    payment_method: str | None
    status: str
    kind = "setup_intent"


@dataclass
class PortalSession(_Snap):
    id: str
    customer: str
    created: int
    configuration: str
    return_url: str | None
    url: str
    flow: dict[str, Any] | None = None
    locale: str | None = None
    kind = "billing_portal.session"
