"""The catalog: products and prices, each price mapped to a plan name.

Takes a catalog file (YAML or TOML) or nothing (the default catalog), gives a `Catalog` whose plans
are ranked lowest to highest in the order the file lists them. Scenarios name plans, never prices,
so a catalog with other plan names or price ids plays the same flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError
from ..files import read_structured
from .discounts import CouponSpec, PromotionCodeSpec, check_references


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    unit_amount: int = Field(ge=0)
    interval: Literal["day", "week", "month", "year"] = "month"
    interval_count: int = Field(default=1, ge=1)


class PlanSpec(_Strict):
    name: str = Field(min_length=1)
    product: str | None = None
    prices: list[PriceSpec] = Field(min_length=1)


class CatalogSpec(_Strict):
    currency: str = "usd"
    plans: list[PlanSpec] = Field(min_length=1)
    coupons: list[CouponSpec] = Field(default_factory=list)
    promotion_codes: list[PromotionCodeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _discount_references(self) -> CatalogSpec:
        check_references(self.coupons, self.promotion_codes)
        return self


@dataclass(frozen=True)
class Price:
    id: str
    product: str
    plan: str
    unit_amount: int
    currency: str
    interval: str
    interval_count: int


@dataclass(frozen=True)
class Catalog:
    """Plans lowest to highest, and their prices by id."""

    plans: tuple[str, ...]
    prices: Mapping[str, Price]
    products: Mapping[str, str]  # product id -> product name (the plan's display name)
    coupons: tuple[CouponSpec, ...] = ()  # seeded into every World (harness.sim.discounts)
    promotion_codes: tuple[PromotionCodeSpec, ...] = ()

    def rank(self, plan: str) -> int:
        return self.plans.index(plan)

    def price(self, price_id: str) -> Price:
        try:
            return self.prices[price_id]
        except KeyError:
            raise ConfigError(f"price {price_id!r} is not in the catalog") from None

    def prices_of(self, plan: str) -> list[Price]:
        return [p for p in self.prices.values() if p.plan == plan]

    def default_price(self, plan: str) -> Price:
        """The plan's first price (its monthly price in the default catalog)."""
        prices = self.prices_of(plan)
        if not prices:
            raise ConfigError(
                f"plan {plan!r} is not in the catalog (plans: {', '.join(self.plans)})")
        return prices[0]

    def plan_of(self, price_id: str) -> str:
        return self.price(price_id).plan

    def price_plans(self) -> dict[str, str]:
        return {pid: p.plan for pid, p in self.prices.items()}

    def highest(self, plans: list[str]) -> str | None:
        ranked = [p for p in self.plans if p in plans]
        return ranked[-1] if ranked else None

    @classmethod
    def from_spec(cls, spec: CatalogSpec) -> Catalog:
        prices: dict[str, Price] = {}
        products: dict[str, str] = {}
        names = [p.name for p in spec.plans]
        if len(set(names)) != len(names):
            raise ConfigError(f"plan names must be unique, got {names}")
        for plan in spec.plans:
            product = plan.product or f"prod_{plan.name}"
            products[product] = plan.name.capitalize()
            for p in plan.prices:
                if p.id in prices:
                    raise ConfigError(f"price {p.id!r} is listed twice in the catalog")
                prices[p.id] = Price(
                    p.id, product, plan.name, p.unit_amount, spec.currency, p.interval,
                    p.interval_count,
                )
        return cls(tuple(names), prices, products, tuple(spec.coupons),
                   tuple(spec.promotion_codes))

    @classmethod
    def from_plan_prices(cls, plans: Mapping[str, list[str]], *,
                         source: str = "[plans]") -> Catalog:
        """A catalog made from a target file's [plans] table: plan -> price ids, lowest first.

        Amounts rise with rank; a price id that mentions "annual" or "year" is yearly.
        """
        specs = []
        for rank, (name, ids) in enumerate(plans.items(), start=1):
            if not ids:
                raise ConfigError(f"{source}: plan {name!r} lists no price ids")
            prices = []
            for pid in ids:
                yearly = "annual" in pid or "year" in pid
                amount = rank * 1000 * (10 if yearly else 1)
                prices.append({"id": pid, "unit_amount": amount,
                               "interval": "year" if yearly else "month"})
            specs.append({"name": name, "prices": prices})
        return cls.from_spec(_validate({"plans": specs}, source))


DEFAULT_CATALOG_SPEC = {
    "currency": "usd",
    "plans": [
        {"name": "basic", "product": "prod_basic",
         "prices": [{"id": "price_basic_monthly", "unit_amount": 900}]},
        {"name": "pro", "product": "prod_pro",
         "prices": [{"id": "price_pro_monthly", "unit_amount": 2900},
                    {"id": "price_pro_annual", "unit_amount": 29000, "interval": "year"}]},
        {"name": "enterprise", "product": "prod_enterprise",
         "prices": [{"id": "price_enterprise_monthly", "unit_amount": 9900}]},
    ],
}


def default_catalog() -> Catalog:
    """basic < pro < enterprise, with stable price ids (price_pro_monthly, price_pro_annual...)."""
    return Catalog.from_spec(CatalogSpec.model_validate(DEFAULT_CATALOG_SPEC))


def _validate(data: object, source: str) -> CatalogSpec:
    try:
        return CatalogSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid catalog:\n{format_validation_error(exc)}") from None


def format_validation_error(exc: ValidationError, *, brackets: bool = False) -> str:
    """One line per problem: the dotted field path (in [ ] for TOML tables) and what is wrong."""
    lines = []
    for err in exc.errors():
        if not err["loc"]:  # a whole-model check: its message names its own paths
            lines.append("  " + err["msg"].removeprefix("Value error, ").strip())
            continue
        where = ".".join(str(p) for p in err["loc"])
        if brackets:
            where = f"[{where}]"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"  {where}: {msg}")
    return "\n".join(lines)


def read_structured_file(path: Path, *, what: str = "file") -> object:
    """Parse a YAML or TOML file, raising ConfigError that names the file on any problem; the
    size, nesting and YAML alias limits of harness.files apply."""
    return read_structured(path, what=what)


def load_catalog(path: str | Path) -> Catalog:
    """Load a user catalog file (YAML or TOML) that replaces the default catalog."""
    path = Path(path)
    data = read_structured_file(path, what="catalog")
    return Catalog.from_spec(_validate(data, str(path)))
