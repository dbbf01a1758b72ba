"""Planted defects around events that announce rather than change: `invoice.upcoming`.

Kept apart from `mutants` (which lists them in its catalog) so each module stays small.
"""

from __future__ import annotations

from typing import Any

from harness.reference_app import WebhookProcessor
from harness.reference_app.db import Database as _Db
from harness.reference_app.webhooks import field, integer, text


class _RenewsOnUpcoming(WebhookProcessor):
    # Reads invoice.upcoming as "the subscription renewed": moves the period end to the end of
    # the previewed line, days before Stripe creates the renewal invoice (or, should the
    # customer cancel meanwhile, at all).
    HANDLERS = {**WebhookProcessor.HANDLERS, "invoice.upcoming": "on_upcoming"}

    def on_upcoming(self, db: _Db, invoice: dict[str, Any]) -> bool:
        subscription_id = self.invoice_subscription_id(invoice)
        if subscription_id is None or db.user_by_customer(text(invoice, "customer")) is None:
            return False
        sub = self.fetch_subscription(subscription_id)
        renewed_to = integer(invoice, "lines", "data", 0, "period", "end")
        item = {**field(sub, "items", "data", 0), "current_period_end": renewed_to}
        self.save_subscription(db, {**sub, "items": {**sub["items"], "data": [item]}})
        return True


def upcoming_mutants(mutant: Any) -> tuple[Any, ...]:
    """The catalog entries, built with `mutants.Mutant` (passed in: it imports this module)."""
    return (
        mutant(
            "renews_on_invoice_upcoming",
            "announcements",
            "Treats invoice.upcoming, sent days before a renewal, as the renewal itself and "
            "moves the period end early.",
            webhooks=_RenewsOnUpcoming,
        ),
    )
