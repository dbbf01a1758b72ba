"""Scenarios: validated files describing a portal flow, step by step, with checkpoints.

Takes a YAML or TOML file (or a built-in name), gives a `Scenario` of customers and steps. Each
step is a one-key mapping, `{action: {params}}`; `checkpoint` marks where the app's state is
compared. Plans are named, or chosen by rank with `@low`, `@mid`, `@high`, so any catalog works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from ..errors import ConfigError, ScenarioError
from .catalog import Catalog, format_validation_error, read_structured_file
from .discounts import CouponSpec, PromotionCodeSpec, check_references

# A scenario covers at most this much virtual time: the simulator renews every period on the
# way, so an unbounded `advance: {days: 365000}` would play thousands of renewals.
MAX_VIRTUAL_DAYS = 3660


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    email: str | None = None
    portal_configuration: str | dict[str, Any] | None = Field(
        default=None, description="this customer's portal configuration, when the app routes "
                                  "customers to several (default: the scenario's)")


class _OnSubscription(_Strict):
    customer: str
    subscription: int | None = Field(
        default=None, ge=1,
        description="which of the customer's subscriptions (1 = first created); default: the "
                    "newest that has not ended")


class Checkout(_Strict):
    customer: str
    plan: str = "@low"
    price: str | None = None
    quantity: int = Field(default=1, ge=1)
    card: Literal["visa", "mastercard", "authentication_required"] = "visa"
    trial_days: int | None = Field(default=None, ge=1, description="start with a free trial")
    billing_mode: Literal["classic", "flexible"] | None = Field(
        default=None, description="the subscription's billing mode, as the request creating it "
                                  "chose (its API version's default or billing_mode); default: "
                                  "the run's")


class SwitchPlan(_OnSubscription):
    plan: str | None = None
    price: str | None = None
    proration_behavior: Literal["create_prorations", "always_invoice", "none"] | None = Field(
        default=None, description="default: the portal configuration's, else create_prorations")

    @model_validator(mode="after")
    def _one_target(self) -> SwitchPlan:
        if (self.plan is None) == (self.price is None):
            raise ValueError("give exactly one of plan or price")
        return self


class CancelAtPeriodEnd(_OnSubscription):
    feedback: str | None = None


class UndoCancel(_OnSubscription):
    pass


class CancelScheduledUpdate(_OnSubscription):
    pass


class CancelNow(_OnSubscription):
    feedback: str | None = None


class Pause(_OnSubscription):
    mechanism: Literal["auto", "status", "pause_collection"] = "auto"
    behavior: Literal["void", "keep_as_draft", "mark_uncollectible"] = "void"


class Resume(_OnSubscription):
    pass


class UpdatePaymentMethod(_Strict):
    customer: str
    card: Literal["visa", "mastercard", "declining", "authentication_required"] = "visa"


class ChangeQuantity(_OnSubscription):
    quantity: int = Field(ge=1)
    proration_behavior: Literal["create_prorations", "always_invoice", "none"] | None = None


class ApplyPromotionCode(_OnSubscription):
    code: str = Field(min_length=1, description="the customer-facing code (or its promo_ id)")


class AcceptRetentionOffer(_OnSubscription):
    coupon: str | None = Field(default=None, description="default: the portal configuration's "
                               "features.subscription_cancel.retention coupon")


class AuthenticatePayment(_Strict):
    customer: str
    succeed: bool = True


class Settings(_Strict):
    """Stripe account settings a scenario runs under (FIDELITY.md names each choice)."""

    retry_schedule: Literal["smart_retries_8_in_2_weeks", "custom_3_5_7"] = (
        "smart_retries_8_in_2_weeks")
    feedback: Literal["separate_update", "same_event"] = "separate_update"
    portal_card_update: Literal["customer_and_subscriptions", "customer_only"] = Field(
        default="customer_and_subscriptions",
        description="what a card update in the portal becomes the default of: the customer "
                    "and their live subscriptions (a subscription's own default is charged "
                    "first), or the customer only")
    upcoming_invoice_id: Literal["none", "upcoming_in_from_clover"] = Field(
        default="none",
        description="the id of invoice.upcoming's invoice: none in every version (Stripe's "
                    "event docs), or an upcoming_in_ id from 2025-09-30.clover")
    upcoming_renewal_days: Annotated[int, Field(ge=1, le=60)] | Literal["off"] = Field(
        default=3,
        description="Billing settings' 'Upcoming renewal events': invoice.upcoming this many "
                    "days before a renewal invoice is created, or off")


class CardDeclines(_Strict):
    customer: str


class Advance(_Strict):
    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    to: Literal["next_renewal"] | None = Field(
        default=None, description="the next period end of any live subscription, plus the "
                                  "hour Stripe waits before charging, plus a minute")

    @model_validator(mode="after")
    def _something(self) -> Advance:
        if self.to is None and self.days == 0 and self.hours == 0:
            raise ValueError("give days, hours or to")
        return self


class Expect(_Strict):
    plan: str | None = None
    status: str | None = None
    cancel_at_period_end: bool | None = None
    paused: bool | None = None
    collection_paused: bool | None = None
    paid_invoices: int | None = None
    quantity: int | None = None
    cancellation_feedback: str | None = None
    coupon: str | None = None


class Checkpoint(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    expect: dict[str, Expect] = Field(default_factory=dict)


ACTIONS: dict[str, type[_Strict]] = {
    "checkout": Checkout,
    "switch_plan": SwitchPlan,
    "cancel_at_period_end": CancelAtPeriodEnd,
    "undo_cancel": UndoCancel,
    "cancel_scheduled_update": CancelScheduledUpdate,
    "cancel_now": CancelNow,
    "pause": Pause,
    "resume": Resume,
    "update_payment_method": UpdatePaymentMethod,
    "card_declines": CardDeclines,
    "change_quantity": ChangeQuantity,
    "authenticate_payment": AuthenticatePayment,
    "apply_promotion_code": ApplyPromotionCode,
    "accept_retention_offer": AcceptRetentionOffer,
    "advance": Advance,
    "checkpoint": Checkpoint,
}

Step = Annotated[Any, "one of the ACTIONS models"]


class Scenario(_Strict):
    """A portal flow: customers, then steps, with at least one checkpoint."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    customers: list[CustomerSpec] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    requires: dict[str, str] = Field(
        default_factory=dict,
        description="min_api_version: YYYY-MM-DD; billing_mode: classic|flexible")
    settings: Settings = Field(default_factory=Settings)
    portal_configuration: str | dict[str, Any] | None = Field(
        default=None, description="a built-in configuration's name, a file (JSON, YAML, TOML) "
                                  "relative to the scenario, or Stripe's object inline")
    coupons: list[CouponSpec] = Field(default_factory=list, description="coupons the flow "
                                      "uses, added to the catalog's")
    promotion_codes: list[PromotionCodeSpec] = Field(default_factory=list)
    _source: str | None = PrivateAttr(default=None)
    _unsupported: dict[str, str] = PrivateAttr(default_factory=dict)  # version -> why not

    @property
    def source(self) -> str:
        """The file the scenario came from, or its name when it was built in code."""
        return self._source or f"scenario {self.name!r}"

    @model_validator(mode="before")
    @classmethod
    def _parse_steps(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a scenario is a mapping with name, description, customers, steps")
        customers = data.get("customers")
        if isinstance(customers, list):
            data = {**data, "customers": [{"name": c} if isinstance(c, str) else c
                                          for c in customers]}
        steps = data.get("steps")
        if isinstance(steps, list):
            data = {**data, "steps": [_parse_step(i, s) for i, s in enumerate(steps)]}
        return data

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        names = {c.name for c in self.customers}
        if not any(isinstance(s, Checkpoint) for s in self.steps):
            raise ValueError("a scenario needs at least one checkpoint step")
        for i, step in enumerate(self.steps):
            who = getattr(step, "customer", None)
            if who is not None and who not in names:
                raise ValueError(f"steps.{i}: unknown customer {who!r} (declared: {sorted(names)})")
            for who in getattr(step, "expect", {}):
                if who not in names:
                    raise ValueError(f"steps.{i}.checkpoint.expect: unknown customer {who!r}")
        elapsed = 0
        for i, step in enumerate(self.steps):
            if isinstance(step, Advance):
                elapsed += step.days * 86400 + step.hours * 3600
                if elapsed > MAX_VIRTUAL_DAYS * 86400:
                    raise ValueError(
                        f"steps.{i}.advance: takes the scenario past {MAX_VIRTUAL_DAYS} days "
                        "(about ten years) of virtual time, the most a scenario may cover")
        check_references(self.coupons, [p for p in self.promotion_codes
                                         if p.coupon in {c.id for c in self.coupons}])
        unknown = set(self.requires) - {"min_api_version", "billing_mode"}
        if unknown:
            raise ValueError(f"requires: unknown key(s) {sorted(unknown)}")
        return self

    @property
    def checkpoints(self) -> list[str]:
        return [s.name for s in self.steps if isinstance(s, Checkpoint)]

    def supports(self, api_version: str, billing_mode: str) -> str | None:
        """None when the scenario can run here, else why not."""
        if why := self._unsupported.get(api_version):
            return why
        need = self.requires.get("min_api_version")
        if need and api_version[:10] < need:
            return f"needs API version {need} or later"
        mode = self.requires.get("billing_mode")
        if mode and mode != billing_mode:
            return f"needs {mode} billing mode"
        return None

    def mark_unsupported(self, api_version: str, why: str) -> None:
        """Found by playing it: the scenario cannot run at this version (e.g. its portal
        configuration does not offer a step), so a matrix skips it there."""
        self._unsupported = {**self._unsupported, api_version: why}

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {i + 1} | `{step_name(s)}` | {step_summary(s)} |"
                         for i, s in enumerate(self.steps))
        return (f"**{self.name}**: {self.description}\n\n| # | step | details |\n|---|---|---|\n"
                f"{rows}")


