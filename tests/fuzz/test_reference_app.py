"""The clean reference app stays in sync with Stripe under fuzzed portal flows and plans.

Each example is a whole case: a flow (generated, or a built-in scenario), an API version, a
billing mode and a delivery plan with permutations, duplicates, drops, delays and database
failures. The number of examples comes from the hypothesis profile (dev or ci).
"""

from __future__ import annotations

import pytest
from hypothesis import given

from harness.fuzz.strategies import cases
from harness.run import Runner
from harness.scenario.files import list_scenarios
from harness.targets.inprocess import ReferenceTarget
from harness.versions import KNOWN_VERSIONS


@pytest.fixture(scope="module")
def runner():
    target = ReferenceTarget()
    yield Runner(target)
    target.close()


def check(runner: Runner, case) -> None:
    result = runner.run_case(case)
    assert result.ok, result.failure_text()


@given(case=cases(versions=KNOWN_VERSIONS))
def test_generated_flows_under_generated_plans_keep_the_app_in_sync(runner, case) -> None:
    check(runner, case)


@given(case=cases(customers=("alice", "bob"), max_actions=8))
def test_two_customers_acting_at_once_never_touch_each_other(runner, case) -> None:
    check(runner, case)


@given(case=cases(scenarios_from=list_scenarios(), versions=KNOWN_VERSIONS))
def test_built_in_scenarios_under_generated_plans_keep_the_app_in_sync(runner, case) -> None:
    check(runner, case)
