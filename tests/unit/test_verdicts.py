"""The report says who is at fault and what happened when: harness gaps apart from app
defects (exit 3 vs 1), duplicates and late arrivals marked, progress lines for CI logs."""

from __future__ import annotations

import io
import json

import pytest

import harness
from harness.cli import main
from harness.cli.console import plain_progress
from harness.delivery.plan import arrival_notes
from harness.display import DeliveryTable, Timeline


def case(mutant, scenario, version, delivery, seed=0):
    runner = harness.Runner(harness.ReferenceTarget(mutant=mutant))
    return runner, runner.run_case(harness.Case(harness.get_scenario(scenario), version,
                                                delivery, seed=seed))


@pytest.fixture(scope="module")
def late() -> harness.CaseResult:
    return case("applies_event_snapshot", "cancel_at_period_end", "2025-09-30.clover",
                "delayed")[1]


def test_a_late_arrival_is_marked_and_explained_in_one_sentence(late):
    text = late.failure_text()
    late_lines = [t for t in text.splitlines() if "(late: created before #" in t]
    assert any("customer.subscription.updated" in t for t in late_lines), late_lines
    sentence = next(t for t in text.splitlines() if t.startswith("Out of order: "))
    assert "arrived after #" in sentence and "created t=" in sentence


def test_the_delivery_table_and_the_figure_mark_the_late_arrival_too(late):
    assert "(late: created before #" in DeliveryTable(late).text()
    assert "Out of order: " in DeliveryTable(late).text()
    svg = Timeline(late).svg()
    assert "(late: created before #" in svg and "Out of order: " in svg


def test_a_duplicate_is_marked_in_the_failure_timeline():
    _, result = case("records_paid_invoice_twice", "checkout", "2025-03-31.basil", "duplicated")
    assert not result.ok
    assert "(duplicate)" in result.failure_text()
    notes = arrival_notes(result.timeline)
    assert notes.count("duplicate") >= 1
    assert all(not n for a, n in zip(result.timeline, notes, strict=True) if a.number > 1)


