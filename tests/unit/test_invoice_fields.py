"""Invoice field details (FIDELITY.md audit gap 11): line descriptions as Stripe writes them,
`credited_items` of credit prorations, and the periods of subscription invoices, compared with
the captured basil invoice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.render import render, render_event
from harness.scenario.catalog import Catalog, CatalogSpec, default_catalog
from harness.sim import World
from harness.sim.lines import line_description

CAPTURED = (Path(__file__).parents[1] / "fixtures" / "stripe_payloads"
            / "event_invoice.payment_succeeded_subscription_create_2025-08-27.basil"
              "_captured-livemode_PII-redacted.json")
DAY = 86400


def test_line_descriptions_follow_the_captured_form_with_the_currencys_symbol() -> None:
    captured = json.loads(CAPTURED.read_text())["data"]["object"]["lines"]["data"][0]
    # "1 × REDACTED (a R$ 29.90 / month)": Portuguese; English says "at"  # noqa: RUF003
    shape = re.compile(r"^(\d+) × (.+) \((?:a|at) (\S+ ?[\d.]+) / (\w+)\)$")  # noqa: RUF001
    assert shape.match(captured["description"])
    catalog = Catalog.from_spec(CatalogSpec.model_validate({"currency": "brl", "plans": [
        {"name": "basic", "prices": [{"id": "p_month", "unit_amount": 2990}]}]}))
    price = catalog.price("p_month")
    assert line_description(1, price, "Basic") == "1 × Basic (at R$29.90 / month)"  # noqa: RUF001
    eur = Catalog.from_spec(CatalogSpec.model_validate({"currency": "eur", "plans": [
        {"name": "team", "prices": [{"id": "p_q", "unit_amount": 3000, "interval_count": 3}]}]}))
    assert line_description(5, eur.price("p_q"), "Team") == (
        "5 × Team (at €30.00 / every 3 months)")  # noqa: RUF001
    assert shape.match(line_description(2, default_catalog().price("price_pro_monthly"), "Pro"))


def downgraded(version: str) -> tuple[World, object]:
    w = World(default_catalog(), version, seed=2, upcoming_renewal_days=None)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_enterprise_monthly")
    w.advance_to(w.now + 10 * DAY)
    w.switch_plan(sub, "price_basic_monthly", proration_behavior="create_prorations")
    return w, sub


@pytest.mark.parametrize("version", ["2024-06-20", "2025-03-31.basil", "2026-10-28.endive"])
def test_a_credit_proration_names_the_line_that_billed_the_period(version: str) -> None:
    w, sub = downgraded(version)
    first = next(iter(w.invoices.values()))
    credit, debit = [render(ii, version, w.catalog) for ii in w.invoice_items.values()]
    w.advance_to(sub.current_period_end + 2 * 3600)
    renewal = render(w.invoices[sub.latest_invoice], version, w.catalog)
    lines = {line["description"].split(" after ")[0]: line for line in renewal["lines"]["data"]}
    credit_line = lines["Unused time on Enterprise"]
    debit_line = lines["Remaining time on Basic"]
    details = (credit_line["parent"]["subscription_item_details"] if "parent" in credit_line
               else credit_line)
    assert details["proration_details"]["credited_items"] == {
        "invoice": first.id, "invoice_line_items": [first.lines[0].id]}
    other = debit_line["parent"]["subscription_item_details"] if "parent" in debit_line \
        else debit_line
    assert other["proration_details"]["credited_items"] is None
    if "proration_details" in credit:  # invoice items carry it from 2025-09-30.clover
        assert credit["proration_details"]["credited_items"] == {
            "invoice_item": None, "type": "invoice_line_items",
            "invoice_line_item_details": {"invoice": first.id,
                                          "invoice_line_items": [first.lines[0].id]}}
        assert debit["proration_details"]["credited_items"] is None


def test_a_credit_for_a_debit_still_pending_names_that_invoice_item() -> None:
    w, sub = downgraded("2026-10-28.endive")
    pending_debit = list(w.invoice_items.values())[1]
    w.advance_to(w.now + DAY)
    w.switch_plan(sub, "price_pro_monthly", proration_behavior="create_prorations")
    second_credit = render(list(w.invoice_items.values())[2], "2026-10-28.endive", w.catalog)
    assert second_credit["amount"] < 0
    assert second_credit["proration_details"]["credited_items"] == {
        "invoice_item": pending_debit.id, "invoice_line_item_details": None,
        "type": "invoice_item"}


def test_subscription_invoices_carry_the_periods_stripe_shows() -> None:
    w = World(default_catalog(), "2025-03-31.basil", seed=2, upcoming_renewal_days=None)
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")
    first = render_event(w.events[-2], "2025-03-31.basil", w.catalog)["data"]["object"]
    captured = json.loads(CAPTURED.read_text())["data"]["object"]
    # a first invoice: period_start == period_end == created, no webhooks delivered yet
    for invoice in (captured, first):
        assert invoice["period_start"] == invoice["period_end"] == invoice["created"]
        assert invoice["webhooks_delivered_at"] is None
    started, ended = sub.current_period_start, sub.current_period_end
    w.advance_to(ended + 2 * 3600)
    renewal = render(w.invoices[sub.latest_invoice], "2025-03-31.basil", w.catalog)
    # a renewal invoice: the period that ended; its line bills the one that starts
    assert (renewal["period_start"], renewal["period_end"]) == (started, ended)
    assert renewal["lines"]["data"][0]["period"]["start"] == ended
    assert renewal["webhooks_delivered_at"] == renewal["created"]
