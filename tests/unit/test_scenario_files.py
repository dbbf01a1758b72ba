"""Built-in scenarios play everywhere; broken scenario and catalog files give one clear error.

Every built-in scenario plays in every default version and both billing modes (or is refused with
its reason); a malformed file raises ConfigError naming the file and the field path; a catalog
with other plan names and price ids plays every built-in scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError, ScenarioError
from harness.scenario.catalog import load_catalog
from harness.scenario.files import get_scenario, list_scenarios, load_scenario
from harness.sim.simulator import Simulator
from harness.versions import DEFAULT_VERSIONS

SCENARIOS = list_scenarios()
MODES = ("classic", "flexible")

CUSTOM_CATALOG = """\
currency: eur
plans:
  - name: starter
    product: prod_starter_x
    prices:
      - {id: price_1StarterMonthlyEUR, unit_amount: 500}
  - name: growth
    prices:
      - {id: price_1GrowthMonthlyEUR, unit_amount: 2500}
      - {id: price_1GrowthYearlyEUR, unit_amount: 25000, interval: year}
  - name: scale
    prices:
      - {id: price_1ScaleMonthlyEUR, unit_amount: 12000}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("version", DEFAULT_VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_builtin_scenario_plays_or_is_refused_with_a_reason(scenario, version: str,
                                                                 mode: str) -> None:
    why = scenario.supports(version, mode)
    if why:
        with pytest.raises(ScenarioError, match="cannot run here"):
            Simulator(scenario, version, billing_mode=mode)
        return
    segments = Simulator(scenario, version, billing_mode=mode, seed=1).run()
    assert [s.checkpoint for s in segments] == scenario.checkpoints
    assert any(s.events for s in segments)


def test_a_scenario_that_requires_a_later_version_is_refused_with_its_reason(
        tmp_path: Path) -> None:
    path = write(tmp_path, "needs_endive.yaml", """\
name: needs_endive
description: x
customers: [alice]
requires: {min_api_version: "2026-09-30", billing_mode: flexible}
steps:
  - checkout: {customer: alice}
  - checkpoint: done
""")
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError, match=r"needs_endive.*needs API version 2026-09-30"):
        Simulator(scenario, "2025-03-31.basil")
    with pytest.raises(ScenarioError, match="needs flexible billing mode"):
        Simulator(scenario, "2026-10-28.endive", billing_mode="classic")
    assert Simulator(scenario, "2026-10-28.endive").run()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_builtin_scenario_plays_with_a_catalog_of_other_names(tmp_path: Path,
                                                                    scenario) -> None:
    catalog = load_catalog(write(tmp_path, "catalog.yaml", CUSTOM_CATALOG))
    assert catalog.plans == ("starter", "growth", "scale")
    for version in (DEFAULT_VERSIONS[0], DEFAULT_VERSIONS[-1]):
        sim = Simulator(scenario, version, catalog, seed=1)
        segments = sim.run()
        prices = {e.object.items[0].price for s in segments for e in s.events
                  if e.object.kind == "subscription"}
        assert prices and prices <= set(catalog.prices)
        plans = {state["plan"] for s in segments for state in s.expected.values()}
        assert plans <= {"free", "starter", "growth", "scale"}


def test_a_toml_catalog_loads_like_a_yaml_one(tmp_path: Path) -> None:
    path = write(tmp_path, "catalog.toml", """\
[[plans]]
name = "solo"
[[plans.prices]]
id = "price_solo"
unit_amount = 700
""")
    assert load_catalog(path).plans == ("solo",)


# -- malformed scenario files ----------------------------------------------------------------------

