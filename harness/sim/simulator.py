"""The simulator: plays a Scenario on a World, one checkpoint at a time.

Takes a scenario, a catalog, an API version, a billing mode and a seed; gives `Segment`s: the
events Stripe emitted since the last checkpoint and what a correct app must then believe per
customer. Played lazily, so the fake Stripe API shows the world as it stands mid-scenario.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ScenarioError
from ..scenario.catalog import Catalog, default_catalog
from ..scenario.files import (
    Advance,
    AuthenticatePayment,
    CardDeclines,
    Checkout,
    Checkpoint,
    Scenario,
    UpdatePaymentMethod,
    resolve_plan,
    step_name,
)
from ..versions import check_version
from . import AccessPolicy, SimEvent, Subscription, World
from .billing import RETRY_SCHEDULES


@dataclass
class SimCustomer:
    """A scenario customer: the Stripe customer and the app user it belongs to."""

    name: str
    customer_id: str
    user_id: str
    email: str


@dataclass
class Segment:
    """The events up to one checkpoint, and the state a correct app holds once they settle."""

    index: int
    checkpoint: str
    events: list[SimEvent]
    expected: dict[str, dict[str, Any]]  # customer id -> BillingState
    time: int = 0


@dataclass
class Simulator:
    scenario: Scenario
    api_version: str
    catalog: Catalog = field(default_factory=default_catalog)
    billing_mode: str | None = None
    seed: int = 0
    policy: AccessPolicy = AccessPolicy.NOT_ENDED
    start: int | None = None  # the virtual clock's first moment (default: World's START_TIME)
    # Plays `checkout` steps through the app's own checkout route instead ([checkout] in a
    # target file): called with (simulator, customer, price id).
    checkout_hook: Any = None

    def __post_init__(self) -> None:
        check_version(self.api_version)
        settings = self.scenario.settings
        from pathlib import Path

        from .portal_config import load_portal_configuration

        base = Path(self.scenario.source).parent if self.scenario._source else None
        portal = None
        if self.scenario.portal_configuration is not None:
            portal = load_portal_configuration(self.scenario.portal_configuration, base)
        extra = {} if self.start is None else {"start": self.start}
        self.world = World(self.catalog, self.api_version, seed=self.seed,
                           billing_mode=self.billing_mode, policy=self.policy,
                           retry_days=RETRY_SCHEDULES[settings.retry_schedule],
                           feedback=settings.feedback, portal=portal,
                           card_update="customer" if settings.portal_card_update
                           == "customer_only" else "subscriptions",
                           upcoming_renewal_days=None if settings.upcoming_renewal_days == "off"
                           else settings.upcoming_renewal_days,
                           upcoming_invoice_id=settings.upcoming_invoice_id, **extra)
        self.billing_mode = self.world.billing_mode
        why = self.scenario.supports(self.api_version, self.billing_mode)
        if why:
            raise ScenarioError(f"scenario {self.scenario.name!r} cannot run here: {why}")
        self._add_discounts()
        self.customers: dict[str, SimCustomer] = {}
        for spec in self.scenario.customers:
            email = spec.email or f"{spec.name}@example.test"
            cust = self.world.create_customer(email, spec.name.replace("_", " ").title())
            self.customers[spec.name] = SimCustomer(spec.name, cust.id, f"user_{spec.name}", email)
            if spec.portal_configuration is not None:
                self.world.customer_portals[cust.id] = load_portal_configuration(
                    spec.portal_configuration, base)

    def _add_discounts(self) -> None:
        """The scenario's own coupons and promotion codes, next to the catalog's."""
        try:
            for coupon in self.scenario.coupons:
                self.world.add_coupon(coupon)
            for promo in self.scenario.promotion_codes:
                self.world.add_promotion_code(promo)
        except ScenarioError as exc:
            raise ScenarioError(f"{self.scenario.source}: {exc}") from None

    def segments(self) -> Iterator[Segment]:
        """Play the steps; yield at each checkpoint (the world then stands at that moment)."""
        start = 0
        index = 0
        for number, step in enumerate(self.scenario.steps):
            if isinstance(step, Checkpoint):
                expected = {c.customer_id: self.world.expected_state(c.customer_id)
                            for c in self.customers.values()}
                self._self_check(step, expected)
                events = self.world.events[start:]
                start = len(self.world.events)
                yield Segment(index, step.name, events, expected, self.world.now)
                index += 1
                self.world.segment = index
                continue
            try:
                self.apply(step)
            except ScenarioError as exc:
                raise ScenarioError(f"{self.scenario.source}: steps.{number} "
                                    f"({step_name(step)}): {exc}") from None

    def run(self) -> list[Segment]:
        return list(self.segments())

    # -- steps -------------------------------------------------------------------------------

    def apply(self, step: Any) -> None:
        """Play one non-checkpoint step on the world now (raises ScenarioError if it can't)."""
        w = self.world
        if isinstance(step, Advance):
            if step.to == "next_renewal":
                live = [s for s in w.subscriptions.values() if not s.ended
                        and s.status != "paused"]
                if not live:
                    raise ScenarioError("no live subscription to renew")
                w.advance_to(min(s.current_period_end for s in live) + 3600 + 60)
            else:
                w.advance_to(w.now + step.days * 86400 + step.hours * 3600)
            return
        if isinstance(step, Checkout):
            c = self._customer(step.customer)
            price = step.price or self.catalog.default_price(
                resolve_plan(step.plan, self.catalog)).id
            if self.checkout_hook is not None:
                self.checkout_hook(self, c, self.catalog.price(price).id, card=step.card,
                                   quantity=step.quantity, trial_days=step.trial_days)
                return
            with w.creating_in(step.billing_mode):
                w.checkout(c.customer_id, self.catalog.price(price).id, quantity=step.quantity,
                           card=step.card, client_reference_id=c.user_id,
                           trial_days=step.trial_days)
            return
        if isinstance(step, UpdatePaymentMethod):
            w.update_payment_method(self._customer(step.customer).customer_id, card=step.card)
            return
        if isinstance(step, CardDeclines):
            w.card_declines(self._customer(step.customer).customer_id)
            return
        if isinstance(step, AuthenticatePayment):
            w.authenticate_payment(self._customer(step.customer).customer_id,
                                   succeed=step.succeed)
            return
        sub = self._subscription(step.customer, step.subscription)
        name = step_name(step)
        if name == "switch_plan":
            price = step.price or self.catalog.default_price(
                resolve_plan(step.plan, self.catalog)).id
            w.switch_plan(sub, self.catalog.price(price).id,
                          proration_behavior=step.proration_behavior)
        elif name == "cancel_at_period_end":
            w.cancel_at_period_end(sub, feedback=step.feedback)
        elif name == "undo_cancel":
            w.undo_cancel(sub)
        elif name == "cancel_now":
            w.cancel_now(sub, feedback=step.feedback)
        elif name == "pause":
            w.pause(sub, mechanism=step.mechanism, behavior=step.behavior)
        elif name == "resume":
            w.resume(sub)
        elif name == "cancel_scheduled_update":
            w.cancel_scheduled_update(sub)
        elif name == "apply_promotion_code":
            w.apply_promotion_code(sub, step.code)
        elif name == "accept_retention_offer":
            w.accept_retention_offer(sub, step.coupon)
        elif name == "change_quantity":
            w.change_quantity(sub, step.quantity, proration_behavior=step.proration_behavior)
        else:  # pragma: no cover - ACTIONS and this dispatch are kept in step by test_scenario
            raise ScenarioError(f"no simulator verb for {name!r}")

    def _customer(self, name: str) -> SimCustomer:
        return self.customers[name]

    def _subscription(self, name: str, which: int | None) -> Subscription:
        subs = self.world.subscriptions_of(self._customer(name).customer_id)
        if which is not None:
            if which > len(subs):
                raise ScenarioError(f"{name} has {len(subs)} subscription(s), not {which}")
            return subs[which - 1]
        live = [s for s in subs if not s.ended]
        if not live:
            raise ScenarioError(f"{name} has no live subscription")
        return live[-1]

    def _self_check(self, step: Checkpoint, expected: dict[str, dict[str, Any]]) -> None:
        """A checkpoint's `expect` documents intent; the simulator must agree with it."""
        for who, exp in step.expect.items():
            state = expected[self._customer(who).customer_id]
            subs = list(state["subscriptions"].values())
            latest = subs[-1] if subs else {}
            facts = {"plan": state["plan"], "paid_invoices": len(state["paid_invoices"]),
                     **{k: latest.get(k) for k in ("status", "cancel_at_period_end", "paused",
                                                   "collection_paused", "quantity",
                                                   "cancellation_feedback", "coupon")}}
            for key, want in exp.model_dump(exclude_none=True).items():
                if key == "plan" and want.startswith("@"):  # @low, @mid, @high
                    want = resolve_plan(want, self.catalog)
                if facts[key] != want:
                    raise ScenarioError(
                        f"scenario {self.scenario.name!r}, checkpoint {step.name!r}: expects "
                        f"{who}.{key} == {want!r} but the simulator gives {facts[key]!r} "
                        f"({self.api_version}, {self.billing_mode})")
