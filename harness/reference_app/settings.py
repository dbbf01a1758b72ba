"""Configuration of the reference app: Stripe endpoint, keys, API version and plan catalog.

Takes plain values (from a test, the harness or the command line), gives an `AppSettings` and
the one `stripe.StripeClient` the app uses for every call to Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe


@dataclass
class AppSettings:
    """Everything the reference app needs to know; no environment variables are read."""

    stripe_api_key: str = field(repr=False)  # secrets stay out of reprs, logs and notebooks
    stripe_api_base: str
    webhook_secret: str = field(repr=False)
    api_version: str
    price_plans: dict[str, str]
    plan_order: list[str]
    site_url: str = "https://app.example.test"
    portal_configuration: str | None = None
    # When set, every Stripe call goes through this client (for example one that calls a fake
    # Stripe in-process); otherwise the stripe package picks its default HTTP client.
    http_client: stripe.HTTPClient | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.price_plans.values()) - set(self.plan_order))
        if unknown:
            raise ValueError(f"price_plans names plans missing from plan_order: {unknown}")

    def stripe_client(self) -> stripe.StripeClient:
        """The app's Stripe client: pinned API version, no automatic retries."""
        return stripe.StripeClient(
            self.stripe_api_key,
            stripe_version=self.api_version,
            base_addresses={"api": self.stripe_api_base},
            max_network_retries=0,
            http_client=self.http_client,
        )

    def plan_rank(self, plan: str) -> int:
        """Position of a plan in plan_order, lowest first ("free" and unknown plans rank lowest)."""
        return self.plan_order.index(plan) if plan in self.plan_order else -1

    @property
    def portal_return_url(self) -> str:
        return f"{self.site_url.rstrip('/')}/billing"
