"""Every built-in scenario x default API version x delivery mode against the reference app."""

from __future__ import annotations

import pytest

from harness import Case, ReferenceTarget, Runner, list_scenarios
from harness.delivery.plan import DEFAULT_MODES
from harness.versions import DEFAULT_VERSIONS

SCENARIOS = list_scenarios()


@pytest.fixture(scope="module")
def runner():
    target = ReferenceTarget()
    yield Runner(target)
    target.close()


@pytest.mark.parametrize("delivery", DEFAULT_MODES)
@pytest.mark.parametrize("api_version", DEFAULT_VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_reference_app_stays_in_sync(runner, scenario, api_version, delivery):
    result = runner.run_case(Case(scenario, api_version, delivery, seed=0))
    assert result.skipped is None
    assert result.ok, result.failure_text()
    assert result.events > 0
    assert all(cp.settled or cp.name != result.checkpoints[-1].name for cp in result.checkpoints)


@pytest.mark.parametrize("billing_mode", ["classic", "flexible"])
@pytest.mark.parametrize("scenario", ["cancel_at_period_end", "undo_cancel", "pause_resume"])
def test_reference_app_handles_both_billing_modes(runner, scenario, billing_mode):
    from harness import get_scenario

    for version in DEFAULT_VERSIONS:
        result = runner.run_case(Case(get_scenario(scenario), version, "shuffled", seed=3,
                                      billing_mode=billing_mode))
        assert result.ok, result.failure_text()


@pytest.mark.parametrize("scenario", ["upgrade", "payment_failed_recovered"])
def test_deliveries_through_the_asgi_route_give_the_same_verdicts(scenario):
    from harness import get_scenario

    target = ReferenceTarget(asgi=True)
    try:
        runner = Runner(target)
        for delivery in ("in_order", "retried"):
            result = runner.run_case(Case(get_scenario(scenario), "2025-03-31.basil", delivery))
            assert result.ok, result.failure_text()
    finally:
        target.close()
