"""Objects an app makes through the REST API that the portal flows never needed.

Products and prices as objects (the catalog seeds them), product features, webhook endpoints and
portal configurations, kept in one `ApiStores` on the World. Plain version-free dataclasses like
those in objects.py; `harness.render.api_objects` shows them per API version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .objects import _Snap

CATALOG_CREATED = 1767225600  # the fixed `created` the renderers give catalog prices


@dataclass
class Product(_Snap):
    id: str
    name: str
    created: int
    active: bool = True
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    default_price: str | None = None
    updated: int = 0
    kind = "product"


@dataclass
class PriceObject(_Snap):
    """A price as an object: the catalog's `Price` fields plus what the API can change."""

    id: str
    product: str
    unit_amount: int
    currency: str
    interval: str | None  # None: a one-time price
    interval_count: int
    created: int
    active: bool = True
    nickname: str | None = None
    lookup_key: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    kind = "price"


@dataclass
class Feature(_Snap):
    """An entitlements feature (`/v1/entitlements/features`)."""

    id: str
    name: str
    lookup_key: str
    created: int
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)
    kind = "entitlements.feature"


@dataclass
class ProductFeature(_Snap):
    id: str
    product: str
    feature: str
    created: int
    kind = "product_feature"


@dataclass
class WebhookEndpoint(_Snap):
    id: str
    url: str
    enabled_events: list[str]
    created: int
    secret: str
    api_version: str | None = None
    description: str | None = None
    status: str = "enabled"
    metadata: dict[str, str] = field(default_factory=dict)
    kind = "webhook_endpoint"


@dataclass
class PortalConfiguration(_Snap):
    id: str
    created: int
    is_default: bool = False
    active: bool = True
    features: dict[str, Any] = field(default_factory=dict)
    business_profile: dict[str, Any] = field(default_factory=dict)
    default_return_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    updated: int = 0
    kind = "billing_portal.configuration"


@dataclass
class ApiStores:
    """The World's REST-only objects; products and prices are seeded from the catalog lazily."""

    products: dict[str, Product] = field(default_factory=dict)
    prices: dict[str, PriceObject] = field(default_factory=dict)
    features: dict[str, Feature] = field(default_factory=dict)
    product_features: dict[str, ProductFeature] = field(default_factory=dict)
    webhook_endpoints: dict[str, WebhookEndpoint] = field(default_factory=dict)
    portal_configurations: dict[str, PortalConfiguration] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)  # id -> object type, for retrieve
    overlays: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> stored fields
    seeded: bool = False


@dataclass
class BalanceTransaction(_Snap):
    """The balance transaction a succeeded charge references, derived from the charge (the
    World keeps no ledger): Stripe's standard card fee, available two days later."""

    id: str
    source: str
    amount: int
    currency: str
    created: int
    description: str | None
    type: str = "charge"  # charge | refund
    kind = "balance_transaction"

    @property
    def fee(self) -> int:
        """A charge's card fee; a refund returns none of it (a negative amount, no fee)."""
        return round(self.amount * 0.029) + 30 if self.amount > 0 else 0

    @classmethod
    def of_charge(cls, charge: Any) -> BalanceTransaction:
        return cls(charge.balance_transaction, charge.id, charge.amount, charge.currency,
                   charge.created, getattr(charge, "description", None))

    @classmethod
    def of_refund(cls, refund: Any) -> BalanceTransaction:
        return cls(refund.balance_transaction, refund.id, -refund.amount, refund.currency,
                   refund.created, "REFUND FOR CHARGE", type="refund")
