"""invoice.upcoming: a preview of the renewal invoice, without an id, some days before it.

FIDELITY.md section 1 ("Renewal announced") cites the sources: the event's description in
Stripe's SDKs and docs, and the "Upcoming renewal events" setting.
"""

from __future__ import annotations

import json

import pytest
import stripe

from harness.render import render_event
from harness.scenario.catalog import default_catalog
from harness.scenario.files import get_scenario
from harness.sim import World
from harness.sim.simulator import Simulator
from harness.versions import DEFAULT_VERSIONS

DAY = 86400


def played(version: str, **kw):
    w = World(default_catalog(), version, seed=11, **kw)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")
    return w, sub


def of_type(w: World, type_: str, version: str) -> list[dict]:
    return [render_event(e, version, w.catalog) for e in w.events if e.type == type_]


@pytest.mark.parametrize("version", DEFAULT_VERSIONS)
def test_invoice_upcoming_previews_the_renewal_three_days_before_without_an_id(
        version: str) -> None:
    w, sub = played(version)
    end = sub.current_period_end
    w.advance_to(end - 3 * DAY - 1)
    assert of_type(w, "invoice.upcoming", version) == []
    w.advance_to(end + 2 * 3600)
    (event,) = of_type(w, "invoice.upcoming", version)
    assert event["created"] == end - 3 * DAY
    assert event["request"] == {"id": None, "idempotency_key": None}
    preview = event["data"]["object"]
    assert "id" not in preview and preview["object"] == "invoice"  # "will not have an ID"
    assert (preview["billing_reason"], preview["status"], preview["number"]) == (
        "upcoming", "draft", None)
    (line,) = preview["lines"]["data"]
    assert line["id"].startswith("il_tmp_") and line["invoice"] == preview.get("id")
    renewal = w.invoices[sub.latest_invoice]  # what Stripe then really bills
    assert preview["amount_due"] == renewal.amount_due == 2900
    assert (preview["period_start"], preview["period_end"]) == (
        renewal.period_start, renewal.period_end)
    assert (line["period"]["start"], line["period"]["end"]) == (
        renewal.lines[0].period_start, renewal.lines[0].period_end)
    assert line["description"] == renewal.lines[0].description == "1 × Pro (at $29.00 / month)"  # noqa: RUF001
    # the official package reads it as an Invoice without an id
    obj = stripe.Event.construct_from(json.loads(json.dumps(event)), "sk_test_x").data.object
    assert isinstance(obj, stripe.Invoice) and obj.to_dict().get("id") == preview.get("id")


def test_each_period_is_announced_once_and_pending_prorations_are_previewed() -> None:
    w, sub = played(DEFAULT_VERSIONS[-1])
    w.advance_to(w.now + 10 * DAY)
    w.switch_plan(sub, "price_enterprise_monthly", proration_behavior="create_prorations")
    w.advance_to(sub.current_period_end + 2 * 3600)
    w.advance_to(sub.current_period_end + 2 * 3600)
    first, second = of_type(w, "invoice.upcoming", DEFAULT_VERSIONS[-1])
    assert [line["parent"]["subscription_item_details"]["proration"]
            for line in first["data"]["object"]["lines"]["data"]] == [False, True, True]
    billed = [i for i in w.invoices.values() if i.billing_reason == "subscription_cycle"]
    assert [first["data"]["object"]["amount_due"], second["data"]["object"]["amount_due"]] == [
        i.amount_due for i in billed]
    assert second["created"] == billed[0].created + (billed[1].created - billed[0].created) \
        - 3 * DAY


@pytest.mark.parametrize("days", [7, 30])
def test_the_upcoming_renewal_days_setting_moves_the_notice(days: int) -> None:
    w, sub = played(DEFAULT_VERSIONS[-1], upcoming_renewal_days=days)
    end = sub.current_period_end
    w.advance_to(end)
    (event,) = of_type(w, "invoice.upcoming", DEFAULT_VERSIONS[-1])
    assert event["created"] == end - days * DAY


def test_no_notice_when_off_when_the_period_is_shorter_or_a_cancellation_comes_first() -> None:
    off, sub = played(DEFAULT_VERSIONS[-1], upcoming_renewal_days=None)
    off.advance_to(sub.current_period_end + DAY)
    canceling, sub = played(DEFAULT_VERSIONS[-1])
    canceling.cancel_at_period_end(sub)
    canceling.advance_to(sub.current_period_end + DAY)
    long_notice, sub = played(DEFAULT_VERSIONS[-1], upcoming_renewal_days=45)
    long_notice.advance_to(sub.current_period_end + DAY)  # a month is shorter than 45 days
    for w in (off, canceling, long_notice):
        assert [e for e in w.events if e.type == "invoice.upcoming"] == []


def test_scenarios_switch_the_setting_and_the_renewal_scenario_announces_each_renewal() -> None:
    scenario = get_scenario("renewal")
    types = [e.type for s in Simulator(scenario, DEFAULT_VERSIONS[-1]).run() for e in s.events]
    assert types.count("invoice.upcoming") == 2
    first = types.index("invoice.upcoming")
    assert types[first + 1:first + 3] == ["invoice.created", "customer.subscription.updated"]
    quiet = scenario.model_copy(update={"settings": scenario.settings.model_copy(
        update={"upcoming_renewal_days": "off"})})
    assert "invoice.upcoming" not in [
        e.type for s in Simulator(quiet, DEFAULT_VERSIONS[-1]).run() for e in s.events]


@pytest.mark.parametrize("version", DEFAULT_VERSIONS)
def test_the_id_choice_gives_an_upcoming_in_id_from_clover(version: str) -> None:
    w, sub = played(version, upcoming_invoice_id="upcoming_in_from_clover")
    w.advance_to(sub.current_period_end)
    (event,) = of_type(w, "invoice.upcoming", version)
    preview = event["data"]["object"]
    if version >= "2025-09-30":
        assert preview["id"].startswith("upcoming_in_")
        assert preview["lines"]["data"][0]["invoice"] == preview["id"]
    else:
        assert "id" not in preview
