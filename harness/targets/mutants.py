"""Defect catalog: realistic billing-integration bugs applied to the reference app on purpose.

Takes a mutant name and `AppSettings`, gives a `ReferenceApp` whose database, webhook or portal
part is replaced by a subclass that overrides one small method. The harness should pass the
reference app and report a failure for every mutant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import stripe

from harness.reference_app import (
    AppSettings,
    Database,
    PortalRoute,
    ReferenceApp,
    WebhookProcessor,
)
from harness.reference_app.db import Database as _Db
from harness.reference_app.db import InvoiceRow, SubscriptionRow, User
from harness.reference_app.reply import Reply
from harness.reference_app.webhooks import Event, field, text
from harness.targets.mutants_upcoming import upcoming_mutants
from harness.targets.schedule_mutants import SPECS as _SCHEDULE_SPECS

from .discount_mutants import SPECS as _DISCOUNT_SPECS


@dataclass(frozen=True)
class Mutant:
    """One defect: its name, its class of defect, what it does wrong, and the parts it swaps."""

    name: str
    defect_class: str
    description: str
    webhooks: type[WebhookProcessor] = WebhookProcessor
    portal: type[PortalRoute] = PortalRoute
    database: type[Database] = Database

    def create_app(self, settings: AppSettings) -> ReferenceApp:
        return ReferenceApp(
            settings, database=self.database, webhooks=self.webhooks, portal=self.portal
        )


# Signature checks.


class _NoSignatureCheck(WebhookProcessor):
    def verify(self, body: bytes, signature: str | None) -> dict[str, Any]:
        return json.loads(body)


class _ReserializedBody(WebhookProcessor):
    # What `request.json()` followed by json.dumps() does: the bytes Stripe signed are gone.
    def verify(self, body: bytes, signature: str | None) -> dict[str, Any]:
        return super().verify(json.dumps(json.loads(body)).encode(), signature)


class _StaleSignatures(WebhookProcessor):
    signature_tolerance = 0  # stripe-python skips the timestamp check when tolerance is 0


# Idempotency, retries and transactions.


class _NoDedupeNoUnique(Database):
    INVOICES_TABLE = Database.INVOICES_TABLE.replace("NOT NULL UNIQUE", "NOT NULL")

    def is_processed(self, event_id: str) -> bool:
        return False

    def mark_processed(self, event_id: str, event_type: str, now: int) -> None:
        pass


class _MarksProcessedFirst(WebhookProcessor):
    def process(self, event: Event) -> Reply:
        handler = self.HANDLERS.get(event.type)
        if handler is None:
            return Reply(200, f"ignored {event.type}")
        with self.db.transaction() as db:
            if db.is_processed(event.id):
                return Reply(200, "duplicate")
            db.mark_processed(event.id, event.type, self.now())
        with self.db.transaction() as db:
            getattr(self, handler)(db, event.object)
        return Reply(200, "applied")


class _SwallowsErrors(WebhookProcessor):
    def failure_reply(self, event: Event, exc: Exception) -> Reply:
        return Reply(200, "ok")


class _Autocommit(Database):
    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self.lock:
            yield self


# Ordering and API versions.


class _AppliesSnapshot(WebhookProcessor):
    def current_subscription(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        return snapshot


class _TopLevelPeriodEnd(WebhookProcessor):
    def period_end(self, sub: dict[str, Any]) -> int:
        return field(sub, "current_period_end")


class _InvoiceSubscriptionField(WebhookProcessor):
    def invoice_subscription_id(self, invoice: dict[str, Any]) -> str | None:
        return field(invoice, "subscription")


class _IgnoresCancelAt(WebhookProcessor):
    def cancellation_pending(self, sub: dict[str, Any]) -> bool:
        return bool(field(sub, "cancel_at_period_end"))


# Pause and access policy.


class _IgnoresPauseCollection(WebhookProcessor):
    def collection_paused(self, sub: dict[str, Any]) -> bool:
        return False


class _IgnoresPausedStatus(WebhookProcessor):
    def is_paused(self, sub: dict[str, Any]) -> bool:
        return False


class _RevokesOnPendingCancel(WebhookProcessor):
    def grants_access(self, row: SubscriptionRow) -> bool:
        return super().grants_access(row) and not row.cancel_at_period_end


class _OnlyActiveGrantsAccess(WebhookProcessor):
    def grants_access(self, row: SubscriptionRow) -> bool:
        return row.status in ("active", "trialing")


class _IgnoresSubscriptionDeleted(WebhookProcessor):
    HANDLERS = {
        event_type: handler
        for event_type, handler in WebhookProcessor.HANDLERS.items()
        if event_type != "customer.subscription.deleted"
    }


# Events this harness sends since the payment objects and portal flows were added.


class _FinalAfterCancellation(WebhookProcessor):
    # Treats the first cancellation event as final: customer.subscription.deleted is recorded
    # as sent and later updates of a canceled subscription are ignored, so the survey answer
    # the portal sends seconds afterwards is lost.
    def on_subscription_event(self, db: _Db, snapshot: dict[str, Any]) -> bool:
        row = db.subscription(text(snapshot, "id"))
        if row is not None and row.status == "canceled":
            return False
        if snapshot.get("status") == "canceled" and db.user_by_customer(
                text(snapshot, "customer")) is not None:
            self.save_subscription(db, snapshot)
            return True
        return super().on_subscription_event(db, snapshot)


class _IgnoresQuantity(WebhookProcessor):
    def quantity(self, sub: dict[str, Any]) -> int:
        return 1


class _PaidOnActionRequired(WebhookProcessor):
    # Reads invoice.payment_action_required as "the payment went through".
    HANDLERS = {**WebhookProcessor.HANDLERS,
                "invoice.payment_action_required": "on_action_required"}

    def on_action_required(self, db: _Db, invoice: dict[str, Any]) -> bool:
        db.record_invoice(InvoiceRow(
            stripe_invoice_id=text(invoice, "id"), stripe_customer_id=text(invoice, "customer"),
            stripe_subscription_id=self.invoice_subscription_id(invoice), status="paid",
            amount_paid=invoice.get("amount_due"), recorded_at=self.now()))
        return True


class _EndsTrialEarly(WebhookProcessor):
    # Reads customer.subscription.trial_will_end as "the trial is over" and drops the plan,
    # three days before the trial really ends.
    HANDLERS = {**WebhookProcessor.HANDLERS,
                "customer.subscription.trial_will_end": "on_trial_will_end"}

    def on_trial_will_end(self, db: _Db, snapshot: dict[str, Any]) -> bool:
        if db.user_by_customer(text(snapshot, "customer")) is None:
            return False
        self.save_subscription(db, {**self.current_subscription(snapshot), "status": "canceled"})
        return True


# Portal route.


class _CustomerFromRequest(PortalRoute):
    def customer_for(self, user: User, fields: Mapping[str, str]) -> str:
        return fields.get("customer") or super().customer_for(user, fields)


class _ReturnUrlFromRequest(PortalRoute):
    def return_url(self, fields: Mapping[str, str]) -> str:
        return fields.get("return_url") or super().return_url(fields)


class _NoCustomerCheck(PortalRoute):
    # The route assumes every user has a billing account and lets Stripe's refusal escape.
    def customer_for(self, user: User, fields: Mapping[str, str]) -> str:
        return user.stripe_customer_id  # type: ignore[return-value]

    def stripe_error_reply(self, exc: stripe.StripeError) -> Reply:
        raise exc


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "no_signature_check",
        "signature",
        "Accepts any webhook body without checking the Stripe-Signature header.",
        webhooks=_NoSignatureCheck,
    ),
    Mutant(
        "verifies_reserialized_body",
        "signature",
        "Checks the signature against re-serialized JSON instead of the raw body, so genuine "
        "events are rejected.",
        webhooks=_ReserializedBody,
    ),
    Mutant(
        "accepts_stale_signatures",
        "signature",
        "Turns off the timestamp tolerance, so a replayed old delivery is accepted.",
        webhooks=_StaleSignatures,
    ),
    Mutant(
        "records_paid_invoice_twice",
        "idempotency",
        "Neither remembers processed events nor has a unique invoice id, so a duplicate "
        "delivery or invoice.paid plus invoice.payment_succeeded records one payment twice.",
        database=_NoDedupeNoUnique,
    ),
    Mutant(
        "marks_processed_before_applying",
        "retries",
        "Marks the event processed before applying it, so after a failure Stripe's retry is "
        "skipped as a duplicate and the change is lost.",
        webhooks=_MarksProcessedFirst,
    ),
    Mutant(
        "swallows_errors",
        "retries",
        "Answers 200 when applying an event fails, so Stripe never retries and the event is lost.",
        webhooks=_SwallowsErrors,
    ),
    Mutant(
        "commits_partial_writes",
        "transactions",
        "Writes without a transaction, so a failure halfway leaves half an event applied.",
        database=_Autocommit,
    ),
    Mutant(
        "applies_event_snapshot",
        "ordering",
        "Copies the subscription from the event instead of re-fetching it, so an old event "
        "delivered late undoes a newer state.",
        webhooks=_AppliesSnapshot,
    ),
    Mutant(
        "reads_subscription_current_period_end",
        "api_version",
        "Reads subscription.current_period_end, which API version 2025-03-31.basil removed.",
        webhooks=_TopLevelPeriodEnd,
    ),
    Mutant(
        "reads_invoice_subscription",
        "api_version",
        "Reads invoice.subscription, which basil moved to invoice.parent.subscription_details, "
        "so paid invoices are rejected.",
        webhooks=_InvoiceSubscriptionField,
    ),
    Mutant(
        "ignores_cancel_at",
        "billing_mode",
        "Looks only at cancel_at_period_end, so a pending cancellation in flexible billing mode "
        "(only cancel_at set) is not recorded.",
        webhooks=_IgnoresCancelAt,
    ),
    Mutant(
        "ignores_pause_collection",
        "pause",
        "Never records that payment collection is paused (pause_collection).",
        webhooks=_IgnoresPauseCollection,
    ),
    Mutant(
        "ignores_paused_status",
        "pause",
        "Never records that a subscription is paused (status paused).",
        webhooks=_IgnoresPausedStatus,
    ),
    Mutant(
        "revokes_on_pending_cancel",
        "access_policy",
        "Drops the user to free as soon as a cancellation is scheduled, instead of when the "
        "period ends.",
        webhooks=_RevokesOnPendingCancel,
    ),
    Mutant(
        "only_active_grants_access",
        "access_policy",
        "Grants the plan only to active or trialing subscriptions, so a past_due user loses "
        "access while Stripe is still retrying the payment.",
        webhooks=_OnlyActiveGrantsAccess,
    ),
    Mutant(
        "ignores_subscription_deleted",
        "event_coverage",
        "Does not handle customer.subscription.deleted, so a canceled user keeps the plan.",
        webhooks=_IgnoresSubscriptionDeleted,
    ),
    Mutant(
        "final_after_cancellation",
        "cancellation",
        "Treats the first cancellation event as final and ignores later updates of a canceled "
        "subscription, so the cancellation feedback the portal sends seconds later is lost.",
        webhooks=_FinalAfterCancellation,
    ),
    Mutant(
        "ignores_quantity",
        "seats",
        "Ignores the subscription item's quantity, so seats changed in the portal are lost.",
        webhooks=_IgnoresQuantity,
    ),
    Mutant(
        "paid_on_payment_action_required",
        "authentication",
        "Records the invoice as paid on invoice.payment_action_required, although the customer "
        "has not authenticated and nothing was charged.",
        webhooks=_PaidOnActionRequired,
    ),
    Mutant(
        "ends_trial_on_trial_will_end",
        "trials",
        "Treats customer.subscription.trial_will_end as the end of the trial and drops the plan "
        "three days early.",
        webhooks=_EndsTrialEarly,
    ),
    *(Mutant(name, kind, what, webhooks=cls)
      for name, kind, what, cls in (*_SCHEDULE_SPECS, *_DISCOUNT_SPECS)),
    Mutant(
        "portal_customer_from_request",
        "portal_auth",
        "Opens the portal for a customer id taken from the request, so any user can open "
        "another customer's billing.",
        portal=_CustomerFromRequest,
    ),
    Mutant("portal_return_url_from_request", "portal_auth",
           "Takes the return_url from the request, an open redirect.",
           portal=_ReturnUrlFromRequest),
    Mutant(
        "portal_no_customer_check",
        "portal_errors",
        "Calls Stripe for a user who has no Stripe customer and crashes (500) on its refusal, "
        "instead of answering 404.",
        portal=_NoCustomerCheck,
    ),
    *upcoming_mutants(Mutant),
)


def mutant(name: str) -> Mutant:
    for candidate in MUTANTS:
        if candidate.name == name:
            return candidate
    known = ", ".join(m.name for m in MUTANTS)
    raise KeyError(f"unknown mutant {name!r}; known mutants: {known}")


def create_mutant_app(name: str, settings: AppSettings) -> ReferenceApp:
    """The reference app with the named defect applied."""
    return mutant(name).create_app(settings)
