"""`import harness` gives a small, sorted, complete surface."""

import harness

# The public surface: a name leaves it only through a deprecation, never by a move of modules.
PUBLIC = [
    "Case", "CaseResult", "Catalog", "ConfigError", "Event", "HarnessError", "InvariantViolation",
    "ReferenceTarget", "RunReport", "Runner", "Scenario", "ScenarioError", "Schedule", "Session",
    "Simulator", "Target", "TargetError", "Violation", "__version__", "default_catalog",
    "get_scenario", "list_scenarios", "load_catalog", "load_scenario", "sign_payload",
]


def test_all_is_sorted_and_complete():
    assert harness.__all__ == sorted(harness.__all__)
    for name in harness.__all__:
        assert hasattr(harness, name), name
    assert set(PUBLIC) <= set(harness.__all__)
    assert 15 <= len(harness.__all__) <= 30


def test_errors_are_one_tree():
    for err in (harness.ConfigError, harness.ScenarioError, harness.TargetError,
                harness.InvariantViolation):
        assert issubclass(err, harness.HarnessError)
    assert issubclass(harness.InvariantViolation, AssertionError)


def test_a_report_raises_an_assertion_pytest_shows_as_a_failure():
    target = harness.ReferenceTarget(mutant="records_paid_invoice_twice")
    try:
        runner = harness.Runner(target)
        report = runner.run([harness.Case(harness.get_scenario("renewal"), "2025-03-31.basil",
                                          "duplicated")])
    finally:
        target.close()
    try:
        report.raise_for_violations()
    except AssertionError as exc:
        assert "invoices.recorded_once" in str(exc)
    else:
        raise AssertionError("a failing report must raise")
