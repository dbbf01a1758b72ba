"""Audit 12: a pause_collection is the app's API request (the portal has not offered it since
2024-04-10, Ref §0.5), while a status pause (endive, flexible) is the customer's portal action."""

from __future__ import annotations

import pytest

from harness.render import render_event
from harness.scenario.catalog import default_catalog
from harness.sim import World


@pytest.mark.parametrize("version", ["2024-06-20", "2025-09-30.clover", "2026-10-28.endive"])
def test_pause_collection_events_carry_the_apps_request_id(version: str) -> None:
    w = World(default_catalog(), version, seed=9, billing_mode="classic")
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")
    mark = len(w.events)
    w.pause(sub, mechanism="pause_collection")
    w.resume(sub)
    paused, resumed = (render_event(e, version, w.catalog) for e in w.events[mark:])
    for event in (paused, resumed):
        assert event["request"]["id"].startswith("req_")
        assert event["request"]["idempotency_key"]
    assert paused["request"]["id"] != resumed["request"]["id"]


def test_a_status_pause_is_the_customers_portal_action() -> None:
    w = World(default_catalog(), "2026-10-28.endive", seed=9, billing_mode="flexible")
    cust = w.create_customer("a@example.test", "A")
    sub = w.checkout(cust.id, "price_pro_monthly")
    mark = len(w.events)
    w.pause(sub, mechanism="status")
    requests = {(e.request_id, e.idempotency_key) for e in w.events[mark:]}
    ((request_id, key),) = requests
    assert request_id is None and key
