"""harness.display: tables and the timeline figure say the same thing as the checks, every time."""

from __future__ import annotations

import re

import pytest

import harness
from harness.display import CaseView, DeliveryTable, EventTable, StateTable, Table, Timeline

EXPECTED = {"cus_1": {"plan": "pro", "paid_invoices": ["in_1"], "subscriptions": {"sub_1": {
    "status": "active", "price_id": "price_pro_monthly", "current_period_end": 1769936400,
    "cancel_at_period_end": True, "paused": False, "collection_paused": False}}}}


@pytest.fixture(scope="module")
def retried() -> harness.CaseResult:
    runner = harness.Runner(harness.ReferenceTarget())
    case = harness.Case(harness.get_scenario("cancel_now"), "2025-03-31.basil", "retried", seed=2)
    return runner.run_case(case)


def test_state_table_marks_a_mismatch_and_skips_untracked_fields():
    actual = {"cus_1": {"plan": "pro", "paid_invoices": ["in_1", "in_1"], "subscriptions": {
        "sub_1": {"status": "active", "cancel_at_period_end": 0}}}}
    table = StateTable(EXPECTED, actual)
    text = str(table)
    assert table.mismatches == 2  # cancel_at_period_end, and the invoice recorded twice
    assert re.search(r"cancel_at_period_end\s+true\s+false\s+MISMATCH", text)
    assert re.search(r"price_id\s+price_pro_monthly\s+not tracked\s*$", text, re.M)
    assert "2026-02-01 09:00" in text  # times read as dates, not epoch seconds
    assert "✗ mismatch" in table._repr_html_()


def test_state_table_shows_one_side_without_comparing():
    text = str(StateTable(EXPECTED))
    assert "MISMATCH" not in text and "Stripe (expected)" in text and "app database" not in text


def test_event_table_shows_what_an_update_changed():
    sim = harness.Simulator(harness.get_scenario("cancel_at_period_end"), "2025-09-30.clover")
    text = str(EventTable.from_simulator(sim))
    assert "until checkpoint 2: cancellation_pending" in text
    assert "cancel_at: null → 2026-02-01 09:00" in text
    assert "cancel_at_period_end: false" not in text  # flexible billing leaves it alone


def test_timeline_marks_failed_attempts_in_red(retried):
    svg = Timeline(retried).svg()
    failed = [a for a in retried.timeline if not a.ok]
    assert failed, "the retried mode always fails some first attempts"
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("#cf222e") >= len(failed)
    for cp in retried.checkpoints:
        assert f"{cp.index + 1}: {cp.name}" in svg
    assert Timeline(retried)._repr_svg_() == svg


def test_views_are_deterministic_and_free_of_addresses(retried):
    again = harness.Runner(harness.ReferenceTarget()).run_case(harness.Case(
        harness.get_scenario("cancel_now"), "2025-03-31.basil", "retried", seed=2))
    for view in (CaseView, DeliveryTable, Timeline):
        first, second = view(retried), view(again)
        assert str(first) == str(second)
        assert " at 0x" not in repr(first) and " at 0x" not in str(first)
    assert CaseView(retried)._repr_html_() == CaseView(again)._repr_html_()
    assert Timeline(retried).svg() == Timeline(again).svg()


def test_case_result_displays_itself(retried):
    assert str(retried).startswith(f"{retried.label}: ok")
    html = retried._repr_html_()
    assert "<table" in html and retried.replay in html


def test_table_of_rows():
    table = Table([{"a": 1, "b": True}, {"a": None, "b": "x"}], title="t")
    assert str(table).splitlines() == ["t", "a  b", "-  ----", "1  true", "   x"]
    assert repr(table) == "<Table 2 rows: a, b>"
