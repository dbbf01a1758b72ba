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


def test_the_default_matrix_sends_flexible_subscriptions_to_the_basil_endpoint() -> None:
    """Audit gap 3: the billing mode comes from the version that created the subscription, so
    an old endpoint receives flexible subscriptions; the default matrix plays that pair."""
    from harness.errors import ConfigError
    from harness.session import Session

    with Session.create(scenarios=["renewal"], security=False) as session:
        crossed = [(c.api_version, c.delivery, c.billing_mode) for c in session.cases
                   if c.billing_mode]
        assert crossed == [
            ("2025-03-31.basil", "in_order", "flexible"),
            ("2025-03-31.basil", "shuffled", "flexible")]
        assert all(c.billing_mode for c in session.cases[-2:])  # after the plain cases
    with Session.create(scenarios=["renewal"], security=False, matrix="full") as session:
        crossed = {(c.api_version, c.billing_mode) for c in session.cases if c.billing_mode}
        assert crossed == {("2024-06-20", "flexible"), ("2025-03-31.basil", "flexible"),
                           ("2025-09-30.clover", "classic"), ("2026-10-28.endive", "classic")}
        assert len(session.cases) == 2 * len(DEFAULT_VERSIONS) * len(DEFAULT_MODES)
    with Session.create(scenarios=["renewal"], security=False,
                        billing_mode="classic") as session:
        assert {c.billing_mode for c in session.cases} == {"classic"}
    with pytest.raises(ConfigError, match="--matrix"):
        Session.create(scenarios=["renewal"], matrix="everything")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_reference_app_passes_the_crossed_cases(runner, scenario):
    for delivery in ("in_order", "shuffled"):
        result = runner.run_case(Case(scenario, "2025-03-31.basil", delivery, seed=0,
                                      billing_mode="flexible"))
        assert result.ok, result.failure_text()
