"""Gaps: a request the fake cannot serve is logged with why, apart from Stripe's own refusals."""

from __future__ import annotations

import pytest
import stripe

from harness.fake_stripe import FakeStripe
from harness.fake_stripe.errors import unsupported

from .accounts import make_account


def test_an_unknown_route_is_a_gap_naming_the_method_and_path(account):
    with pytest.raises(stripe.InvalidRequestError, match="Unrecognized request URL"):
        account.fake.stripe_client().v1.tax_rates.retrieve("txr_vat")
    (gap,) = account.fake.gaps
    assert (gap.method, gap.path, gap.status) == ("GET", "/v1/tax_rates/txr_vat", 404)
    assert "GET /v1/tax_rates/{tax_rate}" in gap.gap


def test_stripes_own_refusal_is_not_a_gap(account):
    with pytest.raises(stripe.InvalidRequestError, match="No such subscription"):
        account.fake.stripe_client().v1.subscriptions.retrieve("sub_missing")
    assert account.fake.requests[-1].status == 404
    assert account.fake.requests[-1].gap is None
    assert account.fake.gaps == []


def test_a_parameter_the_fake_cannot_honour_is_refused_as_stripe_would_and_logged():
    world, _, subscription = make_account()
    fake = FakeStripe(world)

    def strict(call):
        raise unsupported("test_clock", "simulated clocks are the scenario's")

    fake.add_route("GET", r"/v1/subscriptions/(?P<id>[^/]+)", strict)
    fake.routes.insert(0, fake.routes.pop())  # tried before the built-in route
    with pytest.raises(stripe.InvalidRequestError, match="Received unknown parameter"):
        fake.stripe_client().v1.subscriptions.retrieve(subscription.id)
    assert fake.gaps[0].gap == ("the fake Stripe API does not support the parameter test_clock "
                                "(simulated clocks are the scenario's)")
