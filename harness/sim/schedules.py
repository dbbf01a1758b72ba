"""Subscription schedules: the portal's updates scheduled at the period end, and their lifecycle.

A portal configuration with `features.subscription_update.schedule_at_period_end.conditions`
turns a plan switch that meets a condition (`decreasing_item_amount`, `shortening_interval`) into
a subscription schedule (`sub_sched_…`): the current price until the period end, then the new
price for one period, `end_behavior=release`. The clock enters the next phase at the renewal
(the invoice bills the new price) and releases the schedule when its last phase ends. FIDELITY.md
in the repo marks what is confirmed and what is a named choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from .billing import action, add_interval, next_period_end
from .objects import _Snap

if TYPE_CHECKING:
    from .objects import Subscription
    from .portal_config import PortalConfiguration
    from .world import World

EXPIRING_NOTICE = 7 * 86400  # subscription_schedule.expiring: "7 days before" it ends

_APPROX_SECONDS = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass
class SchedulePhase(_Snap):
    price: str
    quantity: int
    start_date: int
    end_date: int
    proration_behavior: str = "create_prorations"


@dataclass
class SubscriptionSchedule(_Snap):
    """Stripe's SubscriptionSchedule: phases of a subscription's items over time."""

    id: str
    customer: str
    created: int
    subscription: str | None
    billing_mode: str
    billing_mode_since: int
    currency: str
    phases: list[SchedulePhase]
    status: str = "active"  # not_started, active, completed, released, canceled
    end_behavior: str = "release"
    current: int = 0  # index of the phase in force while active
    released_at: int | None = None
    released_subscription: str | None = None
    canceled_at: int | None = None
    completed_at: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    expiring_sent: bool = False  # bookkeeping, not rendered
    kind = "subscription_schedule"

    @property
    def current_phase(self) -> SchedulePhase | None:
        return self.phases[self.current] if self.status == "active" else None

    @property
    def live(self) -> bool:
        return self.status in ("not_started", "active")


def interval_seconds(price: Any) -> int:
    """A price's billing interval in comparable units (a month is 30 days here)."""
    return _APPROX_SECONDS[price.interval] * price.interval_count


def scheduled_at_period_end(portal: PortalConfiguration | None, old: Any, new: Any,
                            quantity: int) -> bool:
    """Whether the portal schedules this switch: any of the configured conditions holds
    (https://docs.stripe.com/api/customer_portal/configurations/object: "When any condition is
    true, an update will be scheduled at the end of the current period")."""
    if portal is None or not portal.schedules_downgrades():
        return False
    conditions = portal.features.subscription_update.schedule_at_period_end
    for condition in conditions.conditions if conditions else []:
        if (condition.type == "decreasing_item_amount"
                and new.unit_amount * quantity < old.unit_amount * quantity):
            return True
        if (condition.type == "shortening_interval"
                and interval_seconds(new) < interval_seconds(old)):
            return True
    return False


