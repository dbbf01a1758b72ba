"""Each version difference the simulator models shows in the rendered objects and events.

The sim is version-free; the renderer shapes one snapshot per API version. These tests render the
same snapshot in versions on either side of each change (FIDELITY.md, "Field movements").
"""

from __future__ import annotations

import pytest

from harness.render import previous_attributes, render, render_event, stripe_order
from harness.scenario.catalog import default_catalog
from harness.scenario.files import list_scenarios
from harness.sim import World
from harness.sim.simulator import Simulator
from harness.versions import DEFAULT_VERSIONS, KNOWN_VERSIONS, Era, default_billing_mode, era

DAY = 86400
PRE_BASIL = ["2024-06-20", "2024-09-30.acacia", "2025-02-24.acacia"]
BASIL_ON = ["2025-03-31.basil", "2025-08-27.basil", "2025-09-30.clover", "2026-03-25.dahlia",
            "2026-10-28.endive"]
EVENT_KEYS = ["id", "object", "api_version", "created", "data", "livemode", "pending_webhooks",
              "request", "type"]


def _world(version: str = "2025-03-31.basil", mode: str | None = None) -> tuple[World, object]:
    w = World(default_catalog(), version, seed=3, billing_mode=mode)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")
    return w, sub


def _last(w: World, type_: str):
    return next(e for e in reversed(w.events) if e.type == type_)


# -- subscription period --------------------------------------------------------------------------


@pytest.mark.parametrize("version", PRE_BASIL)
def test_pre_basil_subscriptions_carry_the_period_at_top_level(version: str) -> None:
    w, sub = _world()
    out = render(sub, version, w.catalog)
    assert out["current_period_start"] == sub.items[0].current_period_start
    assert out["current_period_end"] == sub.items[0].current_period_end
    assert out["discount"] is None
    # Item periods are additive, so they show in pre-basil renderings too (captured payload).
    assert out["items"]["data"][0]["current_period_end"] == sub.current_period_end


@pytest.mark.parametrize("version", BASIL_ON)
def test_basil_and_later_subscriptions_carry_the_period_on_items_only(version: str) -> None:
    w, sub = _world()
    out = render(sub, version, w.catalog)
    assert "current_period_start" not in out
    assert "current_period_end" not in out
    assert "discount" not in out
    item = out["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (
        sub.items[0].current_period_start, sub.items[0].current_period_end)


@pytest.mark.parametrize(("version", "present"), [
    ("2025-02-24.acacia", True), ("2025-03-31.basil", False), ("2025-04-30.basil", False),
    ("2025-05-28.basil", True), ("2026-10-28.endive", True)])
def test_billing_thresholds_left_in_basil_and_came_back_in_2025_05_28(version: str,
                                                                      present: bool) -> None:
    w, sub = _world()
    out = render(sub, version, w.catalog)
    assert ("billing_thresholds" in out) is present
    assert ("billing_thresholds" in out["items"]["data"][0]) is present


@pytest.mark.parametrize("version", ["2024-06-20", "2025-03-31.basil"])
def test_aggregate_usage_shows_on_plans_and_prices_only_before_basil(version: str) -> None:
    w, sub = _world()
    item = render(sub, version, w.catalog)["items"]["data"][0]
    before_basil = era(version) < Era.BASIL
    assert ("aggregate_usage" in item["plan"]) is before_basil
    assert ("aggregate_usage" in item["price"]["recurring"]) is before_basil


# -- invoices and lines -------------------------------------------------------------------------


@pytest.mark.parametrize("version", PRE_BASIL)
def test_pre_basil_invoices_link_the_subscription_and_payment_directly(version: str) -> None:
    w, sub = _world()
    inv = w.invoices[sub.latest_invoice]
    out = render(inv, version, w.catalog)
    assert out["subscription"] == sub.id
    assert out["paid"] is True
    assert out["payment_intent"].startswith("pi_") and out["charge"].startswith("ch_")
    assert "parent" not in out
    line = out["lines"]["data"][0]
    assert line["price"]["id"] == "price_pro_monthly"
    assert line["proration"] is False and line["type"] == "subscription"
    assert "pricing" not in line and "parent" not in line


@pytest.mark.parametrize("version", BASIL_ON)
def test_basil_invoices_link_the_subscription_through_parent(version: str) -> None:
    w, sub = _world()
    out = render(w.invoices[sub.latest_invoice], version, w.catalog)
    assert out["parent"]["type"] == "subscription_details"
    assert out["parent"]["subscription_details"]["subscription"] == sub.id
    for gone in ("subscription", "paid", "payment_intent", "charge", "discount", "tax",
                 "total_tax_amounts", "subscription_details"):
        assert gone not in out
    assert out["status"] == "paid"
    line = out["lines"]["data"][0]
    assert line["pricing"]["price_details"]["price"] == "price_pro_monthly"
    assert line["parent"]["subscription_item_details"]["proration"] is False
    for gone in ("price", "plan", "proration", "type", "subscription_item", "tax_amounts"):
        assert gone not in line


