"""`portal-harness fuzz` and harness.fuzz: a seeded campaign, a short shrunk failure, and
replay commands that reproduce it."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest

from harness.cli import main
from harness.fuzz.campaign import MAX_TIMELINE, Campaign, decode_case, encode_case
from harness.targets.inprocess import ReferenceTarget

MUTANT = "applies_event_snapshot"


@pytest.fixture(scope="module")
def failure() -> str:
    """The text output of one failing campaign (shared: a campaign takes a few seconds)."""
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "fuzz", "--mutant", MUTANT, "--examples", "60"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    return out.stdout


def test_clean_reference_app_passes_a_campaign(capsys) -> None:
    assert main(["fuzz", "--examples", "15", "--seed", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["examples"] == 15
    assert report["results"] == []


def test_failure_reads_like_a_falsifying_example(failure: str) -> None:
    lines = failure.splitlines()
    assert lines[0].startswith("Falsifying example (example ")
    assert "steps:" in lines[2]
    for header in ("departures from Stripe's order:", "Deliveries:", "Broken checks:"):
        assert any(line.strip() == header for line in lines), header
    assert any(line.startswith("Replay this example: portal-harness fuzz --mutant "
                               f"{MUTANT} --reproduce ") for line in lines)
    assert any(line == f"Rerun the campaign: portal-harness fuzz --mutant {MUTANT} "
                       "--seed 0 --examples 60" for line in lines)


def test_failure_timeline_is_a_few_lines_not_hundreds(failure: str) -> None:
    attempts = [line for line in failure.splitlines() if re.match(r"  #\d+ +t=", line)]
    assert 0 < len(attempts) <= MAX_TIMELINE
    assert len(failure.splitlines()) <= 45


def test_failure_names_the_broken_invariant_with_expected_and_actual(failure: str) -> None:
    text = failure.split("Broken checks:", 1)[1]
    assert "state." in text
    assert "expected " in text and ", app has " in text


def test_replay_line_reproduces_the_same_broken_checks(failure: str, capsys) -> None:
    replay = next(line for line in failure.splitlines()
                  if line.startswith("Replay this example:")).split(": ", 1)[1]
    argv = shlex.split(replay)[1:]
    assert main([*argv, "--json"]) == 1
    again = json.loads(capsys.readouterr().out)
    broken = failure.split("Broken checks:", 1)[1]
    assert [v["check"] for v in again["results"][0]["violations"]] == [
        line.split(":")[0].strip() for line in broken.splitlines()
        if line.startswith("  ") and not line.startswith("      ")]


def test_the_same_seed_finds_and_shrinks_to_the_same_example(failure: str) -> None:
    """In another process, the campaign command's seed and size give the same example."""
    again = subprocess.run(
        [sys.executable, "-m", "harness.cli", "fuzz", "--mutant", MUTANT, "--examples", "60"],
        capture_output=True, text=True, timeout=120)
    blob = re.search(r"--reproduce (\S+)", again.stdout)
    assert blob, again.stdout + again.stderr
    assert f"--reproduce {blob.group(1)}\n" in failure


def test_json_output_has_the_run_commands_shape(capsys) -> None:
    assert main(["fuzz", "--mutant", "records_paid_invoice_twice", "--examples", "5",
                 "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    (result,) = report["results"]
    assert result["delivery"] == "fuzz"
    assert "invoices.recorded_once" in {v["check"] for v in result["violations"]}
    assert result["replay"].startswith("portal-harness fuzz --mutant records_paid_invoice_twice "
                                       "--reproduce ")
    assert report["example"]["steps"][0] == {"checkout": {"customer": "alice",
                                                          "price": "price_basic_monthly"}}


def test_fuzzing_the_plans_of_named_scenarios(capsys) -> None:
    assert main(["fuzz", "--scenario", "upgrade", "--scenario", "pause_resume",
                 "--api-version", "2026-10-28.endive", "--examples", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["examples"] == 8


@pytest.mark.parametrize("argv", [["--examples", "0"], ["--reproduce", "not-an-example"],
                                  ["--mutant", "no_such_defect"]])
def test_bad_options_exit_2_with_a_message(argv: list[str], capsys) -> None:
    assert main(["fuzz", *argv]) == 2
    assert "portal-harness: error:" in capsys.readouterr().err


def test_an_encoded_example_is_one_shell_word(failure: str) -> None:
    replay = next(line for line in failure.splitlines()
                  if line.startswith("Replay this example:")).split(": ", 1)[1]
    words = shlex.split(replay)
    assert words[-2] == "--reproduce"
    case = decode_case(words[-1])
    assert encode_case(case) == words[-1]


def test_strategies_without_hypothesis_name_the_extra_to_install() -> None:
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import harness\n"
            "try:\n    import harness.fuzz.strategies\nexcept ImportError as e:\n    print(e)\n"
            "try:\n    from harness.fuzz import fuzz\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert all('pip install "portal-harness[fuzz]"' in line for line in lines)


def test_a_target_that_stops_failing_is_reported_as_flaky() -> None:
    from harness.checks.invariants import Violation
    from harness.checks.report import CaseResult
    from harness.scenario.catalog import default_catalog

    class OnceFailing:
        catalog, enabled_events, target = default_catalog(), None, ReferenceTarget()
        calls = 0

        def run_case(self, case) -> CaseResult:
            self.calls += 1
            result = CaseResult(case.scenario.name, case.api_version, case.delivery,
                                case.billing_mode, case.seed, "once-failing", "", ok=True)
            if self.calls == 3:
                result.ok = False
                result.violations = [Violation("state.plan", "plan drifted", "end")]
            return result

    report = Campaign(OnceFailing(), examples=10, seed=0).run()
    assert report.flaky and not report.ok
    assert "flaky" in report.summary_line()
    assert "state.plan: [end] plan drifted" in report.failure_text()