def step_name(step: Any) -> str:
    return next(k for k, v in ACTIONS.items() if isinstance(step, v))


def step_summary(step: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in step.model_dump(exclude_defaults=True).items())


def _parse_step(index: int, raw: Any) -> Any:
    if isinstance(raw, dict) and len(raw) == 1:
        (action, params), = raw.items()
        model = ACTIONS.get(action)
        if model is None:
            raise ValueError(f"steps.{index}: unknown action {action!r}; "
                             f"choose from {', '.join(ACTIONS)}")
        if action == "checkpoint" and isinstance(params, str):
            params = {"name": params}
        try:
            return model.model_validate(params or {})
        except ValidationError as exc:
            detail = format_validation_error(exc).replace("  ", f"  steps.{index}.{action}.")
            raise ValueError(detail.strip()) from None
    raise ValueError(f"steps.{index}: a step is a mapping with exactly one action key, got {raw!r}")


def resolve_plan(selector: str, catalog: Catalog) -> str:
    """A plan name, or @low / @mid / @high for the lowest, middle and highest catalog plan."""
    plans = catalog.plans
    picks = {"@low": plans[0], "@mid": plans[len(plans) // 2], "@high": plans[-1]}
    if selector.startswith("@"):
        if selector not in picks:
            raise ScenarioError(f"unknown plan selector {selector!r}; use @low, @mid or @high")
        return picks[selector]
    if selector not in plans:
        raise ScenarioError(f"plan {selector!r} is not in the catalog (plans: {', '.join(plans)})")
    return selector


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file; errors name the file and the field."""
    path = Path(path)
    data = read_structured_file(path, what="scenario file")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid scenario:\n{format_validation_error(exc)}") from None
    if scenario.name != path.stem:
        raise ConfigError(f"{path}: name {scenario.name!r} must match the file name {path.stem!r}")
    scenario._source = str(path)
    return scenario


def builtin_scenarios_dir() -> Path:
    """Where the built-in scenarios live: inside the wheel, or scenarios/ in a source checkout."""
    package = Path(__file__).resolve().parents[1]  # harness/
    packaged = package / "_scenarios"
    return packaged if packaged.is_dir() else package.parent / "scenarios"


def list_scenarios(directory: str | Path | None = None) -> list[Scenario]:
    """Every scenario in a directory (default: the built-ins), sorted by name."""
    root = Path(directory) if directory is not None else builtin_scenarios_dir()
    if not root.is_dir():
        raise ConfigError(f"{root}: not a directory of scenarios")
    files = sorted([*root.glob("*.yaml"), *root.glob("*.yml"), *root.glob("*.toml")])
    return [load_scenario(f) for f in files]


def get_scenario(name_or_path: str, directory: str | Path | None = None) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    if name_or_path.endswith((".yaml", ".yml", ".toml")) or "/" in name_or_path:
        return load_scenario(name_or_path)
    root = Path(directory) if directory is not None else builtin_scenarios_dir()
    for suffix in (".yaml", ".yml", ".toml"):
        if (root / f"{name_or_path}{suffix}").exists():
            return load_scenario(root / f"{name_or_path}{suffix}")
    names = ", ".join(s.stem for s in sorted(root.glob("*.y*ml")))
    raise ConfigError(f"no scenario named {name_or_path!r}; built in: {names}")
