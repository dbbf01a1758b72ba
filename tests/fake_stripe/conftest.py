"""Fixtures for the fake Stripe tests: a small World and a StripeClient over each transport."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from harness.fake_stripe import FakeStripe

from .accounts import Account, make_account


@pytest.fixture(scope="module")
def served() -> Iterator[FakeStripe]:
    """One real HTTP server per module; each test points it at a fresh World."""
    world, _, _ = make_account()
    fake = FakeStripe(world).start()
    yield fake
    fake.stop()


@pytest.fixture(params=["in_process", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def account(transport: str, request: pytest.FixtureRequest) -> Iterator[Account]:
    world, customer, subscription = make_account()
    if transport == "http":
        fake = request.getfixturevalue("served")
        fake.reset(world)
    else:
        fake = FakeStripe(world)
    yield Account(world, fake, customer, subscription)
    fake.check()


@pytest.fixture
def client(account: Account, transport: str) -> stripe.StripeClient:
    """A StripeClient pinned to the World's version, through the chosen transport."""
    return account.fake.stripe_client(over_http=transport == "http",
                                      stripe_version=account.world.api_version)


@pytest.fixture
def local() -> Iterator[Account]:
    """The small World served in process only (for the per-endpoint tests)."""
    world, customer, subscription = make_account()
    fake = FakeStripe(world)
    yield Account(world, fake, customer, subscription)
    fake.check()


@pytest.fixture
def v1(local: Account) -> Any:
    """`client.v1` of a StripeClient on `local`, pinned to the World's version."""
    return local.fake.stripe_client(stripe_version=local.world.api_version).v1