@pytest.mark.parametrize("version", ["2024-06-20", "2025-03-31.basil"])
def test_proration_invoice_items_move_price_under_pricing_from_basil(version: str) -> None:
    w, sub = _world()
    w.advance_to(w.now + 10 * DAY)
    w.switch_plan(sub, "price_enterprise_monthly", proration_behavior="create_prorations")
    out = render(next(iter(w.invoice_items.values())), version, w.catalog)
    if era(version) >= Era.BASIL:
        assert out["parent"]["subscription_details"]["subscription"] == sub.id
        assert out["pricing"]["price_details"]["price"] == "price_pro_monthly"
        assert "price" not in out and "subscription" not in out
    else:
        assert out["subscription"] == sub.id and out["price"]["id"] == "price_pro_monthly"
        assert "parent" not in out and "pricing" not in out


# -- cancellation by billing mode ------------------------------------------------------------------


@pytest.mark.parametrize("version", DEFAULT_VERSIONS)
@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_cancel_at_period_end_shape_follows_the_billing_mode(version: str, mode: str) -> None:
    w, sub = _world(version, mode)
    w.cancel_at_period_end(sub)
    out = render(sub, version, w.catalog)
    assert out["billing_mode"]["type"] == mode
    assert out["cancel_at"] == sub.current_period_end
    assert out["cancel_at_period_end"] is (mode == "classic")


@pytest.mark.parametrize("version", KNOWN_VERSIONS)
def test_flexible_billing_mode_is_the_default_from_clover(version: str) -> None:
    expected = "flexible" if version >= "2025-09-30" else "classic"
    assert default_billing_mode(version) == expected
    assert World(default_catalog(), version).billing_mode == expected


@pytest.mark.parametrize("mode", ["classic", "flexible"])
def test_billing_mode_updated_at_shows_only_for_flexible(mode: str) -> None:
    w, sub = _world("2025-08-27.basil", mode)
    billing_mode = render(sub, "2025-08-27.basil", w.catalog)["billing_mode"]
    if mode == "flexible":  # captured: flexible subs carry updated_at
        assert billing_mode == {"flexible": {"proration_discounts": "included"},
                                "type": "flexible", "updated_at": sub.created}
    else:  # captured 2025-08-27 classic renewal: no updated_at
        assert billing_mode == {"flexible": None, "type": "classic"}


# -- pause ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "shown"), [
    ("2026-08-26.dahlia", False), ("2026-09-30.endive", True), ("2026-10-28.endive", True)])
def test_status_details_paused_shows_only_from_endive(version: str, shown: bool) -> None:
    w, sub = _world("2026-10-28.endive", "flexible")
    w.pause(sub, mechanism="status")
    out = render(sub, version, w.catalog)
    assert out["status"] == "paused"
    if shown:
        assert out["status_details"]["paused"]["subscription"]["type"] == "pause_requested"
    else:
        assert "status_details" not in out


# -- checkout and renewal events ------------------------------------------------------------------


@pytest.mark.parametrize(("version", "status"), [
    ("2024-06-20", "incomplete"), ("2025-02-24.acacia", "incomplete"),
    ("2025-03-31.basil", "active"), ("2026-10-28.endive", "active")])
def test_checkout_creates_the_subscription_incomplete_before_basil_active_from(
        version: str, status: str) -> None:
    w, _ = _world(version)
    created = render_event(_last(w, "customer.subscription.created"), version, w.catalog)
    assert created["data"]["object"]["status"] == status
    updates = [e for e in w.events if e.type == "customer.subscription.updated"]
    assert len(updates) == (1 if status == "incomplete" else 0)


@pytest.mark.parametrize("version", BASIL_ON)
def test_basil_renewal_previous_attributes_are_the_items_and_latest_invoice(version: str) -> None:
    w, sub = _world(version)
    old_invoice = sub.latest_invoice
    old_end = sub.current_period_end
    w.advance_to(sub.current_period_end)
    event = render_event(_last(w, "customer.subscription.updated"), version, w.catalog)
    prev = event["data"]["previous_attributes"]
    assert list(prev) == ["items", "latest_invoice"]
    assert list(prev["items"]) == ["data"]  # the list's other keys did not change
    assert prev["items"]["data"][0]["current_period_end"] == old_end
    assert prev["latest_invoice"] == old_invoice


