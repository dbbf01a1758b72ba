"""The proration preview a plan switch shows before the customer confirms.

Takes the World, a subscription, the new price and the configuration's proration behaviour;
gives the lines the switch will bill and when, computed as `World.switch_plan` bills them
(credit for unused time on the old price, the remaining time on the new one; a change of
interval restarts the period and bills the new price in full now), without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sim import Subscription, World
from ..sim.schedules import scheduled_at_period_end


@dataclass
class Preview:
    lines: list[tuple[str, int]] = field(default_factory=list)  # (description, amount)
    due_now: bool = False  # billed on an invoice now, else added to the next invoice
    currency: str = "usd"
    next_renewal: int = 0

    @property
    def total(self) -> int:
        return sum(amount for _, amount in self.lines)


def preview_switch(world: World, sub: Subscription, new_price: str,
                   proration_behavior: str) -> Preview:
    catalog = world.catalog
    item = sub.items[0]
    old, new = catalog.price(item.price), catalog.price(new_price)
    interval_change = (old.interval, old.interval_count) != (new.interval, new.interval_count)
    start, end = item.current_period_start, item.current_period_end
    if scheduled_at_period_end(world.portal_of(sub.customer), old, new, item.quantity):
        return Preview(currency=sub.currency, next_renewal=end)  # nothing until the renewal
    remaining = max(end - world.now, 0) / max(end - start, 1)
    out = Preview(currency=sub.currency)
    if proration_behavior != "none":
        name = catalog.products.get(old.product, old.plan)
        out.lines.append((f"Unused time on {name}",
                          -round(old.unit_amount * item.quantity * remaining)))
        if not interval_change:
            name = catalog.products.get(new.product, new.plan)
            out.lines.append((f"Remaining time on {name}",
                              round(new.unit_amount * item.quantity * remaining)))
    if interval_change:
        name = catalog.products.get(new.product, new.plan)
        out.lines.append((f"{name} for a new {new.interval}", new.unit_amount * item.quantity))
    out.due_now = proration_behavior == "always_invoice" or interval_change
    out.next_renewal = end if not interval_change else world.now
    return out
