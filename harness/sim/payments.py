"""Payment objects of the World: the PaymentIntent, Charge and InvoicePayment behind each invoice
payment, and the events Stripe sends around them.

An invoice owns one PaymentIntent, created at its first attempt and confirmed again at each
retry; every confirmation that reaches the card network makes a Charge. A card that needs
authentication leaves the PaymentIntent in `requires_action` until the customer acts on the
hosted invoice page. FIDELITY.md (section 1, "Invoice payment") gives the order and its sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from .billing import action
from .objects import _Snap

if TYPE_CHECKING:
    from .objects import Invoice, PaymentMethod
    from .world import World

INVOICE_PAYMENT_EVENT_FROM = "2025-05-28"
"""`invoice_payment.paid` exists from 2025-05-28.basil (partial payments release)."""


@dataclass
class PaymentIntent(_Snap):
    id: str
    customer: str
    amount: int
    currency: str
    created: int
    invoice: str | None
    description: str
    client_secret: str
    status: str = "requires_payment_method"
    amount_received: int = 0
    payment_method: str | None = None
    latest_charge: str | None = None
    last_payment_error: dict[str, Any] | None = None
    next_action: dict[str, Any] | None = None
    kind = "payment_intent"


@dataclass
class Charge(_Snap):
    id: str
    customer: str
    amount: int
    currency: str
    created: int
    payment_intent: str
    payment_method: str
    invoice: str | None
    description: str
    brand: str
    last4: str
    status: str  # succeeded | failed
    balance_transaction: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)
    receipt_url: str | None = None
    amount_refunded: int = 0
    refunds: list[str] = field(default_factory=list)  # Refund ids, oldest first
    kind = "charge"


@dataclass
class InvoicePayment(_Snap):
    id: str
    invoice: str
    payment_intent: str
    amount_requested: int
    currency: str
    created: int
    status: str = "open"
    amount_paid: int | None = None
    paid_at: int | None = None
    kind = "invoice_payment"


_DECLINE = {"code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined."}


def _description(inv: Invoice) -> str:
    # Stripe names an invoice's PaymentIntent after the invoice's billing reason.
    return {"subscription_create": "Subscription creation"}.get(
        inv.billing_reason, "Subscription update")


class PaymentVerbs:
    """Mixed into World; uses its stores, clock, ids and emit()."""

    def _payment_intent_for(self: World, inv: Invoice, pm: PaymentMethod | None,
                            request: str) -> PaymentIntent:
        """The invoice's PaymentIntent, created (payment_intent.created) at its first attempt."""
        pi = self.payment_intents.get(inv.payment_intent or "")
        if pi is None:
            pi_id = self.ids.new("pi")
            pi = PaymentIntent(
                id=pi_id, customer=inv.customer, amount=inv.amount_due, currency=inv.currency,
                created=self.now, invoice=inv.id, description=_description(inv),
                client_secret=f"{pi_id}_secret_{self.ids.token(25)}",
            )
            self.payment_intents[pi.id] = pi
            inv.payment_intent = pi.id
            self.invoice_payments_for(inv, pi)
            self.emit("payment_intent.created", pi, request=request)
        pi.payment_method = pm.id if pm is not None else None
        return pi

    def invoice_payments_for(self: World, inv: Invoice, pi: PaymentIntent) -> InvoicePayment:
        """The InvoicePayment (basil's `invoice.payments`) linking the invoice and its intent."""
        for ip in self.invoice_payments.values():
            if ip.invoice == inv.id:
                return ip
        ip = InvoicePayment(id=self.ids.new("inpay"), invoice=inv.id, payment_intent=pi.id,
                            amount_requested=inv.amount_due, currency=inv.currency,
                            created=self.now)
        self.invoice_payments[ip.id] = ip
        return ip

    def _charge(self: World, inv: Invoice, pi: PaymentIntent, pm: PaymentMethod, *,
                succeeded: bool, request: str) -> Charge:
        """One confirmation reaching the card network: charge.* then payment_intent.*."""
        ch = Charge(
            id=self.ids.new("ch"), customer=inv.customer, amount=pi.amount,
            currency=pi.currency, created=self.now, payment_intent=pi.id, payment_method=pm.id,
            invoice=inv.id, description=pi.description, brand=pm.brand, last4=pm.last4,
            status="succeeded" if succeeded else "failed",
            balance_transaction=self.ids.new("txn") if succeeded else None,
            failure_code=None if succeeded else _DECLINE["code"],
            failure_message=None if succeeded else _DECLINE["message"],
            outcome=_outcome(succeeded),
            receipt_url=(f"https://pay.stripe.com/receipts/invoices/test_{self.ids.token(40)}"
                         if succeeded else None),
        )
        self.charges[ch.id] = ch
        pi.latest_charge = ch.id
        if succeeded:
            inv.charge = ch.id
            pi.status, pi.amount_received = "succeeded", pi.amount
            pi.last_payment_error = pi.next_action = None
            self.emit("charge.succeeded", ch, request=request)
            self.emit("payment_intent.succeeded", pi, request=request)
        else:
            pi.status, pi.next_action = "requires_payment_method", None
            pi.last_payment_error = {**_DECLINE, "charge": ch.id, "payment_method": pm.id,
                                     "type": "card_error"}
            self.emit("charge.failed", ch, request=request)
            self.emit("payment_intent.payment_failed", pi, request=request)
        return ch

    def _require_action(self: World, inv: Invoice, pi: PaymentIntent, request: str) -> None:
        """The card asks for authentication (3D Secure): no charge until the customer acts."""
        pi.status = "requires_action"
        pi.next_action = {"type": "use_stripe_sdk", "use_stripe_sdk": {
            "type": "three_d_secure_redirect", "stripe_js": "https://hooks.stripe.com/3d_secure"
                                                            f"_2/hosted?payment_intent={pi.id}"}}
        pi.last_payment_error = {
            "code": "authentication_required", "decline_code": "authentication_required",
            "message": "Your card was declined. This transaction requires authentication.",
            "payment_method": pi.payment_method, "type": "card_error"}
        self.emit("payment_intent.requires_action", pi, request=request)

    def _invoice_payment_paid(self: World, inv: Invoice, request: str) -> None:
        """invoice_payment.paid, from the release that introduced it."""
        pi = self.payment_intents.get(inv.payment_intent or "")
        if pi is None:
            return
        ip = self.invoice_payments_for(inv, pi)
        ip.status, ip.amount_paid, ip.paid_at = "paid", inv.amount_paid, self.now
        if self.api_version[:10] >= INVOICE_PAYMENT_EVENT_FROM:
            self.emit("invoice_payment.paid", ip, request=request)


