"""The portal configuration: Stripe's `billing_portal.configuration`, deciding what the portal lets
a customer do and how.

Takes the JSON Stripe's API returns for a configuration (or the same in YAML or TOML; only the
`features` the simulator uses are read, every other key is accepted as Stripe sends it), gives a
`PortalConfiguration` the World's portal verbs consult: whether plan and quantity changes,
cancellation and payment-method updates are offered, for which products and prices, with which
proration behaviour (Stripe's default when unset: none), the cancellation mode and the reasons a
customer may give. Built-in configurations live in `scenarios/portal_configurations/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, ScenarioError

Proration = Literal["create_prorations", "always_invoice", "none"]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _Product(_Lenient):
    product: str
    prices: list[str] = Field(default_factory=list)


class _Condition(_Lenient):
    type: Literal["decreasing_item_amount", "shortening_interval"]


class _ScheduleAtPeriodEnd(_Lenient):
    conditions: list[_Condition] = Field(default_factory=list)


class _SubscriptionUpdate(_Lenient):
    enabled: bool = False
    default_allowed_updates: list[Literal["price", "quantity", "promotion_code"]] = Field(
        default_factory=list)
    proration_behavior: Proration = "none"
    products: list[_Product] | None = None
    schedule_at_period_end: _ScheduleAtPeriodEnd | None = None


class _Reason(_Lenient):
    enabled: bool = False
    options: list[str] = Field(default_factory=list)


class _CouponOffer(_Lenient):
    coupon: str


class _Retention(_Lenient):
    # The Dashboard's retention coupon, which Stripe's API does not expose on the configuration;
    # written in the shape of a session's flow_data.subscription_cancel.retention.
    type: Literal["coupon_offer"]
    coupon_offer: _CouponOffer


class _SubscriptionCancel(_Lenient):
    enabled: bool = False
    mode: Literal["at_period_end", "immediately"] = "at_period_end"
    proration_behavior: Proration = "none"
    cancellation_reason: _Reason = Field(default_factory=_Reason)
    retention: _Retention | None = None


class _Enabled(_Lenient):
    enabled: bool = False


class _Features(_Lenient):
    subscription_update: _SubscriptionUpdate = Field(default_factory=_SubscriptionUpdate)
    subscription_cancel: _SubscriptionCancel = Field(default_factory=_SubscriptionCancel)
    payment_method_update: _Enabled = Field(default_factory=_Enabled)
    subscription_pause: _Enabled = Field(default_factory=_Enabled)


class PortalConfiguration(_Lenient):
    id: str = "bpc_harness_default"
    features: _Features = Field(default_factory=_Features)

    # -- what the portal offers ------------------------------------------------------------

    def require(self, feature: str) -> None:
        if not getattr(self.features, feature).enabled:
            raise ScenarioError(f"portal configuration {self.id}: features.{feature} is not "
                                "enabled, so the portal does not offer this")

    def check_update(self, what: str, price: str | None = None,
                     product: str | None = None) -> None:
        """A plan (`price`) or `quantity` change must be offered, and the price listed."""
        self.require("subscription_update")
        update = self.features.subscription_update
        if what not in update.default_allowed_updates:
            raise ScenarioError(f"portal configuration {self.id}: features.subscription_update."
                                f"default_allowed_updates does not include {what!r}")
        if price is not None and update.products is not None:
            listed = {p for entry in update.products if entry.product == product
                      for p in entry.prices}
            if price not in listed:
                raise ScenarioError(f"portal configuration {self.id}: price {price} is not "
                                    "offered in features.subscription_update.products")

    def retention_coupon(self) -> str | None:
        retention = self.features.subscription_cancel.retention
        return retention.coupon_offer.coupon if retention else None

    def schedules_downgrades(self) -> bool:
        update = self.features.subscription_update
        return bool(update.schedule_at_period_end and update.schedule_at_period_end.conditions)

    def check_reason(self, feedback: str | None) -> None:
        reason = self.features.subscription_cancel.cancellation_reason
        if feedback is not None and not (reason.enabled and feedback in reason.options):
            offered = ", ".join(reason.options) if reason.enabled else "none (disabled)"
            raise ScenarioError(f"portal configuration {self.id}: feedback {feedback!r} is not "
                                f"a cancellation reason it offers ({offered})")


def parse_portal_configuration(data: Any, source: str) -> PortalConfiguration:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a portal configuration is a mapping (Stripe's "
                          "billing_portal.configuration object)")
    if data.get("object", "billing_portal.configuration") != "billing_portal.configuration":
        raise ConfigError(f"{source}: object is {data.get('object')!r}, not "
                          "'billing_portal.configuration'")
    try:
        return PortalConfiguration.model_validate(data)
    except ValidationError as exc:
        from ..scenario.catalog import format_validation_error

        raise ConfigError(f"{source}: invalid portal configuration:\n"
                          f"{format_validation_error(exc)}") from None


def builtin_configurations_dir() -> Path:
    from ..scenario.files import builtin_scenarios_dir

    return builtin_scenarios_dir() / "portal_configurations"


def load_portal_configuration(name_or_path: str | dict[str, Any],
                              base: Path | None = None) -> PortalConfiguration:
    """A configuration inline (a mapping), from a file (.json, .yaml, .yml, .toml; relative
    paths from `base`), or a built-in by name."""
    if isinstance(name_or_path, dict):
        return parse_portal_configuration(name_or_path, "portal_configuration")
    path = Path(name_or_path)
    if path.suffix not in (".json", ".yaml", ".yml", ".toml"):
        path = builtin_configurations_dir() / f"{name_or_path}.json"
        if not path.exists():
            names = sorted(p.stem for p in builtin_configurations_dir().glob("*.json"))
            raise ConfigError(f"no portal configuration named {name_or_path!r}; built in: "
                              f"{', '.join(names)}")
    elif base is not None and not path.is_absolute():
        path = base / path
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    else:
        from ..scenario.catalog import read_structured_file

        data = read_structured_file(path)
    return parse_portal_configuration(data, str(path))