class ScheduleVerbs:
    """Mixed into World; uses its stores, clock, ids and emit()."""

    def schedule_of(self: World, sub: Subscription) -> SubscriptionSchedule | None:
        sched = self.subscription_schedules.get(sub.schedule or "")
        return sched if sched is not None and sched.live else None

    # -- the portal's scheduled update -------------------------------------------------------

    def schedules_switch(self: World, sub: Subscription, new_price: Any) -> bool:
        """Whether the customer's portal schedules this switch at the period end. The app's own
        API updates are not governed by the portal configuration: they happen now."""
        item = sub.items[0]
        return self.origin == "portal" and scheduled_at_period_end(
            self.portal_of(sub.customer), self.catalog.price(item.price), new_price,
            item.quantity)

    def _schedule_switch(self: World, sub: Subscription, price_id: str,
                         proration_behavior: str) -> None:
        """The portal's switch at period end: a schedule of two phases (now: the current price
        until the period end; then the new price for one period), or, when one is already
        pending, its second phase replaced (subscription_schedule.updated)."""
        item = sub.items[0]
        if price_id == item.price and self.schedule_of(sub) is None:
            raise ScenarioError(f"subscription {sub.id} is already on {price_id}")
        start, end = item.current_period_start, item.current_period_end
        new = self.catalog.price(price_id)
        old = self.catalog.price(item.price)
        if (new.interval, new.interval_count) == (old.interval, old.interval_count):
            next_end = next_period_end(sub.billing_cycle_anchor, end, new.interval,
                                       new.interval_count)
        else:  # the new interval restarts the cycle at the phase start
            next_end = add_interval(end, new.interval, new.interval_count)
        phases = [SchedulePhase(item.price, item.quantity, start, end, proration_behavior),
                  SchedulePhase(new.id, item.quantity, end, next_end, proration_behavior)]
        sched = self.schedule_of(sub)
        if sched is not None:  # the phases before the current one stay as they were
            before = sched.snapshot()
            sched.phases = sched.phases[:sched.current] + phases
            self.emit("subscription_schedule.updated", sched, before=before)
            return
        sched = SubscriptionSchedule(
            id=self.ids.new("sub_sched"), customer=sub.customer, created=self.now,
            subscription=sub.id, billing_mode=sub.billing_mode,
            billing_mode_since=sub.created, currency=sub.currency, phases=phases)
        self.subscription_schedules[sched.id] = sched
        self.emit("subscription_schedule.created", sched)
        self._update_sub(sub, lambda: setattr(sub, "schedule", sched.id))

    @action
    def cancel_scheduled_update(self: World, sub: Subscription) -> None:
        """The portal's "cancel scheduled update": the schedule is released, so the subscription
        stays on its current price and goes on renewing by itself."""
        if self.schedule_of(sub) is None:
            raise ScenarioError(f"subscription {sub.id} has no scheduled update to cancel")
        if (portal := self.portal_of(sub.customer)) is not None:
            portal.require("subscription_update")
        self.release_schedule(sub)

    def release_schedule(self: World, sub: Subscription, *, request: str = "portal") -> None:
        """Release the subscription's live schedule: it stops, the subscription stays
        (https://docs.stripe.com/api/subscription_schedules/release)."""
        sched = self.schedule_of(sub)
        if sched is None:
            return
        before = sched.snapshot()
        sched.status, sched.released_at = "released", self.now
        sched.released_subscription, sched.subscription = sub.id, None
        self.emit("subscription_schedule.updated", sched, before=before, request=request)
        self.emit("subscription_schedule.released", sched, request=request)
        self._update_sub(sub, lambda: setattr(sub, "schedule", None), request=request)

    def cancel_schedule(self: World, sub: Subscription, *, request: str = "portal") -> None:
        """A subscription under a schedule ended (canceled now, or after failed payments): the
        schedule is canceled with it (subscription_schedule.canceled)."""
        sched = self.schedule_of(sub)
        if sched is None:
            return
        sched.status, sched.canceled_at = "canceled", self.now
        self.emit("subscription_schedule.canceled", sched, request=request)

    # -- the clock -----------------------------------------------------------------------------

    def _schedule_due(self: World, sub: Subscription, order: int) -> list[tuple[int, int, Any]]:
        """What the schedule of `sub` has due: the expiring notice, the next phase at the
        renewal, the release at the last phase's end (both instead of the plain renewal)."""
        sched = self.schedule_of(sub)
        if sched is None:
            return [(sub.current_period_end, order, lambda: self._renew(sub))]
        last = sched.phases[-1]
        due: list[tuple[int, int, Any]] = []
        if not sched.expiring_sent:
            due.append((max(last.end_date - EXPIRING_NOTICE, sched.created), order,
                        lambda: self._schedule_expiring(sched)))
        if sub.current_period_end >= last.end_date:
            due.append((last.end_date, order, lambda: self._end_schedule(sub, sched)))
        else:
            due.append((sub.current_period_end, order, lambda: self._next_phase(sub, sched)))
        return due

    def _schedule_expiring(self: World, sched: SubscriptionSchedule) -> None:
        sched.expiring_sent = True
        self.emit("subscription_schedule.expiring", sched, request="automatic")

    def _next_phase(self: World, sub: Subscription, sched: SubscriptionSchedule) -> None:
        """The renewal enters the next phase: the items take its price, so the renewal invoice
        bills the new price; then the schedule's current phase moves."""
        phase = next((p for p in sched.phases if p.start_date == sub.current_period_end), None)
        if phase is None:  # no phase starts here: a plain renewal
            self._renew(sub)
            return

        def enter() -> None:
            item = sub.items[0]
            old, new = self.catalog.price(item.price), self.catalog.price(phase.price)
            item.price, item.quantity = phase.price, phase.quantity
            if (old.interval, old.interval_count) != (new.interval, new.interval_count):
                sub.billing_cycle_anchor = phase.start_date

        self._renew(sub, change=enter)
        before = sched.snapshot()
        sched.current = sched.phases.index(phase)
        self.emit("subscription_schedule.updated", sched, before=before, request="automatic")

    def _end_schedule(self: World, sub: Subscription, sched: SubscriptionSchedule) -> None:
        """The last phase ends: `release` leaves the subscription running (released first,
        then the subscription renews by itself); `cancel` would end it."""
        if sched.end_behavior == "release":
            self.release_schedule(sub, request="automatic")
            if sub.current_period_end <= self.now:  # it ended at a renewal
                self._renew(sub)
            return
        before = sched.snapshot()
        sched.status, sched.completed_at = "completed", self.now
        self.emit("subscription_schedule.updated", sched, before=before, request="automatic")
        self.emit("subscription_schedule.completed", sched, request="automatic")
        self._cancel(sub, reason=None, request="automatic")

    # -- the app's own API calls (the fake Stripe's /v1/subscription_schedules) ---------------

    def schedule_subscription(self: World, sub: Subscription) -> SubscriptionSchedule:
        """POST /v1/subscription_schedules with from_subscription: one phase, the current items
        until the period end, `end_behavior=release` (https://docs.stripe.com/api/
        subscription_schedules/create#create_subscription_schedule-from_subscription)."""
        self._require_live(sub, "schedule")
        if self.schedule_of(sub) is not None:
            raise ScenarioError(f"You cannot migrate a subscription that is already attached to "
                                f"a schedule: `{sub.schedule}`.")
        item = sub.items[0]
        phase = SchedulePhase(item.price, item.quantity, item.current_period_start,
                              item.current_period_end)
        sched = SubscriptionSchedule(
            id=self.ids.new("sub_sched"), customer=sub.customer, created=self.now,
            subscription=sub.id, billing_mode=sub.billing_mode,
            billing_mode_since=sub.created, currency=sub.currency, phases=[phase])
        self.subscription_schedules[sched.id] = sched
        self.emit("subscription_schedule.created", sched)
        self._update_sub(sub, lambda: setattr(sub, "schedule", sched.id))
        return sched

    def set_schedule(self: World, sched: SubscriptionSchedule, phases: list[SchedulePhase],
                     *, end_behavior: str | None = None,
                     metadata: dict[str, str] | None = None) -> None:
        """POST /v1/subscription_schedules/{id}: new phases from the current one on. The current
        phase must keep its items and start (the fake changes prices only at renewals); every
        later boundary must be one of the subscription's period ends."""
        sub = self.subscriptions[sched.subscription or ""]
        current = sched.phases[sched.current]
        if phases:
            first = phases[0]
            if (first.price, first.quantity) != (current.price, current.quantity):
                raise ScenarioError("the current phase's items cannot change in this simulator "
                                    "(it applies phases at renewals); keep phases[0] as it is")
            if first.start_date != current.start_date:
                raise ScenarioError(f"phases[0][start_date] must stay {current.start_date}, "
                                    "the start of the current phase")
            for i, phase in enumerate(phases[:-1]):
                if not self._is_period_end(sub, phase.end_date):
                    raise ScenarioError(
                        f"phases[{i}][end_date] {phase.end_date} is not a period end of "
                        f"{sub.id}; this simulator changes phases only at renewals")
        before = sched.snapshot()
        if phases:
            sched.phases = sched.phases[:sched.current] + phases
        if end_behavior is not None:
            sched.end_behavior = end_behavior
        if metadata is not None:
            sched.metadata = metadata
        self.emit("subscription_schedule.updated", sched, before=before)

    def _is_period_end(self: World, sub: Subscription, when: int) -> bool:
        end, price = sub.current_period_end, self.catalog.price(sub.items[0].price)
        while end < when:
            end = next_period_end(sub.billing_cycle_anchor, end, price.interval,
                                  price.interval_count)
        return end == when

    def cancel_schedule_now(self: World, sched: SubscriptionSchedule) -> None:
        """POST /v1/subscription_schedules/{id}/cancel: the subscription ends now, and the
        schedule with it (https://docs.stripe.com/api/subscription_schedules/cancel)."""
        sub = self.subscriptions.get(sched.subscription or "")
        if sub is None or sub.ended:
            before = sched.snapshot()
            sched.status, sched.canceled_at = "canceled", self.now
            self.emit("subscription_schedule.canceled", sched, before=before)
            return
        sub.canceled_at = self.now
        self._cancel(sub, reason="cancellation_requested", request="portal")