def _outcome(succeeded: bool) -> dict[str, Any]:
    if succeeded:
        return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized"}
    return {"network_status": "declined_by_network", "reason": "generic_decline",
            "risk_level": "normal", "risk_score": 32,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"}


class AuthenticationVerbs:
    """The customer's side of a payment that needs authentication (mixed into World)."""

    @action
    def authenticate_payment(self: World, customer_id: str, *, succeed: bool = True) -> None:
        """The customer follows Stripe's email to the hosted invoice page and completes (or
        fails) 3D Secure for their newest invoice waiting for it. Success charges the card and
        pays the invoice; failure leaves it open for the next scheduled attempt."""
        self.customer(customer_id)
        waiting = [i for i in self.invoices.values() if i.customer == customer_id
                   and i.status == "open" and i.payment_intent
                   and self.payment_intents[i.payment_intent].status == "requires_action"]
        if not waiting:
            raise ScenarioError(f"customer {customer_id} has no payment waiting for "
                                "authentication")
        inv = waiting[-1]
        pi = self.payment_intents[inv.payment_intent or ""]
        pm = self.payment_methods[pi.payment_method or ""]
        sub = self.subscriptions.get(inv.subscription or "")
        if succeed:
            self._charge(inv, pi, pm, succeeded=True, request="portal")
            self._apply_balance(inv, "portal")
            self._mark_paid(inv, sub, "portal")
            return
        pi.status, pi.next_action = "requires_payment_method", None
        pi.last_payment_error = {
            "code": "payment_intent_authentication_failure", "decline_code": None,
            "message": "The provided payment method has failed authentication.",
            "payment_method": pm.id, "type": "invalid_request_error"}
        self.emit("payment_intent.payment_failed", pi, request="portal")
