"""Benchmark: how long the fake Stripe takes to answer one retrieve, in process.

    python benchmarks/bench_fake_stripe.py [--rounds N]

Prints per-call figures with the machine (cores, Python, stripe-python); asserts nothing.
`dispatch` is the fake alone (routing, validation against the SDK's definitions, rendering,
JSON); `stripe-python` adds the SDK's own request building and response parsing on top.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import stripe

from harness.fake_stripe import FakeStripe
from harness.scenario.catalog import default_catalog
from harness.sim import World


def _account() -> tuple[FakeStripe, str, str]:
    world = World(default_catalog(), "2025-03-31.basil", seed=1)
    customer = world.create_customer("bench@example.test", "Bench")
    sub = world.checkout(customer.id, "price_pro_monthly")
    return FakeStripe(world), customer.id, sub.id


def _per_call(fn, rounds: int, repeats: int = 5) -> float:
    """The best of `repeats` batches: the machine's other load only ever adds time."""
    fn()  # warm: the SDK route table is read once per process
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - started) / rounds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    rounds = parser.parse_args().rounds
    from harness.fake_stripe import sdk_spec

    started = time.perf_counter()
    table = sdk_spec.sdk_routes()
    read = time.perf_counter() - started
    fake, customer, sub = _account()
    item = fake.world.subscriptions[sub].items[0].id
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    client = fake.stripe_client()
    figures = {
        "dispatch: GET /v1/customers/{id}": lambda: fake.dispatch(
            "GET", f"/v1/customers/{customer}", "", headers, b""),
        "dispatch: GET /v1/subscriptions/{id}": lambda: fake.dispatch(
            "GET", f"/v1/subscriptions/{sub}", "", headers, b""),
        "stripe-python: customers.retrieve": lambda: client.v1.customers.retrieve(customer),
        "stripe-python: subscriptions.retrieve": lambda: client.v1.subscriptions.retrieve(sub),
        # plays the change on a copy of the World: grows with what the World holds
        "stripe-python: invoices.create_preview (switch)": lambda: client.v1.invoices
        .create_preview(params={"subscription": sub, "subscription_details": {"items": [
            {"id": item, "price": "price_enterprise_monthly"}]}}),
    }
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"stripe-python {stripe.VERSION}, best of 5 batches of {rounds} calls")
    print(f"  {'reading the SDK route table (once per process)':<42} {read * 1e3:8.1f} ms "
          f"({len(table)} endpoints)")
    for name, fn in figures.items():
        fake.reset()
        print(f"  {name:<42} {_per_call(fn, rounds) * 1e6:8.1f} µs per call")


if __name__ == "__main__":
    main()
