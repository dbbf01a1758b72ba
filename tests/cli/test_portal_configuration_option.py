"""`--portal-configuration` on run, events and fuzz: Stripe's object as JSON, YAML or TOML,
for every customer or per customer, over the scenarios' own; bad input exits 2 naming the file
and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from harness.cli import main
from harness.delivery.plan import Schedule
from harness.fuzz.campaign import decode_case, encode_case
from harness.fuzz.strategies import scenarios
from harness.run import Case
from harness.sim.portal_override import PortalOverride
from harness.versions import PINNED_VERSION

# The object as Stripe's API returns it (the fields that matter here, and some it also sends).
TEAMS = {
    "id": "bpc_1TeamsPortal", "object": "billing_portal.configuration", "active": True,
    "business_profile": {"headline": None, "privacy_policy_url": None,
                         "terms_of_service_url": None},
    "default_return_url": None, "is_default": False, "livemode": False, "metadata": {},
    "features": {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "subscription_cancel": {"enabled": True, "mode": "immediately",
                                "proration_behavior": "none",
                                "cancellation_reason": {"enabled": True, "options": [
                                    "too_expensive", "switched_service", "other"]}},
        "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                "proration_behavior": "always_invoice", "products": None},
    },
}

TWO_CUSTOMERS = """\
name: two_kinds
description: a team customer and a personal one cancel in the portal
customers: [alice, team]
portal_configuration: standard
steps:
  - checkout: {customer: alice}
  - checkout: {customer: team}
  - checkpoint: subscribed
  - cancel_at_period_end: {customer: alice}
  - cancel_now: {customer: team}
  - checkpoint: canceled
"""


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_run_plays_under_the_given_configuration_and_skips_what_it_does_not_offer(
        capsys, tmp_path):
    teams = write(tmp_path, "teams.json", json.dumps(TEAMS))
    code, out, _ = run_cli(capsys, "run", "--portal-configuration", teams, "--scenario",
                           "cancel_at_period_end", "--scenario", "cancel_now", "--scenario",
                           "upgrade", "--api-version", "2025-09-30.clover", "--delivery",
                           "in_order", "--json")
    assert code == 0
    results = {r["scenario"]: r for r in json.loads(out)["results"]}
    assert "cancels immediately, not at_period_end" in results["cancel_at_period_end"]["skipped"]
    assert results["cancel_now"]["ok"] and results["cancel_now"]["skipped"] is None
    # upgrade's own configuration (standard) prorates; this one invoices at once
    assert results["upgrade"]["ok"] and results["upgrade"]["skipped"] is None


def test_events_follow_the_command_lines_configuration_over_the_scenarios(capsys, tmp_path):
    teams = write(tmp_path, "teams.yaml", json.dumps(TEAMS))  # JSON is YAML too
    _, own, _ = run_cli(capsys, "events", "upgrade_with_stripe_defaults")
    code, out, _ = run_cli(capsys, "events", "upgrade_with_stripe_defaults",
                           "--portal-configuration", teams)
    assert code == 0
    switch_own = [e["type"] for e in json.loads(own)][12:16]
    switch_teams = [e["type"] for e in json.loads(out)][12:16]
    # its own configuration (stripe_defaults) names no proration: Stripe's default, none
    assert switch_own[0] == "customer.subscription.updated" and switch_own[1] != (
        "invoiceitem.created")
    # this one invoices the proration at once
    assert switch_teams == ["customer.subscription.updated", "invoiceitem.created",
                            "invoiceitem.created", "invoice.created"]


def test_customers_of_one_scenario_use_different_configurations(capsys, tmp_path):
    scenario = write(tmp_path, "two_kinds.yaml", TWO_CUSTOMERS)
    # the scenario's own (standard) cancels at period end, so team's cancel_now is refused
    code, _, err = run_cli(capsys, "events", scenario)
    assert code == 2 and "cancels at_period_end, not immediately" in err
    toml = write(tmp_path, "teams.toml",
                 'id = "bpc_1TeamsPortal"\nobject = "billing_portal.configuration"\n'
                 '[features.subscription_cancel]\nenabled = true\nmode = "immediately"\n')
    code, out, _ = run_cli(capsys, "events", scenario, "--portal-configuration",
                           f"team={toml}")
    assert code == 0
    events = json.loads(out)
    customers = {e["data"]["object"]["email"]: e["data"]["object"]["id"]
                 for e in events if e["type"] == "customer.created"}
    last = {}
    for e in events:
        if e["type"].startswith("customer.subscription."):
            last[e["data"]["object"]["customer"]] = e["type"]
    assert last == {customers["alice@example.test"]: "customer.subscription.updated",
                    customers["team@example.test"]: "customer.subscription.deleted"}


@pytest.mark.parametrize(("text", "suffix", "words"), [
    ('{"object": "billing_portal.configuration", "features": {"subscription_cancel": '
     '{"enabled": true, "mode": "sometimes"}}}', ".json",
     ["bad.json", "features.subscription_cancel.mode"]),
    ("object: billing_portal.configuration\nfeatures:\n  subscription_update:\n"
     "    proration_behavior: maybe\n", ".yaml",
     ["bad.yaml", "features.subscription_update.proration_behavior"]),
    ('object = "customer"\n', ".toml", ["bad.toml", "not 'billing_portal.configuration'"]),
    ("{not json", ".json", ["bad.json", "not valid JSON"]),
])
@pytest.mark.parametrize("command", [["run", "--scenario", "upgrade"], ["events", "upgrade"],
                                     ["fuzz", "--examples", "1"]])
def test_a_bad_configuration_exits_2_naming_the_file_and_field(capsys, tmp_path, text, suffix,
                                                               words, command):
    bad = write(tmp_path, f"bad{suffix}", text)
    code, _, err = run_cli(capsys, *command, "--portal-configuration", bad)
    assert code == 2
    assert all(w in err for w in words), err
    assert "Traceback" not in err


@pytest.mark.parametrize(("values", "words"), [
    (["missing.json"], "missing.json: file not found"),
    (["nope"], "no portal configuration named 'nope'; built in:"),
    (["zed=standard"], "no chosen scenario has a customer named 'zed'"),
    (["standard", "cancel_immediately"], "a configuration for every customer is already given"),
])
def test_a_missing_or_ambiguous_choice_exits_2(capsys, values, words):
    argv = ["run", "--scenario", "upgrade"]
    for v in values:
        argv += ["--portal-configuration", v]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and words in err, err


@settings(max_examples=25, database=None, deadline=None)
@given(flow=scenarios(max_actions=10, customers=("alice", "bob"),
                      portal=PortalOverride.parse(["bob=cancel_immediately", "standard"])))
def test_fuzzed_flows_draw_only_steps_each_customers_configuration_offers(flow) -> None:
    assert flow.portal_configuration["id"] == "bpc_harness_standard"
    assert [c.portal_configuration and c.portal_configuration["id"] for c in flow.customers] == [
        None, "bpc_harness_cancel_immediately"]
    for step in flow.steps:
        who = getattr(step, "customer", None)
        name = type(step).__name__
        assert not (who == "bob" and name == "CancelAtPeriodEnd")
        assert not (who == "alice" and name == "CancelNow")
    # a failure's --reproduce word carries the configurations
    case = Case(flow, PINNED_VERSION, "fuzz", schedule=Schedule([], mode="explicit"))
    again = decode_case(encode_case(case)).scenario
    assert (again.portal_configuration, again.customers) == (flow.portal_configuration,
                                                            flow.customers)
