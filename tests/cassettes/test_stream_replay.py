"""Event-stream cassettes: record a scenario, replay it at an app, in any delivery plan.

A recorded stream carries its checkpoints and expected state; a `stripe listen` capture carries
neither, so its replay checks that every event is accepted, none is answered 5xx and a second
delivery of each changes nothing. Either way the app's re-fetches are answered from the stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import stripe

from harness.cassettes.replay import record_stream, replay_stream
from harness.cassettes.snapshots import SnapshotStore, stream_customers
from harness.cassettes.streams import EventStream, load_stream, parse_stream
from harness.cli import main
from harness.targets.inprocess import ReferenceTarget

VERSION = "2025-03-31.basil"


@pytest.fixture(scope="module")
def upgrade() -> EventStream:
    return record_stream("upgrade", VERSION)


def print_json(stream: EventStream) -> str:
    """What `stripe listen --print-json > FILE` writes: pretty events, one after another."""
    return "\n\n".join(json.dumps(e, indent=2) for e in stream.events) + "\n"


def format_json(stream: EventStream) -> str:
    """What `stripe listen --format JSON > FILE` writes: one compact event per line."""
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in stream.events)


def outcome(report: Any) -> list[tuple[str, bool, list[str], list[str]]]:
    return [(r.delivery, r.ok, [a.line() for a in r.timeline], [v.check for v in r.violations])
            for r in report.results]


@pytest.mark.parametrize(("scenario", "delivery"), [
    ("upgrade", "in_order"), ("pause_resume", "shuffled"), ("downgrade", "duplicated"),
    ("payment_failed_recovered", "retried"), ("two_subscriptions", "delayed"),
    ("checkout", "chaos"),
])
def test_a_recorded_scenario_replays_clean_at_the_reference_app(scenario, delivery):
    stream = record_stream(scenario, VERSION, seed=3)
    report = replay_stream(stream, deliveries=[delivery], seed=3)

    assert report.ok, "\n".join(r.failure_text() for r in report.failures)
    result = report.results[0]
    assert [cp.name for cp in result.checkpoints] == [cp.name for cp in stream.checkpoints]
    assert all(cp.actual for cp in result.checkpoints)


def test_record_then_replay_on_the_command_line(tmp_path, capsys):
    cassette = tmp_path / "some.events.json"

    assert main(["record", "upgrade", "-o", str(cassette)]) == 0
    assert "upgrade (2026-10-28.endive, flexible billing, seed 0): 33 events, 3 checkpoints" in (
        capsys.readouterr().out)
    assert main(["replay", str(cassette), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["cases"]) == (True, 5)
    assert report["results"][0]["replay"] == (
        f"portal-harness replay {cassette} --delivery in_order --seed 0")


def test_record_refuses_to_overwrite_a_different_file_without_force(tmp_path, capsys):
    cassette = tmp_path / "some.events.json"
    cassette.write_text("{}\n")

    assert main(["record", "upgrade", "-o", str(cassette)]) == 2
    assert f"{cassette}: already exists" in capsys.readouterr().err
    assert cassette.read_text() == "{}\n"
    assert main(["record", "upgrade", "-o", str(cassette), "--force"]) == 0
    assert load_stream(cassette).scenario == "upgrade"


def test_both_stripe_listen_forms_replay_the_same_way(upgrade, tmp_path, capsys):
    printed = tmp_path / "listen.txt"
    printed.write_text(print_json(upgrade))
    lines = tmp_path / "listen.jsonl"
    lines.write_text(format_json(upgrade))

    from_print, from_lines = load_stream(printed), load_stream(lines)
    assert (from_print.source, from_lines.source) == ("stripe-listen", "stripe-listen")
    assert from_print.events == from_lines.events == upgrade.events
    assert from_print.checkpoints == from_lines.checkpoints == []
    first, second = replay_stream(from_print), replay_stream(from_lines)
    assert outcome(first) == outcome(second)
    assert first.ok, "\n".join(r.failure_text() for r in first.failures)
    unchecked = upgrade.model_copy(update={"checkpoints": []})
    assert outcome(replay_stream(unchecked)) == outcome(first)
    for path in (printed, lines):
        assert main(["replay", str(path), "--delivery", "shuffled"]) == 0
    assert capsys.readouterr().out.count("1 passed, 0 failed") == 2


def test_a_flawed_app_fails_the_replay_of_a_recording_and_of_a_capture(upgrade):
    target = ReferenceTarget(mutant="records_paid_invoice_twice")
    try:
        recorded = replay_stream(upgrade, target, deliveries=["duplicated"])
        captured = replay_stream(parse_stream(format_json(upgrade)), target,
                                 deliveries=["in_order"])
    finally:
        target.close()

    assert not recorded.ok
    assert "invoices.recorded_once" in {v.check for v in recorded.results[0].violations}
    assert not captured.ok
    assert {v.check for v in captured.results[0].violations} >= {
        "delivery.duplicate_changed_state", "invoices.recorded_once"}
    assert "Replay: portal-harness replay" in captured.results[0].failure_text()


def test_the_mutant_fails_on_the_command_line_with_exit_code_1(upgrade, tmp_path):
    cassette = upgrade.dump(tmp_path / "upgrade.events.json")
    assert main(["replay", str(cassette), "--mutant", "records_paid_invoice_twice",
                 "--delivery", "duplicated"]) == 1


def test_bad_input_exits_2_naming_the_file_and_the_item(upgrade, tmp_path, capsys):
    broken = [*upgrade.events[:1], {**upgrade.events[1], "created": "yesterday"}]
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in broken))

    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: item 2 (line 2)" in err and "field 'created'" in err
    assert main(["replay", str(path), "--format", "cassette"]) == 2


class SigningRecorder:
    """A target that accepts everything and keeps each delivery's headers."""

    name = "recorder"

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, Mapping[str, str]]] = []

    def start_case(self, ctx: Any) -> None:
        pass

    def seed(self, user_id: str, email: str, customer_id: str | None) -> None:
        pass

    def deliver(self, body: bytes, headers: Mapping[str, str]) -> int:
        self.deliveries.append((body, dict(headers)))
        return 200 if len(self.deliveries) % 3 else 503  # every third attempt fails once

    def state(self, customer_id: str) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def test_every_attempt_is_signed_with_the_targets_secret_at_delivery_time(upgrade):
    target = SigningRecorder()
    secret = "whsec_replaytarget0000000000000000000"
    report = replay_stream(upgrade, target, deliveries=["shuffled"], webhook_secret=secret)

    assert len(target.deliveries) > len(upgrade.events)  # retries of the 503s
    for body, headers in target.deliveries:
        stripe.WebhookSignature.verify_header(body.decode(), headers["Stripe-Signature"],
                                              secret, tolerance=300)
    assert {v.check for v in report.results[0].violations} == {"delivery.crashed"}


