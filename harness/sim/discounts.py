"""Coupons, promotion codes and discounts: what the World does when a discount enters a flow.

Takes the coupons and promotion codes of the catalog or the scenario, gives the verbs a customer
uses in the portal (redeem a promotion code, accept the cancellation flow's retention coupon),
the discount an invoice bills and its end at renewals. Each emits Stripe's events
(`customer.discount.created`/`updated`/`deleted`, then `customer.subscription.updated`);
FIDELITY.md ("Discounts") marks which parts are confirmed and which are named choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from .billing import action, add_interval
from .objects import Customer, Invoice, Subscription, _Snap

if TYPE_CHECKING:
    from .world import World


@dataclass
class Coupon(_Snap):
    id: str
    created: int
    duration: str  # once | repeating | forever
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    duration_in_months: int | None = None
    name: str | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    times_redeemed: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    kind = "coupon"

    @property
    def valid(self) -> bool:
        """Whether it can still be redeemed (Stripe's `valid`; `redeem_by` is checked against
        the World's clock when redeeming)."""
        return self.max_redemptions is None or self.times_redeemed < self.max_redemptions


@dataclass
class PromotionCode(_Snap):
    id: str
    code: str
    coupon: Coupon
    created: int
    active: bool = True
    customer: str | None = None
    expires_at: int | None = None
    max_redemptions: int | None = None
    times_redeemed: int = 0
    first_time_transaction: bool = False
    minimum_amount: int | None = None
    minimum_amount_currency: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    kind = "promotion_code"


@dataclass
class Discount(_Snap):
    """One application of a coupon to a subscription or a customer (`di_`)."""

    id: str
    coupon: Coupon
    customer: str
    start: int
    end: int | None  # repeating coupons only; once and forever: null (Discount.end docs)
    subscription: str | None = None
    promotion_code: str | None = None
    checkout_session: str | None = None
    kind = "discount"


class DiscountVerbs:
    """Mixed into World; uses its stores (coupons, promotion_codes), clock, ids and emit()."""

    # -- the account's coupons and codes ------------------------------------------------------

    def add_coupon(self: World, spec: Any, *, request: str | None = None) -> Coupon:
        """A coupon from a catalog or scenario spec (or the fake API's create)."""
        if spec.id in self.coupons:
            raise ScenarioError(f"coupon {spec.id!r} is defined twice")
        coupon = Coupon(id=spec.id, created=self.now, duration=spec.duration,
                        percent_off=spec.percent_off, amount_off=spec.amount_off,
                        currency=spec.currency if spec.amount_off is not None else None,
                        duration_in_months=spec.duration_in_months, name=spec.name,
                        max_redemptions=spec.max_redemptions, redeem_by=spec.redeem_by,
                        metadata=dict(getattr(spec, "metadata", None) or {}))
        self.coupons[coupon.id] = coupon
        if request is not None:
            self.emit("coupon.created", coupon, request=request)
        return coupon

    def add_promotion_code(self: World, spec: Any, *, request: str | None = None
                           ) -> PromotionCode:
        coupon = self.coupons.get(spec.coupon)
        if coupon is None:
            raise ScenarioError(f"promotion code {spec.code!r}: no such coupon {spec.coupon!r}")
        if any(p.code.lower() == spec.code.lower() and p.active
               for p in self.promotion_codes.values()):
            raise ScenarioError(f"promotion code {spec.code!r} is defined twice (codes are "
                                "unique regardless of case)")
        promo = PromotionCode(id=spec.id or self.ids.new("promo"), code=spec.code,
                              coupon=coupon, created=self.now, active=spec.active,
                              customer=getattr(spec, "customer", None),
                              expires_at=spec.expires_at, max_redemptions=spec.max_redemptions,
                              first_time_transaction=spec.first_time_transaction,
                              metadata=dict(getattr(spec, "metadata", None) or {}))
        self.promotion_codes[promo.id] = promo
        if request is not None:
            self.emit("promotion_code.created", promo, request=request)
        return promo

    def promotion_code_by_code(self: World, code: str) -> PromotionCode:
        for promo in self.promotion_codes.values():
            if promo.code.lower() == code.lower() or promo.id == code:
                return promo
        known = ", ".join(p.code for p in self.promotion_codes.values()) or "none"
        raise ScenarioError(f"no promotion code {code!r} (defined: {known})")

    # -- portal verbs -------------------------------------------------------------------------

    @action
    def apply_promotion_code(self: World, sub: Subscription, code: str) -> Discount:
        """The customer redeems a promotion code on the portal's subscription-update page
        (offered when the configuration's default_allowed_updates includes promotion_code)."""
        self._require_live(sub, "apply a promotion code")
        if (portal := self.portal_of(sub.customer)) is not None:
            portal.check_update("promotion_code")
        promo = self.promotion_code_by_code(code)
        self._check_redeemable(promo, sub.customer)
        return self._discount_subscription(sub, promo.coupon, promo)

    @action
    def accept_retention_offer(self: World, sub: Subscription, coupon: str | None = None
                               ) -> Discount:
        """The cancellation flow's retention offer accepted: instead of cancelling, the
        subscription gets the coupon and stays as it was (no cancellation field changes)."""
        self._require_live(sub, "accept a retention offer")
        if sub.cancellation_pending:
            raise ScenarioError(f"subscription {sub.id} already has a cancellation pending; "
                                "the portal offers retention only when a customer starts to "
                                "cancel")
        portal = self.portal_of(sub.customer)
        if portal is not None:
            portal.require("subscription_cancel")
            coupon = coupon or portal.retention_coupon()
        if coupon is None:
            raise ScenarioError("no retention coupon: give `coupon` (as a portal session's "
                                "flow_data.subscription_cancel.retention.coupon_offer.coupon) "
                                "or set features.subscription_cancel.retention in the portal "
                                "configuration")
        found = self.coupons.get(coupon)
        if found is None:
            raise ScenarioError(f"no such coupon {coupon!r} for the retention offer")
        self._check_coupon(found)
        return self._discount_subscription(sub, found, None)

    def _check_redeemable(self: World, promo: PromotionCode, customer: str) -> None:
        if not promo.active:
            raise ScenarioError(f"promotion code {promo.code!r} is inactive")
        if promo.expires_at is not None and promo.expires_at <= self.now:
            raise ScenarioError(f"promotion code {promo.code!r} has expired")
        if promo.max_redemptions is not None and promo.times_redeemed >= promo.max_redemptions:
            raise ScenarioError(f"promotion code {promo.code!r} has been redeemed its "
                                f"{promo.max_redemptions} time(s)")
        if promo.customer is not None and promo.customer != customer:
            raise ScenarioError(f"promotion code {promo.code!r} is for another customer")
        if promo.first_time_transaction and any(
                i.customer == customer and i.status == "paid" and i.total > 0
                for i in self.invoices.values()):
            raise ScenarioError(f"promotion code {promo.code!r} is for first-time customers "
                                "only")
        self._check_coupon(promo.coupon)

    def _check_coupon(self: World, coupon: Coupon) -> None:
        if not coupon.valid or (coupon.redeem_by is not None and coupon.redeem_by <= self.now):
            raise ScenarioError(f"coupon {coupon.id!r} is no longer valid")

    @action
    def apply_discount_by_api(self: World, sub: Subscription, coupon: Coupon,
                              promo: PromotionCode | None) -> Discount:
        """The app's own `POST /v1/subscriptions/{id}` with `discounts` (the fake API)."""
        self._require_live(sub, "discount")
        if promo is not None:
            self._check_redeemable(promo, sub.customer)
        else:
            self._check_coupon(coupon)
        return self._discount_subscription(sub, coupon, promo, request="api")

    def attach_discount(self: World, sub: Subscription, coupon: Coupon,
                        promo: PromotionCode | None) -> Discount:
        """A new discount on `sub`, redeemed now (no events: the caller emits them)."""
        if promo is not None:
            self._check_redeemable(promo, sub.customer)
            promo.times_redeemed += 1
        else:
            self._check_coupon(coupon)
        coupon.times_redeemed += 1
        end = (add_interval(self.now, "month", coupon.duration_in_months)
               if coupon.duration == "repeating" and coupon.duration_in_months else None)
        discount = Discount(id=self.ids.new("di", short=True), coupon=coupon,
                            customer=sub.customer, start=self.now, end=end, subscription=sub.id,
                            promotion_code=promo.id if promo else None)
        self.discounts[discount.id] = discount
        sub.discount = discount
        return discount

    def _discount_subscription(self: World, sub: Subscription, coupon: Coupon,
                               promo: PromotionCode | None, *, request: str = "portal"
                               ) -> Discount:
        """Apply (or replace) the subscription's discount: customer.discount.created (or
        .updated when another coupon is replaced), then customer.subscription.updated."""
        before = sub.snapshot()
        old = sub.discount
        discount = self.attach_discount(sub, coupon, promo)
        if old is not None:  # the same discount switches coupon (Stripe's .updated event)
            old_snap = old.snapshot()
            old.coupon, old.start, old.end = discount.coupon, discount.start, discount.end
            old.promotion_code = discount.promotion_code
            del self.discounts[discount.id]
            sub.discount = discount = old
            self.emit("customer.discount.updated", old, before=old_snap, request=request)
        else:
            self.emit("customer.discount.created", discount, request=request)
        self.emit("customer.subscription.updated", sub, before=before, request=request)
        return discount

    def discount_customer(self: World, customer: Customer, coupon: Coupon) -> Discount:
        """A customer-level discount, as the Dashboard applies one (every subscription of the
        customer without its own discount bills it): customer.discount.created, then
        customer.updated."""
        self._check_coupon(coupon)
        coupon.times_redeemed += 1
        before = customer.snapshot()
        end = (add_interval(self.now, "month", coupon.duration_in_months)
               if coupon.duration == "repeating" and coupon.duration_in_months else None)
        discount = Discount(id=self.ids.new("di", short=True), coupon=coupon,
                            customer=customer.id, start=self.now, end=end)
        self.discounts[discount.id] = discount
        customer.discount = discount
        self.emit("customer.discount.created", discount, request="automatic")
        self.emit("customer.updated", customer, before=before, request="automatic")
        return discount

    def discount_checkout(self: World, session: Any, sub: Subscription) -> None:
        """The `discounts` an app put on its Checkout session, applied to the subscription
        the session creates before its first invoice (customer.discount.created first)."""
        for entry in session.discounts[:1]:
            promo = self.promotion_codes.get(entry.get("promotion_code") or "")
            coupon = promo.coupon if promo else self.coupons.get(entry.get("coupon") or "")
            if coupon is None:
                raise ScenarioError(f"checkout session {session.id}: its coupon no longer "
                                    "exists")
            discount = self.attach_discount(sub, coupon, promo)
            discount.checkout_session = session.id
            self.emit("customer.discount.created", discount, request="checkout")

    # -- removal (the fake API's DELETE .../discount) -------------------------------------------

    @action
    def remove_discount(self: World, owner: Subscription | Customer) -> Discount:
        """DELETE /v1/subscriptions/{id}/discount or /v1/customers/{id}/discount."""
        discount = owner.discount
        if discount is None:
            raise ScenarioError(f"{owner.id} has no discount")
        before = owner.snapshot()
        owner.discount = None
        self.emit("customer.discount.deleted", discount, request="api")
        event = ("customer.subscription.updated" if isinstance(owner, Subscription)
                 else "customer.updated")
        self.emit(event, owner, before=before, request="api")
        return discount

    # -- billing ------------------------------------------------------------------------------

    def discount_of(self: World, sub: Subscription) -> Discount | None:
        """The discount a subscription's invoices get: its own, else the customer's."""
        return sub.discount or self.customer(sub.customer).discount

    def _discount_invoice(self: World, inv: Invoice, sub: Subscription) -> None:
        """Bill the discount: each positive line's share in `discount_amount` (percent_off per
        line; amount_off spread over the lines by amount, at most their sum)."""
        discount = self.discount_of(sub)
        if discount is None or (discount.end is not None and discount.end <= self.now):
            return
        coupon = discount.coupon
        lines = [line for line in inv.lines if line.amount > 0]
        if not lines or (coupon.amount_off is not None and coupon.currency != inv.currency):
            return
        if coupon.percent_off is not None:
            for line in lines:
                line.discount_amount = round(line.amount * coupon.percent_off / 100)
        else:
            gross = sum(line.amount for line in lines)
            off = min(coupon.amount_off or 0, gross)
            left = off
            for line in lines[:-1]:
                line.discount_amount = off * line.amount // gross
                left -= line.discount_amount
            lines[-1].discount_amount = left
        inv.discount = discount.snapshot()

    def _end_discount(self: World, sub: Subscription, inv: Invoice) -> Any:
        """At a renewal: a `once` discount ends once an invoice billed it, a `repeating` one
        when its end has come (customer.discount.deleted, before the renewal's
        customer.subscription.updated, which then shows the discount gone). A customer-level
        discount ends the same way, with customer.updated after its deletion."""
        cust = self.customer(sub.customer)
        owner: Subscription | Customer = sub if sub.discount is not None else cust
        discount = owner.discount
        if discount is None:
            return None
        once = discount.coupon.duration == "once" and inv.discount is not None and (
            inv.discount.id == discount.id)
        over = discount.end is not None and discount.end <= self.now
        if not (once or over):
            return None
        before = owner.snapshot()
        owner.discount = None
        self.emit("customer.discount.deleted", discount, request="automatic")
        if owner is cust:
            self.emit("customer.updated", cust, before=before, request="automatic")
        return discount
