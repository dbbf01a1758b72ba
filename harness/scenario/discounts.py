"""Coupons and promotion codes as a catalog or a scenario declares them.

Takes the `coupons` and `promotion_codes` lists of a catalog file or a scenario file, gives
validated specs the World turns into Stripe's objects (`harness.sim.discounts`). Both lists are
optional, so every older file still loads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CouponSpec(_Strict):
    """A coupon (Stripe's `POST /v1/coupons` fields the flows use)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    name: str | None = None
    percent_off: float | None = Field(default=None, gt=0, le=100)
    amount_off: int | None = Field(default=None, gt=0)
    currency: str = "usd"
    duration: Literal["once", "repeating", "forever"] = "once"
    duration_in_months: int | None = Field(default=None, ge=1)
    max_redemptions: int | None = Field(default=None, ge=1)
    redeem_by: int | None = None

    @model_validator(mode="after")
    def _stripe_rules(self) -> CouponSpec:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give exactly one of percent_off or amount_off")
        if self.duration == "repeating" and self.duration_in_months is None:
            raise ValueError("duration repeating needs duration_in_months")
        if self.duration != "repeating" and self.duration_in_months is not None:
            raise ValueError("duration_in_months is only for duration repeating")
        return self


class PromotionCodeSpec(_Strict):
    """A customer-facing code for a coupon (Stripe's `POST /v1/promotion_codes`)."""

    code: str = Field(pattern=r"^[A-Za-z0-9]+$", max_length=500)
    coupon: str
    id: str | None = Field(default=None, pattern=r"^promo_[A-Za-z0-9_]+$")
    active: bool = True
    expires_at: int | None = None
    max_redemptions: int | None = Field(default=None, ge=1)
    first_time_transaction: bool = False


def check_references(coupons: list[CouponSpec] | tuple[CouponSpec, ...],
                     codes: list[PromotionCodeSpec] | tuple[PromotionCodeSpec, ...],
                     known: set[str] | frozenset[str] = frozenset()) -> None:
    """Coupon ids unique; each code names a coupon defined here or in `known`; codes unique
    regardless of case (as Stripe's are among active codes). Raises ValueError naming the field."""
    ids = [c.id for c in coupons]
    for i, cid in enumerate(ids):
        if cid in ids[:i] or cid in known:
            raise ValueError(f"coupons.{i}.id: coupon {cid!r} is defined twice")
    seen: set[str] = set()
    for i, promo in enumerate(codes):
        if promo.coupon not in ids and promo.coupon not in known:
            raise ValueError(f"promotion_codes.{i}.coupon: no coupon {promo.coupon!r} is "
                             f"defined (coupons: {', '.join([*known, *ids]) or 'none'})")
        if promo.code.lower() in seen:
            raise ValueError(f"promotion_codes.{i}.code: code {promo.code!r} is defined twice")
        seen.add(promo.code.lower())