def test_the_api_serves_each_objects_newest_snapshot_as_of_the_checkpoint():
    def event(n: int, created: int, status: str) -> dict[str, Any]:
        return {"id": f"evt_{n}", "object": "event", "type": "customer.subscription.updated",
                "created": created, "data": {"object": {
                    "id": "sub_1", "object": "subscription", "customer": "cus_1",
                    "status": status}}}

    # Captured out of order: the newest by `created` wins; the same second keeps stream order.
    store = SnapshotStore([event(1, 100, "active"), event(3, 300, "canceled"),
                           event(2, 200, "past_due"), event(4, 300, "unpaid")])
    assert store.objects["sub_1"]["status"] == "unpaid"
    store.stand_at(2)
    assert store.objects["sub_1"]["status"] == "canceled"
    store.stand_at(0)
    assert store.objects["sub_1"]["status"] == "active"


def test_every_customer_in_the_stream_gets_a_user(upgrade):
    customers = stream_customers(upgrade)
    assert [c.customer_id for c in customers] == list(upgrade.checkpoints[0].expected)
    assert customers[0].user_id == "user_alice"


@pytest.mark.http
def test_an_app_over_http_gets_a_fresh_start_for_each_delivery_mode(upgrade, tmp_path):
    from harness.cassettes.replay import replay_file

    cassette = upgrade.dump(tmp_path / "upgrade.events.json")
    config = Path(__file__).resolve().parents[2] / "examples" / "python-app" / "harness.toml"
    report = replay_file(cassette, config=str(config), deliveries=["in_order", "duplicated"])

    assert report.ok, "\n".join(r.failure_text() for r in report.failures)
    assert [r.delivery for r in report.results] == ["in_order", "duplicated"]
