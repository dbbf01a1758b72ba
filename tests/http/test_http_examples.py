"""The example apps, each started as its own process from its target file and tested over HTTP:
the correct forms pass the full default matrix, each flaw fails with the check that names it."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import pytest

from harness.cli import main
from harness.scenario.files import list_scenarios

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.http


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["run", "--json", *argv])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


def failed_checks(report: dict) -> set[str]:
    return {v["check"] for r in report["results"] for v in r["violations"]}


@pytest.mark.parametrize("example", ["node-app", "python-app"])
def test_correct_example_passes_the_full_default_matrix(capsys, request, example):
    if example == "node-app":
        request.getfixturevalue("node")
    code, report = run_json(capsys, "--config", str(EXAMPLES / example / "harness.toml"))
    assert (code, report["failed"], report["skipped"]) == (0, 0, 0), failed_checks(report)
    # every scenario x basil x five delivery modes, and the basil endpoint with flexible
    # subscriptions in order and shuffled (the default matrix's crossed cases)
    assert report["cases"] == len(list_scenarios()) * (5 + 2)
    assert report["target"] == example


@pytest.mark.usefixtures("node")
def test_node_snapshot_flaw_is_caught_when_an_older_event_arrives_late(capsys):
    code, report = run_json(capsys, "--config", str(EXAMPLES / "node-app/harness-flawed.toml"),
                            "--delivery", "delayed")
    assert code == 1
    # a subscription canceled at period end comes back to life; a renewal is undone
    assert {"state.status", "state.plan", "state.current_period_end"} <= failed_checks(report)
    failure = next(r for r in report["results"] if not r["ok"])
    assert "--delivery delayed" in failure["replay"]
    assert any("(created t=" in line for line in failure["timeline"])  # the late delivery


def test_python_top_level_period_flaw_crashes_every_subscription_event(capsys):
    code, report = run_json(capsys, "--config", str(EXAMPLES / "python-app/harness-flawed.toml"),
                            "--scenario", "upgrade", "--delivery", "in_order")
    assert code == 1
    assert {"delivery.crashed", "delivery.rejected", "state.plan"} <= failed_checks(report)


@pytest.mark.parametrize(("example", "bug", "argv", "check"), [
    pytest.param("node-app", "no_dedupe", ["--scenario", "renewal", "--delivery", "duplicated"],
                 "invoices.recorded_once", id="node-no_dedupe"),
    pytest.param("python-app", "cancel_flag_only",
                 ["--scenario", "cancel_at_period_end", "--delivery", "in_order",
                  "--api-version", "2025-09-30.clover"],  # flexible billing mode by default
                 "state.cancel_at_period_end", id="python-cancel_flag_only"),
])
def test_other_documented_flaws_are_caught(capsys, request, target_copy, no_leftovers, example,
                                           bug, argv, check):
    if example == "node-app":
        request.getfixturevalue("node")
    data_env = {"PORT": "{port}", "DB_PATH": "{tmp}/app.db",
                "STRIPE_API_BASE": "{stripe_api_base}", "STRIPE_SECRET_KEY": "{stripe_secret_key}",
                "STRIPE_WEBHOOK_SECRET": "{webhook_secret}", "BUG": bug}
    path = target_copy(example, **{"app__env": data_env})
    code, report = run_json(capsys, "--config", str(path), *argv)
    assert code == 1
    assert check in failed_checks(report)
    no_leftovers()


def test_reference_app_as_a_server_process_passes_over_http(capsys, target_copy, no_leftovers,
                                                             token):
    """A subset of the matrix against `python -m harness.reference_app` (its API version is
    fixed per process, so the file pins one); prints the delivery rate on loopback."""
    src = EXAMPLES / "reference-app" / "harness.toml"
    command = [*tomllib.loads(src.read_text())["app"]["command"],
               "--site-url", f"https://app.example.test/{token}"]  # marks the process
    path = target_copy("reference-app", mark=False, app__command=command)
    started = time.perf_counter()
    code, report = run_json(capsys, "--config", str(path), "--scenario", "upgrade",
                            "--scenario", "cancel_at_period_end", "--scenario", "pause_resume",
                            "--delivery", "in_order", "--delivery", "shuffled")
    elapsed = time.perf_counter() - started
    assert code == 0, failed_checks(report)
    assert report["cases"] == 6 and report["results"][0]["api_version"] == "2025-09-30.clover"
    with capsys.disabled():
        print(f"\n  reference app over HTTP: {report['attempts']} deliveries in "
              f"{report['duration_s']:.2f} s of cases ({elapsed:.2f} s with start and stop), "
              f"{report['attempts'] / report['duration_s']:.0f} deliveries/s")
    no_leftovers()


def test_fuzz_and_replay_play_at_an_app_from_its_target_file(capsys, tmp_path):
    """The other commands that play events take the same --config."""
    config = str(EXAMPLES / "python-app" / "harness.toml")
    assert main(["fuzz", "--config", config, "--examples", "5", "--seed", "1"]) == 0
    cassette = tmp_path / "upgrade.json"
    assert main(["record", "upgrade", "--api-version", "2025-03-31.basil", "-o",
                 str(cassette)]) == 0
    capsys.readouterr()
    code = main(["replay", "--config", config, "--delivery", "shuffled", "--json",
                 str(cassette)])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["target"] == "python-app"


def test_a_campaign_that_draws_one_example_twice_does_not_fail_a_correct_app(capsys):
    """At seed 0 hypothesis draws one flow twice (examples 52 and 53); the app, kept between
    examples without a reset, already holds the first run's objects, so the repeat plays
    under fresh ids instead of failing a correct app."""
    config = str(EXAMPLES / "reference-app" / "harness.toml")
    code = main(["fuzz", "--config", config, "--examples", "60", "--seed", "0", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert (code, report["ok"], report["examples"]) == (0, True, 60), report.get("results")
