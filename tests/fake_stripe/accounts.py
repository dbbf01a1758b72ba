"""A small World for the fake Stripe tests: one customer on the pro plan."""

from __future__ import annotations

from dataclasses import dataclass

from harness.fake_stripe import FakeStripe
from harness.scenario.catalog import default_catalog
from harness.sim import Customer, Subscription, World

BASIL = "2025-03-31.basil"


@dataclass
class Account:
    """A World with one customer on the pro plan, and the fake serving it."""

    world: World
    fake: FakeStripe
    customer: Customer
    subscription: Subscription


def make_account(version: str = BASIL, *, seed: int = 1) -> tuple[World, Customer, Subscription]:
    world = World(default_catalog(), version, seed=seed)
    customer = world.create_customer("a@example.test", "A")
    subscription = world.checkout(customer.id, "price_pro_monthly")
    return world, customer, subscription
