"""Discounts in the World: promotion codes and retention coupons, the invoices they discount,
their end, their events and their shapes per API version."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError, ScenarioError
from harness.render import render, render_event
from harness.scenario.catalog import Catalog, CatalogSpec, default_catalog, load_catalog
from harness.scenario.discounts import CouponSpec, PromotionCodeSpec
from harness.scenario.files import get_scenario, load_scenario
from harness.sim import World
from harness.sim.portal_config import load_portal_configuration
from harness.sim.simulator import Simulator


def _world(version: str = "2025-03-31.basil", portal: str | None = None) -> World:
    world = World(default_catalog(), version,
                  portal=load_portal_configuration(portal) if portal else None)
    world.add_coupon(CouponSpec(id="ONCE25", percent_off=25, duration="once"))
    world.add_coupon(CouponSpec(id="TWOMONTHS", amount_off=1000, duration="repeating",
                                duration_in_months=2))
    world.add_coupon(CouponSpec(id="STAY50", percent_off=50, duration="forever"))
    world.add_promotion_code(PromotionCodeSpec(code="WELCOME", coupon="ONCE25"))
    world.add_promotion_code(PromotionCodeSpec(code="TENOFF", coupon="TWOMONTHS",
                                               max_redemptions=1))
    return world


def _subscribed(world: World):
    cust = world.create_customer("a@example.test", "A")
    return world.checkout(cust.id, "price_pro_monthly")


def _renew(world: World, sub) -> object:
    world.advance_to(sub.current_period_end + 3700)
    return world.invoices[sub.latest_invoice]


def test_a_promotion_code_sends_the_discount_then_the_subscription_update() -> None:
    world = _world(portal="promotion_codes")
    sub = _subscribed(world)
    since = len(world.events)
    world.apply_promotion_code(sub, "welcome")  # codes match regardless of case
    assert [e.type for e in world.events[since:]] == ["customer.discount.created",
                                                      "customer.subscription.updated"]
    assert world.events[-1].request_id is None  # the customer acted in the portal
    assert world.expected_state(sub.customer)["subscriptions"][sub.id]["coupon"] == "ONCE25"


def test_a_once_coupon_discounts_one_renewal_and_then_ends() -> None:
    world = _world()
    sub = _subscribed(world)
    world.apply_promotion_code(sub, "WELCOME")
    first = _renew(world, sub)
    assert (first.subtotal, first.total, first.amount_paid) == (2900, 2175, 2175)
    types = [e.type for e in world.events if e.created == first.created]
    assert types == ["invoice.created", "customer.discount.deleted",
                     "customer.subscription.updated"]
    second = _renew(world, sub)
    assert second.total == 2900 and sub.discount is None


def test_a_repeating_coupon_ends_at_the_first_renewal_after_its_months() -> None:
    world = _world()
    sub = _subscribed(world)
    world.advance_to(world.now + 10 * 86400)
    world.apply_promotion_code(sub, "TENOFF")
    totals = [_renew(world, sub).total for _ in range(3)]
    assert totals == [1900, 1900, 2900]
    with pytest.raises(ScenarioError, match="redeemed its 1 time"):
        world.apply_promotion_code(sub, "TENOFF")


def test_an_accepted_retention_offer_keeps_the_subscription_and_cancels_nothing() -> None:
    world = _world(portal="retention_coupon")
    sub = _subscribed(world)
    since = len(world.events)
    world.accept_retention_offer(sub)  # the configuration's coupon: STAY50
    assert [e.type for e in world.events[since:]] == ["customer.discount.created",
                                                      "customer.subscription.updated"]
    assert sub.status == "active" and not sub.cancellation_pending
    assert sub.cancellation_reason is None
    assert _renew(world, sub).total == 1450


@pytest.mark.parametrize(("portal", "verb", "message"), [
    ("stripe_defaults", "promo", "does not include 'promotion_code'"),
    ("standard", "retention", "no retention coupon"),
])
def test_the_portal_configuration_decides_what_is_offered(portal, verb, message) -> None:
    world = _world(portal=portal)
    sub = _subscribed(world)
    with pytest.raises(ScenarioError, match=message):
        if verb == "promo":
            world.apply_promotion_code(sub, "WELCOME")
        else:
            world.accept_retention_offer(sub)


def test_the_discount_fields_follow_the_api_version() -> None:
    world = _world("2024-06-20")
    sub = _subscribed(world)
    world.apply_promotion_code(sub, "WELCOME")
    catalog = world.catalog
    old = render(sub, "2024-06-20", catalog)
    assert old["discount"]["coupon"]["id"] == "ONCE25" and old["discounts"] == [
        old["discount"]["id"]]
    basil = render(sub, "2025-03-31.basil", catalog)
    assert "discount" not in basil and basil["discounts"] == [sub.discount.id]
    created = next(e for e in world.events if e.type == "customer.discount.created")
    clover = render_event(created, "2025-09-30.clover", catalog)["data"]["object"]
    assert clover["source"] == {"coupon": "ONCE25", "type": "coupon"}
    assert "coupon" not in clover
    invoice = _renew(world, sub)
    old_inv = render(invoice, "2024-06-20", catalog)
    assert old_inv["discount"]["id"] == sub_discount_id(world)
    new_inv = render(invoice, "2026-10-28.endive", catalog)
    assert "discount" not in new_inv and new_inv["total_discount_amounts"] == [
        {"amount": 725, "discount": new_inv["discounts"][0]}]


def sub_discount_id(world: World) -> str:
    return next(iter(world.discounts))


def test_catalog_coupons_are_checked_and_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("plans:\n  - name: basic\n    prices: [{id: price_b, unit_amount: 900}]\n"
                   "coupons:\n  - {id: X, percent_off: 10, amount_off: 100}\n")
    with pytest.raises(ConfigError, match=r"catalog.yaml: invalid catalog:\n  coupons.0: give "
                                          r"exactly one of percent_off or amount_off"):
        load_catalog(bad)
    bad.write_text("plans:\n  - name: basic\n    prices: [{id: price_b, unit_amount: 900}]\n"
                   "promotion_codes:\n  - {code: HI, coupon: NOPE}\n")
    with pytest.raises(ConfigError, match=r"promotion_codes\.0\.coupon: no coupon 'NOPE'"):
        load_catalog(bad)


def test_catalog_coupons_reach_every_world() -> None:
    spec = CatalogSpec.model_validate({
        "plans": [{"name": "basic", "prices": [{"id": "price_b", "unit_amount": 900}]}],
        "coupons": [{"id": "C", "percent_off": 5, "duration": "forever"}],
        "promotion_codes": [{"code": "FIVE", "coupon": "C"}]})
    world = World(Catalog.from_spec(spec), "2025-03-31.basil")
    assert world.promotion_code_by_code("five").coupon is world.coupons["C"]


def test_a_scenario_code_for_an_unknown_coupon_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "promo.yaml"
    path.write_text("name: promo\ndescription: d\ncustomers: [alice]\n"
                    "promotion_codes: [{code: HI, coupon: NOPE}]\n"
                    "steps:\n  - checkout: {customer: alice}\n"
                    "  - apply_promotion_code: {customer: alice, code: HI}\n"
                    "  - checkpoint: done\n")
    scenario = load_scenario(path)  # the coupon may come from the catalog
    with pytest.raises(ScenarioError, match=r"promo.yaml: promotion code 'HI': no such coupon"):
        Simulator(scenario, "2025-03-31.basil")


@pytest.mark.parametrize("name", ["promotion_code_applied", "retention_coupon_accepted"])
def test_the_discount_scenarios_expect_the_coupon_while_it_lasts(name: str) -> None:
    sim = Simulator(get_scenario(name), "2025-09-30.clover")
    coupons = [next(iter(seg.expected.values()))["subscriptions"] for seg in sim.segments()]
    seen = [next(iter(subs.values()))["coupon"] for subs in coupons]
    assert seen[0] is None and seen[1] is not None and seen[-1] is None


def test_a_customer_discount_bills_every_subscription_and_a_once_coupon_ends_after_one() -> None:
    world = _world()
    sub = _subscribed(world)
    cust = world.customer(sub.customer)
    world.discount_customer(cust, world.coupons["ONCE25"])
    first = _renew(world, sub)
    assert first.total == 2175 and cust.discount is None
    types = [e.type for e in world.events if e.created == first.created]
    assert types == ["invoice.created", "customer.discount.deleted", "customer.updated",
                     "customer.subscription.updated"]
    assert _renew(world, sub).total == 2900
