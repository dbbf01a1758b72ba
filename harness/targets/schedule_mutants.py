"""Planted defects about subscription schedules (the portal's downgrades at period end).

Each is a `WebhookProcessor` subclass overriding one small method, registered in
`harness.targets.mutants.MUTANTS`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote_plus

from harness.reference_app import WebhookProcessor
from harness.reference_app.db import SubscriptionRow
from harness.reference_app.webhooks import text


class ReadsScheduledPhase(WebhookProcessor):
    # Takes "the plan the customer chose" from the last phase of the subscription's schedule,
    # so a downgrade scheduled for the period end takes the higher plan away at once.
    def subscription_row(self, sub: dict[str, Any]) -> SubscriptionRow:
        row = super().subscription_row(sub)
        schedule = sub.get("schedule")
        if not isinstance(schedule, str):
            return row
        path = f"/v1/subscription_schedules/{quote_plus(schedule)}"
        phases = self.client.raw_request("get", path).data.get("phases") or []
        if not phases:
            return row
        price = text(phases[-1], "items", 0, "price")
        return replace(row, stripe_price_id=price)


SPECS = (("reads_scheduled_phase", "schedules", "Takes the price from the last phase of the "
          "subscription's schedule, so a downgrade scheduled for the period end applies at once.",
          ReadsScheduledPhase),)