def test_every_problem_in_the_json_report_names_who_is_at_fault(capsys):
    code = main(["run", "--json", "--mutant", "ignores_cancel_at", "--scenario",
                 "cancel_at_period_end", "--api-version", "2025-09-30.clover",
                 "--delivery", "in_order"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["exit_code"] == 1
    problems = [v for r in report["results"] for v in r["violations"]]
    assert problems and {v["fault"] for v in problems} == {"app"}
    assert report["faults"] == {"app": len(problems)}


def test_a_request_the_fake_does_not_serve_is_the_harness_gap_not_the_apps_crash():
    """The reference app re-fetches each subscription; take that route away from the fake."""
    runner = harness.Runner(harness.ReferenceTarget())
    runner.fake.routes = [r for r in runner.fake.routes
                          if r.describe() != r"GET /v1/subscriptions/{subscription_exposed_id}"]
    report = runner.run([harness.Case(harness.get_scenario("upgrade"), "2025-03-31.basil",
                                      "in_order")])
    assert report.exit_code == 3
    problems = report.results[0].violations
    gaps = [v for v in problems if v.fault == "harness"]
    assert gaps and gaps[0].check == "harness.unserved_request"
    assert "GET /v1/subscriptions/sub_" in gaps[0].message
    assert "customer.subscription.created" in gaps[0].message
    assert not [v for v in problems if v.check.startswith("delivery.")]
    assert problems[0].fault == "harness"  # gaps come first
    assert "Harness gaps" in report.gaps_text() and "harness gap" in report.summary_line()


def test_plain_progress_prints_one_line_per_scenario():
    stream = io.StringIO()
    runner = harness.Runner(harness.ReferenceTarget())
    cases = [harness.Case(harness.get_scenario(s), "2025-03-31.basil", d)
             for s in ("checkout", "upgrade") for d in ("in_order", "shuffled")]
    with plain_progress(len(cases), stream) as tick:
        runner.run(cases, progress=tick)
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "[2/4] checkout: 2 cases, 2 passed, 0 failed",
        "[4/4] upgrade: 2 cases, 2 passed, 0 failed"]


def test_a_run_outside_a_terminal_prints_a_progress_line_per_scenario(capsys):
    code = main(["run", "--json", "--scenario", "checkout", "--scenario", "upgrade",
                 "--api-version", "2025-03-31.basil", "--delivery", "in_order",
                 "--billing-mode", "classic"])  # no crossed cases: one per scenario
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["ok"]  # stdout stays JSON
    assert [line.split(" (")[0] for line in err.splitlines()] == [
        "[1/2] checkout: 1 cases, 1 passed, 0 failed",
        "[2/2] upgrade: 1 cases, 1 passed, 0 failed"]


def test_a_portal_crash_shows_what_the_fake_stripe_api_answered_before_it():
    _, result = case("portal_no_customer_check", "checkout", "2025-03-31.basil", "in_order")
    (problem,) = [v for v in result.violations if v.check == "portal.no_customer"]
    assert problem.fault == "app"
    assert ("after the fake Stripe API answered POST /v1/billing_portal/sessions -> 400 "
            "parameter_missing") in problem.message


def test_gaps_are_found_when_the_fake_apis_request_log_is_full():
    """The fake keeps only its newest requests (a ring buffer); attribution must not rely on
    positions in it."""
    from harness.fake_stripe import FakeStripe
    from harness.scenario.catalog import default_catalog
    from harness.sim import World

    fake = FakeStripe(World(default_catalog(), "2024-06-20"), max_requests=3)
    runner = harness.Runner(harness.ReferenceTarget(), fake=fake)
    fake.routes = [r for r in fake.routes
                   if r.describe() != r"GET /v1/subscriptions/{subscription_exposed_id}"]
    report = runner.run([harness.Case(harness.get_scenario(s), "2025-03-31.basil", "in_order")
                         for s in ("checkout", "upgrade")])
    assert report.exit_code == 3
    assert all(r.violations[0].check == "harness.unserved_request" for r in report.results)


def test_a_scenario_needing_a_trial_or_seats_is_skipped_behind_an_app_checkout_route():
    """An app's own checkout route picks the trial and the seats; a scenario that needs one
    cannot go through it, and says why instead of failing. The card is the customer's: the
    harness types the one the scenario needs, so those scenarios run."""
    from harness.checks.checkout import unreproducible_checkouts
    from harness.scenario import get_scenario

    why = unreproducible_checkouts(get_scenario("trial_to_paid"))
    assert why and "trial_days=14" in why
    assert "quantity=3" in (unreproducible_checkouts(get_scenario("seats_changed")) or "")
    assert unreproducible_checkouts(get_scenario("renewal_requires_authentication")) is None
    assert unreproducible_checkouts(get_scenario("upgrade")) is None


def test_a_portal_route_that_makes_the_users_own_customer_on_demand_is_not_a_defect():
    """Libraries "get or create" a Stripe customer by the user's email and open the portal for
    it; a portal for a customer that already existed is still the defect."""
    from types import SimpleNamespace as NS

    from harness.checks.portal import _made_its_own_customer

    world = NS(customers={"cus_old": NS(email="someone@example.test"),
                          "cus_new": NS(email="nobilling@example.test")},
               portal_sessions={"bps_1": NS(customer="cus_new", url="https://portal/1")})
    answer = NS(status=303, location="https://portal/1", body=b"")
    assert _made_its_own_customer(world, {"cus_old"}, 0, answer, "nobilling@example.test")
    assert not _made_its_own_customer(world, {"cus_old", "cus_new"}, 0, answer,
                                      "nobilling@example.test")  # an existing customer
    world.portal_sessions["bps_1"].customer = "cus_old"
    assert not _made_its_own_customer(world, {"cus_old"}, 0, answer, "nobilling@example.test")
    assert not _made_its_own_customer(world, {"cus_old"}, 1, answer, "nobilling@example.test")
