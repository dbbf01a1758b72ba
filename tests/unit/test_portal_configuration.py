"""The portal configuration decides what the portal offers and how (FIDELITY.md, section 9).

Configurations are Stripe's `billing_portal.configuration` objects, read from JSON, YAML or
TOML; the fixture is the one Stripe publishes in its OpenAPI repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.errors import ConfigError, ScenarioError
from harness.scenario.catalog import default_catalog
from harness.scenario.files import Scenario
from harness.sim import World
from harness.sim.portal_config import load_portal_configuration
from harness.sim.simulator import Simulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe_payloads"
STRIPE_FIXTURE = (FIXTURES /
                  "billing_portal.configuration_stripe-mock-fixture_openapi-2026-08-21.json")
BASIL = "2025-03-31.basil"


def world_with(config) -> tuple[World, object]:
    w = World(default_catalog(), BASIL, seed=2, portal=config)
    cust = w.create_customer("a@example.test", "A")
    return w, w.checkout(cust.id, "price_pro_monthly", quantity=2)


def standard(**changes) -> dict:
    data = json.loads(load_portal_configuration("standard").model_dump_json())
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split(".")
        for key in path:
            node = node[key]
        node[last] = value
    return data


def test_stripes_published_configuration_loads_and_its_disabled_features_refuse() -> None:
    config = load_portal_configuration(str(STRIPE_FIXTURE))
    assert config.id.startswith("bpc_") and config.schedules_downgrades()
    w, sub = world_with(config)
    with pytest.raises(ScenarioError, match="subscription_update is not enabled"):
        w.switch_plan(sub, "price_enterprise_monthly")
    with pytest.raises(ScenarioError, match="subscription_cancel is not enabled"):
        w.cancel_at_period_end(sub)
    with pytest.raises(ScenarioError, match="payment_method_update is not enabled"):
        w.update_payment_method(sub.customer)


def test_yaml_and_toml_give_the_same_configuration(tmp_path: Path) -> None:
    data = json.loads(STRIPE_FIXTURE.read_text())
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data))
    toml = ('id = "bpc_toml"\nobject = "billing_portal.configuration"\n'
            '[features.subscription_cancel]\nenabled = true\nmode = "immediately"\n')
    (tmp_path / "c.toml").write_text(toml)
    assert load_portal_configuration(str(tmp_path / "c.yaml")) == load_portal_configuration(
        str(STRIPE_FIXTURE))
    from_toml = load_portal_configuration("c.toml", base=tmp_path)
    assert from_toml.features.subscription_cancel.mode == "immediately"


def test_the_portal_default_proration_is_none() -> None:
    """Audit gap 5: a switch without a proration behaviour follows the configuration, whose
    default (Stripe's) is none: no invoice items, no invoice."""
    w, sub = world_with(load_portal_configuration("stripe_defaults"))
    mark = len(w.events)
    w.advance_to(w.now + 5 * 86400)
    w.switch_plan(sub, "price_enterprise_monthly")
    assert [e.type for e in w.events[mark:]] == ["customer.subscription.updated"]
    w2, sub2 = world_with(load_portal_configuration("standard"))
    w2.switch_plan(sub2, "price_enterprise_monthly")
    assert [e.type for e in w2.events[-3:]] == [
        "invoiceitem.created", "invoiceitem.created", "customer.subscription.updated"]


def test_the_configuration_decides_mode_reasons_quantity_and_products() -> None:
    w, sub = world_with(load_portal_configuration("standard"))
    with pytest.raises(ScenarioError, match="cancels at_period_end, not immediately"):
        w.cancel_now(sub)
    with pytest.raises(ScenarioError, match="not a cancellation reason it offers"):
        w.cancel_at_period_end(sub, feedback="the colour")
    w, sub = world_with(load_portal_configuration("stripe_defaults"))
    with pytest.raises(ScenarioError, match="does not include 'quantity'"):
        w.change_quantity(sub, 3)
    products = [{"product": "prod_pro", "prices": ["price_pro_monthly", "price_pro_annual"]}]
    w, sub = world_with(load_portal_configuration(standard(
        **{"features.subscription_update.products": products})))
    with pytest.raises(ScenarioError, match="price_enterprise_monthly is not offered"):
        w.switch_plan(sub, "price_enterprise_monthly")
    w.switch_plan(sub, "price_pro_annual")


def test_downgrades_scheduled_at_period_end_wait_for_the_renewal() -> None:
    conditions = [{"type": "decreasing_item_amount"}]
    w, sub = world_with(load_portal_configuration(standard(
        **{"features.subscription_update.schedule_at_period_end.conditions": conditions})))
    w.switch_plan(sub, "price_basic_monthly")  # scheduled: tests/unit/test_schedules.py
    assert sub.items[0].price == "price_pro_monthly" and sub.schedule is not None
    w.switch_plan(sub, "price_enterprise_monthly")  # an upgrade happens now
    assert sub.items[0].price == "price_enterprise_monthly" and sub.schedule is None


def test_customers_can_use_different_configurations_side_by_side() -> None:
    scenario = Scenario.model_validate({
        "name": "routed", "description": "two customer types, two portals",
        "customers": ["alice", {"name": "bob", "portal_configuration": "cancel_immediately"}],
        "portal_configuration": "standard",
        "steps": [{"checkout": {"customer": "alice"}}, {"checkout": {"customer": "bob"}},
                  {"cancel_at_period_end": {"customer": "alice"}},
                  {"cancel_now": {"customer": "bob"}}, {"checkpoint": "both_canceled"}]})
    (segment,) = Simulator(scenario, BASIL).run()
    statuses = sorted(s["status"] for state in segment.expected.values()
                      for s in state["subscriptions"].values())
    assert statuses == ["active", "canceled"]


@pytest.mark.parametrize(("content", "message"), [
    ("[1, 2]", "is a mapping"),
    ('{"object": "customer"}', "not 'billing_portal.configuration'"),
    ('{"features": {"subscription_cancel": {"mode": "sometimes"}}}',
     "features.subscription_cancel.mode"),
    ("{not json", "not valid JSON"),
])
def test_bad_configurations_are_refused_naming_the_file_and_field(
        tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_portal_configuration(str(path))
    assert str(path) in str(caught.value)


def test_an_unknown_builtin_name_lists_the_builtins() -> None:
    with pytest.raises(ConfigError, match="built in: cancel_immediately, promotion_codes, "
                                          "retention_coupon, schedule_downgrades, standard"):
        load_portal_configuration("fancy")
