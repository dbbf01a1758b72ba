"""Planted defects about discounts, added to the defect catalog in `harness.targets.mutants`.

Each is a `WebhookProcessor` subclass that overrides one small method, listed in `SPECS` as the
arguments of a `Mutant` (name, defect class, description, webhooks).
"""

from __future__ import annotations

from typing import Any

from harness.reference_app import WebhookProcessor
from harness.reference_app.db import Database
from harness.reference_app.webhooks import text


class _KeepsEndedDiscount(WebhookProcessor):
    # Records a coupon when a discount appears and never clears it (as an app that handles
    # customer.discount.created and not .deleted), so a discount that ended still shows.
    def save_subscription(self, db: Database, sub: dict[str, Any]) -> None:
        old = db.subscription(text(sub, "id"))
        if old is not None and old.coupon is not None and self.coupon(sub) is None:
            sub = {**sub, "_kept_coupon": old.coupon}
        super().save_subscription(db, sub)

    def coupon(self, sub: dict[str, Any]) -> str | None:
        return sub.get("_kept_coupon") or super().coupon(sub)


class _ReadsSubscriptionDiscount(WebhookProcessor):
    # Reads subscription.discount.coupon.id, which 2025-03-31.basil removed (use discounts).
    def coupon(self, sub: dict[str, Any]) -> str | None:
        discount = sub.get("discount")
        return discount["coupon"]["id"] if discount else None


SPECS: tuple[tuple[str, str, str, type[WebhookProcessor]], ...] = (
    ("keeps_ended_discount", "discounts",
     "Records a coupon when a discount appears and never clears it, so a promotion code or "
     "retention coupon whose duration ended still shows as applied.", _KeepsEndedDiscount),
    ("reads_subscription_discount", "api_version",
     "Reads subscription.discount, which 2025-03-31.basil removed (`discounts` lists them), so "
     "a promotion code or retention coupon is not recorded.", _ReadsSubscriptionDiscount),
)
