"""The command line: output, JSON report shape, exit codes and error messages."""

from __future__ import annotations

import json

import pytest
import stripe

from harness.cli import main
from harness.delivery.signing import sign_payload


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scenarios_lists_every_builtin(capsys):
    code, out, _ = run_cli(capsys, "scenarios")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    for expected in ("checkout", "upgrade", "downgrade", "cancel_at_period_end", "undo_cancel",
                     "cancel_now", "pause_resume", "renewal", "payment_failed_recovered",
                     "payment_method_update", "two_subscriptions"):
        assert expected in names


def test_events_prints_a_json_array_that_stripe_accepts_once_signed(capsys):
    code, out, _ = run_cli(capsys, "events", "upgrade", "--api-version", "2025-03-31.basil")
    assert code == 0
    events = json.loads(out)
    assert [e["type"] for e in events][:2] == ["customer.created", "payment_intent.created"]
    secret = "whsec_test_cli"
    for event in events:
        body = json.dumps(event, indent=2).encode()
        parsed = stripe.Webhook.construct_event(body, sign_payload(body, secret), secret)
        assert parsed.id == event["id"]
    subs = [e["data"]["object"] for e in events if e["type"].startswith("customer.subscription")]
    assert subs and all("current_period_end" not in s for s in subs)
    assert all("current_period_end" in s["items"]["data"][0] for s in subs)


def test_events_before_basil_carry_the_period_on_the_subscription(capsys):
    _, out, _ = run_cli(capsys, "events", "upgrade", "--api-version", "2024-06-20")
    subs = [e["data"]["object"] for e in json.loads(out)
            if e["type"].startswith("customer.subscription")]
    assert all("current_period_end" in s for s in subs)


def test_same_seed_same_bytes_other_seed_other_ids(capsys):
    _, a, _ = run_cli(capsys, "events", "renewal", "--seed", "7")
    _, b, _ = run_cli(capsys, "events", "renewal", "--seed", "7")
    _, c, _ = run_cli(capsys, "events", "renewal", "--seed", "8")
    assert a == b
    ids_a = {e["id"] for e in json.loads(a)}
    ids_c = {e["id"] for e in json.loads(c)}
    assert not ids_a & ids_c


def test_run_json_report_has_the_documented_shape(capsys):
    code, out, _ = run_cli(capsys, "run", "--scenario", "upgrade", "--api-version",
                           "2025-09-30.clover", "--delivery", "shuffled", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True
    (result,) = report["results"]
    assert {"scenario", "api_version", "delivery", "ok", "violations"} <= result.keys()
    assert (result["scenario"], result["api_version"], result["delivery"]) == (
        "upgrade", "2025-09-30.clover", "shuffled")


def test_run_exits_1_and_prints_a_replay_command_when_a_check_fails(capsys):
    code, out, _ = run_cli(capsys, "run", "--scenario", "renewal", "--api-version",
                           "2025-03-31.basil", "--delivery", "duplicated",
                           "--mutant", "records_paid_invoice_twice")
    assert code == 1
    assert "invoices.recorded_once" in out
    assert "a duplicate delivery recorded the invoice twice" in out
    assert ("Replay: portal-harness run --mutant records_paid_invoice_twice --scenario renewal "
            "--api-version 2025-03-31.basil --delivery duplicated --seed 0") in out


def test_the_replay_command_reproduces_the_same_failure(capsys):
    argv = ["run", "--mutant", "applies_event_snapshot", "--scenario", "cancel_at_period_end",
            "--api-version", "2025-09-30.clover", "--delivery", "delayed", "--seed", "1",
            "--json"]
    _, first, _ = run_cli(capsys, *argv)
    _, second, _ = run_cli(capsys, *argv)
    strip = [{k: v for k, v in r.items() if k != "duration_s"}
             for r in json.loads(first)["results"]]
    again = [{k: v for k, v in r.items() if k != "duration_s"}
             for r in json.loads(second)["results"]]
    assert strip == again


@pytest.mark.parametrize(("argv", "words"), [
    (["run", "--delivery", "sideways"], "unknown delivery mode 'sideways'"),
    (["run", "--scenario", "nope"], "no scenario named 'nope'"),
    (["run", "--mutant", "nope"], "unknown mutant 'nope'"),
    (["events", "upgrade", "--api-version", "2023-01-01"], "unknown Stripe API version"),
    (["run", "--config", "does/not/exist.toml"], "does/not/exist.toml: target file not found"),
    (["events", "upgrade", "--catalog", "missing.yaml"], "missing.yaml: catalog not found"),
])
def test_bad_usage_exits_2_with_a_message_naming_the_problem(capsys, argv, words):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert words in err
    assert "Traceback" not in err


def test_a_scenario_that_cannot_run_on_a_version_is_reported_skipped(capsys, tmp_path):
    path = tmp_path / "portal_pause.yaml"
    path.write_text(
        "name: portal_pause\ndescription: status pause\ncustomers: [alice]\n"
        "requires: {min_api_version: '2026-09-30', billing_mode: flexible}\nsteps:\n"
        "  - checkout: {customer: alice}\n  - pause: {customer: alice, mechanism: status}\n"
        "  - checkpoint: {name: paused, expect: {alice: {paused: true}}}\n")
    code, out, _ = run_cli(capsys, "run", "--scenario", str(path), "--delivery", "in_order",
                           "--json")
    assert code == 0
    results = json.loads(out)["results"]
    # the four default versions, then the basil endpoint with flexible subscriptions
    assert [r["skipped"] is None for r in results] == [False, False, False, True, False]
    assert results[-1]["api_version"] == "2025-03-31.basil"