@pytest.mark.parametrize("version", PRE_BASIL)
def test_pre_basil_renewal_previous_attributes_include_the_top_level_period(version: str) -> None:
    w, sub = _world(version)
    start, end = sub.current_period_start, sub.current_period_end
    w.advance_to(end)
    event = render_event(_last(w, "customer.subscription.updated"), version, w.catalog)
    prev = event["data"]["previous_attributes"]
    assert prev["current_period_start"] == start
    assert prev["current_period_end"] == end
    assert "latest_invoice" in prev
    # Item periods are additive in old renderings, so the items array changed too.
    assert set(prev) == {"current_period_end", "current_period_start", "items", "latest_invoice"}


@pytest.mark.parametrize("version", ["2024-06-20", "2025-08-27.basil", "2026-10-28.endive"])
def test_event_keys_come_in_stripes_order(version: str) -> None:
    w, sub = _world(version)
    w.cancel_at_period_end(sub)
    event = render_event(w.events[-1], version, w.catalog)
    assert list(event) == EVENT_KEYS
    assert list(event["data"]) == ["object", "previous_attributes"]
    assert event["api_version"] == version
    assert (event["object"], event["livemode"], event["pending_webhooks"]) == ("event", False, 1)


def test_objects_start_with_id_and_object_then_sort_their_keys() -> None:
    w, sub = _world()
    out = render(sub, "2026-10-28.endive", w.catalog)
    keys = list(out)
    assert keys[:2] == ["id", "object"] and keys[2:] == sorted(keys[2:])
    item_keys = list(out["items"]["data"][0])
    assert item_keys[:2] == ["id", "object"] and item_keys[2:] == sorted(item_keys[2:])
    assert list(out["items"]) == ["object", "data", "has_more", "total_count", "url"]
    assert list(stripe_order({"b": 1, "object": "x", "a": {"z": 1, "id": 2}, "id": 0})) == [
        "id", "object", "a", "b"]


# -- previous_attributes rules ------------------------------------------------------------------


def test_previous_attributes_keep_only_changed_keys_of_a_nested_hash() -> None:
    before = {"a": 1, "h": {"x": 1, "y": 2}}
    after = {"a": 1, "h": {"x": 1, "y": 3}}
    assert previous_attributes(before, after) == {"h": {"y": 2}}


def test_previous_attributes_show_a_whole_list_object_as_data() -> None:
    old = {"object": "list", "data": [{"id": "si_1", "n": 1}], "has_more": False}
    new = {"object": "list", "data": [{"id": "si_1", "n": 2}], "has_more": False}
    assert previous_attributes({"items": old}, {"items": new}) == {
        "items": {"data": [{"id": "si_1", "n": 1}]}}


def test_previous_attributes_show_a_replaced_expanded_object_whole() -> None:
    old = {"id": "price_a", "object": "plan", "amount": 1}
    new = {"id": "price_b", "object": "plan", "amount": 1}
    assert previous_attributes({"plan": old}, {"plan": new}) == {"plan": old}


def test_previous_attributes_show_null_for_a_hash_that_appeared() -> None:
    assert previous_attributes({"p": None}, {"p": {"behavior": "void"}}) == {"p": None}


def test_previous_attributes_never_name_a_key_the_rendered_object_lacks() -> None:
    catalog = default_catalog()
    for scenario in list_scenarios():
        for version in DEFAULT_VERSIONS:
            sim = Simulator(scenario, version, catalog, seed=1)
            for segment in sim.segments():
                for e in segment.events:
                    data = render_event(e, version, catalog)["data"]
                    prev = data.get("previous_attributes")
                    if prev is None:
                        assert not e.type.endswith(".updated"), e.type
                        continue
                    assert prev, f"{scenario.name} {version} {e.type}: nothing changed"
                    assert set(prev) <= set(data["object"]), (scenario.name, version, e.type)


def test_every_webhook_endpoint_version_the_sdk_lists_is_known_and_dashboard_renders_pre_basil():
    """Audit 12: the SDK's WebhookEndpoint api_version list (from 2024-06-20) is exactly ours,
    `2025-03-01.dashboard` included; undocumented, it renders as its date places it."""
    from typing import get_args

    from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams

    listed = [v for arg in get_args(WebhookEndpointCreateParams.__annotations__["api_version"])
              for v in _literals(arg) if v >= "2024-06-20"]
    assert tuple(listed) == KNOWN_VERSIONS
    assert era("2025-03-01.dashboard") is Era.ACACIA
    w, sub = _world("2025-03-01.dashboard", "classic")
    assert "current_period_end" in render(sub, "2025-03-01.dashboard", w.catalog)


def _literals(tp) -> list[str]:
    from typing import Literal, get_args, get_origin

    if get_origin(tp) is Literal:
        return [a for a in get_args(tp) if isinstance(a, str)]
    return [v for a in get_args(tp) for v in _literals(a)]
