"""In-process, the harness calls the function behind the reference app's portal route (as it
calls its webhook handler); every answer must be the one the ASGI route gives."""

from __future__ import annotations

from typing import Any

import pytest

from harness.fake_stripe import FakeStripe
from harness.run import DEFAULT_WEBHOOK_SECRET
from harness.scenario.catalog import default_catalog
from harness.sim import World
from harness.targets.inprocess import CaseContext, ReferenceTarget

VERSION = "2025-03-31.basil"
REQUESTS: list[tuple[str | None, dict[str, Any]]] = [
    (None, {}),  # no signed-in user
    ("u_nobilling", {}),  # a user without a Stripe customer
    ("u_alice", {}),
    ("u_alice", {"form": {"customer": "cus_someone_else", "return_url": "https://x.test/"}}),
    ("u_alice", {"json": {"customerId": "cus_someone_else", "returnUrl": "https://x.test/"}}),
    ("u_alice", {"query": {"redirect": "https://attacker.example/phish"}}),
    ("u_alice", {"form": {"flow": "subscription_cancel"}}),
    ("u_alice", {"json": {"return_url": "https://x.test/ü?a=1&b=2 3"}}),
]


def _answers(target: ReferenceTarget) -> list[tuple[int, str | None, str]]:
    catalog = default_catalog()
    world = World(catalog, VERSION, seed=7)  # the same ids for both targets
    customer = world.create_customer("alice@example.test", "Alice")
    world.checkout(customer.id, "price_pro_monthly")
    target.start_case(CaseContext(VERSION, DEFAULT_WEBHOOK_SECRET, catalog, FakeStripe(world)))
    target.seed("u_alice", "alice@example.test", customer.id)
    target.seed("u_nobilling", "nobilling@example.test", None)
    try:
        out = []
        for user, request in REQUESTS:
            answer = target.portal(user, **request)
            out.append((answer.status, answer.location, answer.body))
        return out
    finally:
        target.close()


@pytest.mark.parametrize("mutant", [None, "portal_customer_from_request",
                                    "portal_return_url_from_request",
                                    "portal_no_customer_check"])
def test_the_in_process_portal_call_answers_as_the_asgi_route(mutant: str | None) -> None:
    direct = _answers(ReferenceTarget(mutant=mutant))
    routed = _answers(ReferenceTarget(mutant=mutant, asgi=True))
    assert direct == routed
    statuses = [status for status, _, _ in direct]
    assert any(300 <= s < 400 for s in statuses) and any(400 <= s < 500 for s in statuses)
    if mutant == "portal_no_customer_check":
        assert 500 in statuses  # the crash is a 500 either way, with the same body