GOOD_HEAD = "description: x\ncustomers: [alice]\n"
MALFORMED = {
    "unknown_top_key": (GOOD_HEAD + "colour: blue\nsteps:\n  - checkout: {customer: alice}\n"
                        "  - checkpoint: done\n", ["colour: unknown key"]),
    "unknown_step_key": (GOOD_HEAD + "steps:\n  - checkout: {customer: alice, colour: red}\n"
                         "  - checkpoint: done\n", ["steps.0.checkout.colour: unknown key"]),
    "unknown_action": (GOOD_HEAD + "steps:\n  - checkout: {customer: alice}\n"
                       "  - refund: {customer: alice}\n  - checkpoint: done\n",
                       ["steps.1: unknown action 'refund'"]),
    "unknown_expect_key": (GOOD_HEAD + "steps:\n  - checkout: {customer: alice}\n"
                           "  - checkpoint: {name: done, expect: {alice: {plna: pro}}}\n",
                           ["steps.1.checkpoint.expect.alice.plna: unknown key"]),
    "unknown_customer": (GOOD_HEAD + "steps:\n  - checkout: {customer: bob}\n"
                         "  - checkpoint: done\n", ["steps.0: unknown customer 'bob'"]),
    "bad_value": (GOOD_HEAD + "steps:\n  - checkout: {customer: alice}\n"
                  "  - switch_plan: {customer: alice, plan: '@high', proration_behavior: soon}\n"
                  "  - checkpoint: done\n", ["steps.1.switch_plan.proration_behavior"]),
    "missing_checkpoint": (GOOD_HEAD + "steps:\n  - checkout: {customer: alice}\n",
                           ["at least one checkpoint"]),
    "missing_steps": (GOOD_HEAD, ["steps: Field required"]),
    "yaml_syntax": ("description: x\ncustomers: [alice\nsteps:\n", ["not valid YAML", "line 3"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_scenario_file_names_the_file_and_the_field(tmp_path: Path,
                                                                case: str) -> None:
    text, expected = MALFORMED[case]
    path = write(tmp_path, f"{case}.yaml", f"name: {case}\n{text}")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message


def test_a_scenario_named_unlike_its_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "one.yaml", "name: other\n" + GOOD_HEAD +
                 "steps:\n  - checkout: {customer: alice}\n  - checkpoint: done\n")
    with pytest.raises(ConfigError, match=r"one\.yaml: name 'other' must match"):
        load_scenario(path)


def test_a_missing_scenario_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_an_unknown_builtin_name_lists_the_builtins() -> None:
    with pytest.raises(ConfigError, match=r"no scenario named 'nope'; built in: .*renewal"):
        get_scenario("nope")


def test_a_plan_missing_from_the_catalog_names_the_file_step_and_plan(tmp_path: Path) -> None:
    """Plans resolve against the catalog at play time; the error still names the file and the
    step's path as the loader counts it."""
    path = write(tmp_path, "bad_plan.yaml", "name: bad_plan\n" + GOOD_HEAD +
                 "steps:\n  - checkout: {customer: alice, plan: gold}\n  - checkpoint: done\n")
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError) as info:
        Simulator(scenario, "2025-03-31.basil").run()
    message = str(info.value)
    assert f"{path}: steps.0 (checkout)" in message
    assert "plan 'gold' is not in the catalog (plans: basic, pro, enterprise)" in message


# -- malformed catalog files ---------------------------------------------------------------------

BAD_CATALOGS = {
    "negative_amount": ("plans:\n  - name: a\n    prices:\n"
                        "      - {id: price_a, unit_amount: -5}\n",
                        ["plans.0.prices.0.unit_amount"]),
    "bad_price_id": ("plans:\n  - name: a\n    prices:\n"
                     "      - {id: 'price a', unit_amount: 5}\n",
                     ["plans.0.prices.0.id"]),
    "bad_interval": ("plans:\n  - name: a\n    prices:\n"
                     "      - {id: price_a, unit_amount: 5, interval: fortnight}\n",
                     ["plans.0.prices.0.interval"]),
    "unknown_key": ("plans:\n  - name: a\n    colour: red\n    prices:\n"
                    "      - {id: price_a, unit_amount: 5}\n", ["plans.0.colour: unknown key"]),
    "no_prices": ("plans:\n  - name: a\n    prices: []\n", ["plans.0.prices"]),
    "duplicate_price": ("plans:\n  - name: a\n    prices:\n      - {id: price_a, unit_amount: 5}\n"
                        "  - name: b\n    prices:\n      - {id: price_a, unit_amount: 9}\n",
                        ["price 'price_a' is listed twice"]),
    "toml_syntax": ("plans = [", ["not valid TOML"]),
}


@pytest.mark.parametrize("case", list(BAD_CATALOGS))
def test_a_malformed_catalog_file_names_the_file_and_the_field(tmp_path: Path, case: str) -> None:
    text, expected = BAD_CATALOGS[case]
    suffix = ".toml" if case.startswith("toml") else ".yaml"
    path = write(tmp_path, f"{case}{suffix}", text)
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    message = str(info.value)
    for part in expected:
        assert part in message
    if case != "duplicate_price":
        assert message.startswith(f"{path}: ")
