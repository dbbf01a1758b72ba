"""What a portal page may offer: the portal configuration's `features`, read in one place.

Takes a Stripe-shaped `billing_portal.configuration` (a dict as the API returns it) or nothing;
gives `PortalFeatures`, which every page consults before it shows a button. Without a
configuration the fake's default one applies: every feature on, as a new test-mode account's
default configuration is set up in the Dashboard (invoice history, card update, cancel at period
end with reasons, plan switch with prorations among the catalog's prices).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..scenario.catalog import Catalog
from ..versions import at_least

# billing_portal.configuration.features.subscription_cancel.cancellation_reason.options
# (stripe-python 16.1, billing_portal/_configuration.py), with the portal's wording.
CANCELLATION_REASONS = {
    "too_expensive": "It's too expensive",
    "missing_features": "Some features are missing",
    "switched_service": "I'm switching to a different service",
    "unused": "I don't use the service enough",
    "customer_service": "Customer service was less than expected",
    "too_complex": "Ease of use was less than expected",
    "low_quality": "Quality was less than expected",
    "other": "Other reason",
}
CANCEL_MODES = ("at_period_end", "immediately")
CANCEL_PRORATIONS = ("none", "create_prorations")
UPDATE_PRORATIONS = ("none", "create_prorations", "always_invoice")
# The redesigned portal's pause (features.subscription_pause) arrives with 2026-10-28.endive;
# the status pause it uses needs flexible billing mode (FIDELITY.md, "pause").
PAUSE_FROM = "2026-10-28"


@dataclass(frozen=True)
class PortalFeatures:
    """The portal configuration's features, as the pages use them."""

    invoice_history: bool = True
    payment_method_update: bool = True
    cancel: bool = True
    cancel_mode: str = "at_period_end"
    cancel_proration_behavior: str = "none"
    cancellation_reasons: tuple[str, ...] = tuple(CANCELLATION_REASONS)  # () = not asked
    update: bool = True
    update_prices: tuple[str, ...] | None = None  # None: every price of the catalog
    update_proration_behavior: str = "create_prorations"
    pause: bool = True
    customer_update: tuple[str, ...] = ()  # allowed_updates; shown read-only

    def __post_init__(self) -> None:
        for value, allowed, name in (
                (self.cancel_mode, CANCEL_MODES, "subscription_cancel.mode"),
                (self.cancel_proration_behavior, CANCEL_PRORATIONS,
                 "subscription_cancel.proration_behavior"),
                (self.update_proration_behavior, UPDATE_PRORATIONS,
                 "subscription_update.proration_behavior")):
            if value not in allowed:
                raise ConfigError(f"features.{name}: {value!r} is not one of "
                                  f"{', '.join(allowed)}")
        unknown = [r for r in self.cancellation_reasons if r not in CANCELLATION_REASONS]
        if unknown:
            raise ConfigError(f"features.subscription_cancel.cancellation_reason.options: "
                              f"unknown reason {unknown[0]!r}")

    def prices(self, catalog: Catalog) -> list[str]:
        """The prices a customer may switch to, in catalog order."""
        if not self.update:
            return []
        offered = self.update_prices
        return [p for p in catalog.prices if offered is None or p in offered]

    def pause_offered(self, api_version: str, billing_mode: str) -> bool:
        return self.pause and at_least(api_version, PAUSE_FROM) and billing_mode == "flexible"

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any]) -> PortalFeatures:
        """Read a `billing_portal.configuration` object (or its `features` alone)."""
        features = configuration.get("features", configuration)
        if not isinstance(features, Mapping):
            raise ConfigError("a portal configuration's features must be an object")

        def part(name: str) -> Mapping[str, Any]:
            value = features.get(name) or {}
            if not isinstance(value, Mapping):
                raise ConfigError(f"features.{name} must be an object")
            return value

        cancel, update = part("subscription_cancel"), part("subscription_update")
        reason = cancel.get("cancellation_reason") or {}
        prices: list[str] = []
        for product in update.get("products") or []:
            prices.extend(product.get("prices") or [])
        allowed = update.get("default_allowed_updates")
        switch = bool(update.get("enabled")) and (allowed is None or "price" in allowed)
        return cls(
            # a configuration read without this key (a simulator's model of it) keeps the
            # read-only history Stripe shows by default
            invoice_history=bool(part("invoice_history").get("enabled", True))
            if "invoice_history" in features else True,
            payment_method_update=bool(part("payment_method_update").get("enabled")),
            cancel=bool(cancel.get("enabled")),
            cancel_mode=cancel.get("mode") or "at_period_end",
            cancel_proration_behavior=cancel.get("proration_behavior") or "none",
            cancellation_reasons=tuple(reason.get("options") or ())
            if reason.get("enabled") else (),
            update=switch,
            update_prices=tuple(prices) if update.get("products") is not None else None,
            # "API default none if not set at creation" (FIDELITY.md 1.1)
            update_proration_behavior=update.get("proration_behavior") or "none",
            pause=bool(part("subscription_pause").get("enabled")),
            customer_update=tuple(part("customer_update").get("allowed_updates") or ())
            if part("customer_update").get("enabled") else (),
        )

    def as_configuration_features(self, catalog: Catalog) -> dict[str, Any]:
        """The `features` object Stripe would show for these settings."""
        by_product: dict[str, list[str]] = {}
        for price_id in self.prices(catalog) or list(catalog.prices):
            by_product.setdefault(catalog.price(price_id).product, []).append(price_id)
        return {
            "customer_update": {"allowed_updates": list(self.customer_update),
                                "enabled": bool(self.customer_update)},
            "invoice_history": {"enabled": self.invoice_history},
            "payment_method_update": {"enabled": self.payment_method_update},
            "subscription_cancel": {
                "cancellation_reason": {"enabled": bool(self.cancellation_reasons),
                                        "options": list(self.cancellation_reasons)},
                "enabled": self.cancel, "mode": self.cancel_mode,
                "proration_behavior": self.cancel_proration_behavior},
            "subscription_pause": {"enabled": self.pause},
            "subscription_update": {
                "default_allowed_updates": ["price"] if self.update else [],
                "enabled": self.update,
                "products": [{"prices": p, "product": k} for k, p in by_product.items()],
                "proration_behavior": self.update_proration_behavior},
        }
