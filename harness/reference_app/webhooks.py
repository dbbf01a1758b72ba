"""Webhook route logic: verify the signature over the raw body, then apply each event once.

Takes the raw request body and the Stripe-Signature header, gives a `Reply` (status, message).
Subscription state is re-fetched from Stripe (never while the database lock is held), not copied
from the event's snapshot, so late, duplicated or out-of-order deliveries cannot roll it back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import stripe

from .db import Database, InvoiceRow, SubscriptionRow
from .reply import Reply
from .settings import AppSettings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024

# Statuses after which a subscription no longer grants its plan. Everything else (trialing,
# active, past_due while Stripe retries, unpaid, paused, incomplete) keeps the plan: access ends
# when Stripe ends the subscription, not when a payment wobbles.
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.trial_will_end",
)


class MalformedEventError(Exception):
    """A verified event lacks a field the app needs; answered with 400."""


def field(obj: Any, *path: str | int) -> Any:
    """obj[path[0]][path[1]]...; a missing key or a null on the way is a MalformedEventError."""
    for key in path:
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            dotted = ".".join(str(part) for part in path)
            raise MalformedEventError(f"missing field {dotted}") from None
    return obj


def text(obj: Any, *path: str | int) -> str:
    """A field that must be a string (an id, a status); anything else is a MalformedEventError."""
    value = field(obj, *path)
    if not isinstance(value, str):
        raise MalformedEventError(f"{'.'.join(map(str, path))} must be a string")
    return value


def integer(obj: Any, *path: str | int, nullable: bool = False) -> int | None:
    """A field that must be a 64-bit integer (an amount, a unix time), or null if allowed."""
    value = field(obj, *path)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
        raise MalformedEventError(f"{'.'.join(map(str, path))} must be an integer")
    return value


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object: dict[str, Any]


class WebhookProcessor:
    """Verifies, deduplicates and applies Stripe events, one database transaction per event."""

    # stripe-python's default: reject signatures older than 300 s (Webhook.DEFAULT_TOLERANCE).
    signature_tolerance = stripe.Webhook.DEFAULT_TOLERANCE

    # Event type -> name of the method that applies it. Other types are acknowledged and ignored.
    HANDLERS: dict[str, str] = {
        **dict.fromkeys(SUBSCRIPTION_EVENTS, "on_subscription_event"),
        "invoice.paid": "on_invoice_paid",
        "invoice.payment_succeeded": "on_invoice_paid",
        "invoice.payment_failed": "on_invoice_payment_failed",
        "checkout.session.completed": "on_checkout_session_completed",
    }

    def __init__(self, settings: AppSettings, db: Database, client: stripe.StripeClient) -> None:
        self.settings = settings
        self.db = db
        self.client = client
        # Striped locks, one per subscription id's hash: deliveries about one subscription
        # fetch and write in turn; others, and every database read, go on meanwhile.
        self._turns = [threading.Lock() for _ in range(64)]
        # The subscriptions fetched for the delivery this thread is applying.
        self._fetched: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar(
            "fetched", default=None)

    def now(self) -> int:
        return int(time.time())

    # The request.

    def handle(self, body: bytes, signature: str | None) -> Reply:
        if len(body) > MAX_BODY_BYTES:
            return Reply(413, "body too large")
        try:
            event = self.parse(self.verify(body, signature))
        except stripe.SignatureVerificationError:
            return Reply(400, "signature verification failed")
        except (ValueError, TypeError, KeyError, AttributeError, MalformedEventError):
            # ValueError covers both invalid JSON and a body that is not UTF-8.
            return Reply(400, "body is not a Stripe event")
        except RecursionError:  # JSON nested deeper than the parser goes: no Stripe event is
            return Reply(400, "body is nested too deeply to be a Stripe event")
        try:
            return self.process(event)
        except MalformedEventError as exc:
            return Reply(400, f"{event.type} {event.id}: {exc}")
        except Exception as exc:
            return self.failure_reply(event, exc)

    def verify(self, body: bytes, signature: str | None) -> dict[str, Any]:
        """Check the signature over the exact bytes received, then decode the event.

        This is what `construct_event` does, minus building a StripeObject tree the handler
        would turn straight back into a dict (most of the cost of a delivery).
        """
        if signature is None:
            raise stripe.SignatureVerificationError("no Stripe-Signature header", signature)
        payload = body.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            payload, signature, self.settings.webhook_secret, self.signature_tolerance
        )
        return json.loads(payload)

    def parse(self, raw: dict[str, Any]) -> Event:
        event = Event(field(raw, "id"), field(raw, "type"), field(raw, "data", "object"))
        if not (isinstance(event.id, str) and isinstance(event.type, str)):
            raise MalformedEventError("id and type must be strings")
        if not isinstance(event.object, dict):
            raise MalformedEventError("data.object is not an object")
        return event

    def process(self, event: Event) -> Reply:
        """Apply the event and mark it processed in one transaction (all or nothing)."""
        handler = self.HANDLERS.get(event.type)
        if handler is None:
            return Reply(200, f"ignored {event.type}")
        with self.db.reading() as db:
            if db.is_processed(event.id):
                return Reply(200, "duplicate")
        with self.fetched_first(event), self.db.transaction() as db:
            if db.is_processed(event.id):
                return Reply(200, "duplicate")
            if not getattr(self, handler)(db, event.object):
                return Reply(200, "nothing to apply")
            db.mark_processed(event.id, event.type, self.now())
        return Reply(200, "applied")

    @contextmanager
    def fetched_first(self, event: Event) -> Iterator[None]:
        """Fetch the subscription the event's handler will read, with no database lock held,
        in turn with other deliveries about it; the handler then reads the fetched copy."""
        subscription_id = self.subscription_to_fetch(event)
        if subscription_id is None:
            yield
            return
        turn = self._turns[zlib.crc32(subscription_id.encode()) % len(self._turns)]
        with turn:
            with self.db.reading() as db:
                applied = db.is_processed(event.id)
            if applied:  # a copy applied it while this one waited
                yield  # not inside reading(): the caller's transaction takes the same lock
                return
            token = self._fetched.set(
                {subscription_id: self.fetch_subscription(subscription_id)})
            try:
                yield
            finally:
                self._fetched.reset(token)

    def subscription_to_fetch(self, event: Event) -> str | None:
        """The subscription id the handler will fetch, when the app knows the customer."""
        obj = event.object
        try:
            if event.type in SUBSCRIPTION_EVENTS:
                customer, subscription = text(obj, "customer"), text(obj, "id")
            elif event.type == "invoice.payment_failed":
                customer, subscription = text(obj, "customer"), self.invoice_subscription_id(obj)
            elif event.type == "checkout.session.completed" and obj.get("subscription"):
                customer, subscription = text(obj, "customer"), text(obj, "subscription")
            else:
                return None
        except MalformedEventError:
            return None  # the handler says what is wrong, in its transaction
        with self.db.reading() as db:
            user_id = obj.get("client_reference_id")
            known = db.user_by_customer(customer) is not None or (
                event.type == "checkout.session.completed" and isinstance(user_id, str)
                and db.user(user_id) is not None)
        return subscription if known else None

    def failure_reply(self, event: Event, exc: Exception) -> Reply:
        """A non-2xx answer makes Stripe deliver the event again; the transaction is undone."""
        log.exception("could not apply %s %s", event.type, event.id)
        return Reply(500, f"could not apply {event.type}: {type(exc).__name__}")

    # Handlers: each returns True when it wrote something.

    def on_subscription_event(self, db: Database, snapshot: dict[str, Any]) -> bool:
        if db.user_by_customer(text(snapshot, "customer")) is None:
            return False
        self.save_subscription(db, self.current_subscription(snapshot))
        return True

    def on_invoice_paid(self, db: Database, invoice: dict[str, Any]) -> bool:
        customer = text(invoice, "customer")
        if db.user_by_customer(customer) is None:
            return False
        # Paid is final for an invoice, so the snapshot is safe to record as is.
        db.record_invoice(
            InvoiceRow(
                stripe_invoice_id=text(invoice, "id"),
                stripe_customer_id=customer,
                stripe_subscription_id=self.invoice_subscription_id(invoice),
                status=text(invoice, "status"),
                amount_paid=integer(invoice, "amount_paid"),
                recorded_at=self.now(),
            )
        )
        return True

    def on_invoice_payment_failed(self, db: Database, invoice: dict[str, Any]) -> bool:
        subscription_id = self.invoice_subscription_id(invoice)
        if subscription_id is None or db.user_by_customer(text(invoice, "customer")) is None:
            return False
        self.save_subscription(db, self.fetch_subscription(subscription_id))
        return True

    def on_checkout_session_completed(self, db: Database, session: dict[str, Any]) -> bool:
        if field(session, "customer") is None:  # a guest checkout has no customer to link
            return False
        customer = text(session, "customer")
        user_id = session.get("client_reference_id")
        user = db.user(user_id) if isinstance(user_id, str) else None
        if user is not None and db.user_by_customer(customer) is None:
            db.link_customer(user.id, customer)
        if db.user_by_customer(customer) is None:
            return False
        # The subscription events may have arrived before this one and been skipped.
        if session.get("subscription"):
            self.save_subscription(db, self.fetch_subscription(text(session, "subscription")))
        return True

    # Reading Stripe objects.

    def current_subscription(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """What Stripe says about the event's subscription now; the snapshot may be stale."""
        return self.fetch_subscription(text(snapshot, "id"))

    def fetch_subscription(self, subscription_id: str) -> dict[str, Any]:
        fetched = self._fetched.get()
        if fetched is not None and subscription_id in fetched:
            return fetched[subscription_id]  # fetched before the transaction began
        # The JSON as Stripe sent it: `retrieve(...).to_dict()` gives the same dict, but builds
        # a StripeObject tree first, which cost more than the rest of a delivery together.
        path = f"/v1/subscriptions/{quote_plus(subscription_id)}"
        data = self.client.raw_request("get", path).data
        if isinstance(data, dict) and any(isinstance(d, str) for d in data.get("discounts") or []):
            # discounts are ids unless expanded: fetch once more, only when there is one
            data = self.client.raw_request("get", path, expand=["discounts"]).data
        if not isinstance(data, dict):
            raise MalformedEventError("Stripe answered a subscription that is not an object")
        return data

    def subscription_row(self, sub: dict[str, Any]) -> SubscriptionRow:
        return SubscriptionRow(
            stripe_subscription_id=text(sub, "id"),
            stripe_customer_id=text(sub, "customer"),
            status=text(sub, "status"),
            stripe_price_id=text(sub, "items", "data", 0, "price", "id"),
            current_period_end=self.period_end(sub),
            cancel_at_period_end=self.cancellation_pending(sub),
            cancel_at=integer(sub, "cancel_at", nullable=True),
            paused=self.is_paused(sub),
            collection_paused=self.collection_paused(sub),
            updated_at=self.now(),
            quantity=self.quantity(sub),
            cancellation_feedback=self.cancellation_feedback(sub),
            coupon=self.coupon(sub),
        )

    def quantity(self, sub: dict[str, Any]) -> int:
        # Seats: the item's quantity (the legacy top-level `quantity` is not in the typed SDKs).
        return integer(sub, "items", "data", 0, "quantity")

    def cancellation_feedback(self, sub: dict[str, Any]) -> str | None:
        # The portal's survey answer comes in a later update, after the cancellation itself.
        details = sub.get("cancellation_details")
        value = details.get("feedback") if isinstance(details, dict) else None
        return value if isinstance(value, str) else None

    def coupon(self, sub: dict[str, Any]) -> str | None:
        # basil (2025-03-31) removed Subscription.discount; `discounts` lists the discounts in
        # every version (fetched expanded). clover (2025-09-30) moved the discount's coupon (an
        # object) to source.coupon (an id). docs.stripe.com/changelog/clover/2025-09-30/
        # add-discount-source-property
        discounts = sub.get("discounts")
        if discounts and not isinstance(discounts[0], dict):  # bare ids: an event's snapshot
            discounts = self.fetch_subscription(text(sub, "id")).get("discounts")
        if not discounts or not isinstance(discounts[0], dict):
            return None
        discount = discounts[0]
        source = discount.get("source")
        coupon = field(source, "coupon") if source else field(discount, "coupon")
        return text(coupon, "id") if isinstance(coupon, dict) else coupon

    def period_end(self, sub: dict[str, Any]) -> int:
        # basil (2025-03-31) removed Subscription.current_period_end; the item's period is
        # present in every version. docs.stripe.com/changelog/basil/2025-03-31/
        # deprecate-subscription-current-period-start-and-end
        return integer(sub, "items", "data", 0, "current_period_end")

    def cancellation_pending(self, sub: dict[str, Any]) -> bool:
        # Classic billing mode sets cancel_at_period_end; flexible mode (the default from
        # 2025-09-30.clover) sets only cancel_at. docs.stripe.com/billing/subscriptions/
        # billing-mode/compare#scheduled-subscription-cancellation
        if field(sub, "status") == "canceled":
            return False
        return bool(field(sub, "cancel_at_period_end")) or field(sub, "cancel_at") is not None

    def is_paused(self, sub: dict[str, Any]) -> bool:
        return field(sub, "status") == "paused"

    def collection_paused(self, sub: dict[str, Any]) -> bool:
        return field(sub, "pause_collection") is not None

    def invoice_subscription_id(self, invoice: dict[str, Any]) -> str | None:
        # basil moved invoice.subscription to invoice.parent.subscription_details.subscription;
        # the presence of "parent" tells which rendering this is.
        if "parent" not in invoice:
            subscription = field(invoice, "subscription")
            return None if subscription is None else text(invoice, "subscription")
        parent = invoice["parent"] or {}
        if not isinstance(parent, dict):
            raise MalformedEventError("parent must be an object")
        details = parent.get("subscription_details")
        return text(details, "subscription") if details else None

    # Plan policy.

    def save_subscription(self, db: Database, sub: dict[str, Any]) -> None:
        row = self.subscription_row(sub)
        db.upsert_subscription(row)
        db.set_plan(
            row.stripe_customer_id, self.plan_for(db.subscriptions_of(row.stripe_customer_id))
        )

    def grants_access(self, row: SubscriptionRow) -> bool:
        return row.status not in ENDED_STATUSES

    def plan_for(self, rows: list[SubscriptionRow]) -> str:
        """The highest plan among subscriptions that still grant access, else "free"."""
        plans = [
            self.settings.price_plans[row.stripe_price_id]
            for row in rows
            if self.grants_access(row) and row.stripe_price_id in self.settings.price_plans
        ]
        return max(plans, key=self.settings.plan_rank, default="free")
