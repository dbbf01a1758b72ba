"""Fixtures for the reference app tests: a stand-in Stripe API, settings and a driven app."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.reference_app import AppSettings, ReferenceApp, create_app

# The stub module sits next to this file; make it importable under any pytest import mode.
sys.path.insert(0, str(Path(__file__).parent))
from stripe_stub import BASIL, PLAN_ORDER, PRICE_PLANS, SECRET, Driver, FakeStripe

CUSTOMER = "cus_QXg1o8vcGmoR32"
OTHER_CUSTOMER = "cus_NciAYcXfLnqBoz"


@pytest.fixture
def fake_stripe(httpserver) -> FakeStripe:
    return FakeStripe(httpserver)


@pytest.fixture
def settings(fake_stripe: FakeStripe) -> AppSettings:
    return AppSettings(
        stripe_api_key="sk_test_123",
        stripe_api_base=fake_stripe.api_base,
        webhook_secret=SECRET,
        api_version=BASIL,
        price_plans=dict(PRICE_PLANS),
        plan_order=list(PLAN_ORDER),
    )


@pytest.fixture
def drive(settings: AppSettings) -> Callable[[Callable[[AppSettings], ReferenceApp]], Driver]:
    """Build an app with a factory (the reference or a mutant), seed two users, drive it."""

    def build(factory: Callable[[AppSettings], ReferenceApp] = create_app) -> Driver:
        app = factory(settings)
        app.seed_user("u_alice", "alice@example.test", CUSTOMER)
        app.seed_user("u_bob", "bob@example.test", OTHER_CUSTOMER)
        app.seed_user("u_carol", "carol@example.test", None)
        return Driver(app)

    return build


@pytest.fixture
def driver(drive) -> Driver:
    return drive()
