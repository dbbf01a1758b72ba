"""Subscription item changes an app makes through the API, and their preview.

The same World verbs as the portal's plan switch and seat change (`switch_plan`,
`change_quantity`), so the proration lines are the ones the World bills; but an API call is not
bound by the portal configuration's limits, and it may prorate as of a `proration_date` (Stripe:
"the proration is calculated as though the update was done at proration_date"). A preview plays
the same change on a copy of the World and reads the invoice it would bill.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ScenarioError
from .api_writes import set_quantity

if TYPE_CHECKING:
    from .objects import Invoice, Subscription
    from .world import World

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


@dataclass(frozen=True)
class ItemChange:
    """One item of `items[]` / `subscription_details[items][]`: a new price and/or quantity."""

    item: str
    price: str | None = None
    quantity: int | None = None


@contextmanager
def _as_api(world: World, proration_date: int | None) -> Iterator[None]:
    """The portal configuration does not bind the API; prorations as of `proration_date`."""
    saved = world.portal, world.customer_portals, world.proration_date
    world.portal, world.customer_portals = None, {}
    world.proration_date = proration_date
    try:
        yield
    finally:
        world.portal, world.customer_portals, world.proration_date = saved


def check_proration_date(sub: Subscription, proration_date: int | None, now: int) -> None:
    if proration_date is None:
        return
    if not sub.current_period_start <= proration_date <= now:
        raise ScenarioError("proration_date must be within the subscription's current period "
                            f"({sub.current_period_start} to {now}), not {proration_date}")


def change_items(world: World, sub: Subscription, changes: list[ItemChange], *,
                 proration_behavior: str = "create_prorations",
                 proration_date: int | None = None) -> None:
    """Apply each change with the World's own verbs (prices first, then quantities)."""
    if proration_behavior not in PRORATION_BEHAVIORS:
        raise ScenarioError(f"Invalid proration_behavior: must be one of "
                            f"{', '.join(PRORATION_BEHAVIORS[:-1])}, or none")
    check_proration_date(sub, proration_date, world.now)
    with _as_api(world, proration_date):
        for change in changes:
            item = next((i for i in sub.items if i.id == change.item), None)
            if item is None:
                raise ScenarioError(f"No such subscription item: '{change.item}'")
            if change.price is not None and change.price != item.price:
                world.switch_plan(sub, change.price, proration_behavior=proration_behavior)
            if change.quantity is not None and change.quantity != item.quantity:
                if change.quantity < 1:  # no seat left: nothing to prorate against
                    set_quantity(world, sub, item, change.quantity)
                    continue
                world.change_quantity(sub, change.quantity,
                                      proration_behavior=proration_behavior)


def preview(world: World, sub: Subscription, changes: list[ItemChange], *,
            proration_behavior: str = "create_prorations",
            proration_date: int | None = None) -> tuple[World, Invoice | None]:
    """The change played on a copy of the World: the copy, and the invoice the change bills at
    once (always_invoice, or a change of billing interval), else None (the prorations wait
    for the next renewal, as pending invoice items of the copy)."""
    events, world.events = world.events, []  # the copy needs none of them
    try:
        shadow = copy.deepcopy(world)
    finally:
        world.events = events
    twin = shadow.subscriptions[sub.id]
    latest = twin.latest_invoice
    change_items(shadow, twin, changes, proration_behavior=proration_behavior,
                 proration_date=proration_date)
    billed = shadow.invoices.get(twin.latest_invoice or "") \
        if twin.latest_invoice != latest else None
    return shadow, billed
