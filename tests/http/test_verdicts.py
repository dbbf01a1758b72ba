"""Who is at fault: an app's defect exits 1, a request the harness cannot serve exits 3 and is
reported as the harness's, with the request; an app that dies mid-run is the app's fault and
the report names the case and the event; a failing [seed] call shows the app's log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main

pytestmark = pytest.mark.http

APP = Path(__file__).parent / "apps" / "minimal_app.py"
PLANS = {"basic": ["price_basic_monthly"], "pro": ["price_pro_monthly"]}


def target(token: str, mode: str) -> dict:
    return {
        "app": {"command": ["{python}", str(APP), "{port}", token],
                "ready_url": "http://127.0.0.1:{port}/healthz", "ready_timeout": 30,
                "env": {"MODE": mode, "STRIPE_API_BASE": "{stripe_api_base}",
                        "STRIPE_SECRET_KEY": "{stripe_secret_key}"}},
        "webhook": {"url": "http://127.0.0.1:{port}/webhooks"},
        "plans": PLANS,
        "seed": {"url": "http://127.0.0.1:{port}/seed", "json": {"id": "{user_id}"}},
        "state": {"url": "http://127.0.0.1:{port}/state?customer_id={customer_id}"},
    }


def run(capsys, path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["run", "--config", str(path), "--scenario", "upgrade", "--delivery",
                 "shuffled", "--api-version", "2025-03-31.basil", "--billing-mode", "classic",
                 *argv])  # one case: no crossed flexible case
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unserved_stripe_request_is_a_harness_gap_not_an_app_crash(
        capsys, write_target, token, no_leftovers):
    path = write_target(target(token, "gap"))
    code, out, _ = run(capsys, path, "--json")
    report = json.loads(out)
    assert code == 3 and report["exit_code"] == 3
    problems = [v for r in report["results"] for v in r["violations"]]
    assert [(v["check"], v["fault"]) for v in problems] == [
        ("harness.unserved_request", "harness")]
    assert "GET /v1/tax_rates/txr_vat" in problems[0]["message"]
    assert "customer.subscription.created" in problems[0]["message"]
    assert report["faults"] == {"harness": 1}
    # the app's 500 is shown with the gap that caused it, not counted against the app
    assert any("harness gap: GET /v1/tax_rates/txr_vat" in line
               for r in report["results"] for line in r["timeline"])
    no_leftovers()


def test_an_unserved_request_made_while_the_app_starts_is_a_harness_gap_too(
        capsys, write_target, token):
    """Before any case runs there is no case to pin it on, yet what follows may rest on it."""
    code, out, _ = run(capsys, write_target(target(token, "startup_gap")), "--json")
    report = json.loads(out)
    assert code == 3 and report["faults"] == {"harness": 1}
    [problem] = [v for r in report["results"] for v in r["violations"]]
    assert problem["check"] == "harness.unserved_request"
    assert "GET /v1/climate/orders" in problem["message"]
    assert "while it started, before the first case" in problem["message"]


def test_the_text_report_puts_harness_gaps_first_with_what_to_do(capsys, write_target, token):
    code, out, _ = run(capsys, write_target(target(token, "gap")))
    assert code == 3
    gaps, failing = out.index("Harness gaps (1):"), out.index("Failing case:")
    assert gaps < failing
    assert "FakeStripe.add_route" in out[gaps:failing]
    assert "GET /v1/tax_rates/txr_vat" in out[gaps:failing]
    assert "harness gap" in out.splitlines()[-1]


def test_stripes_own_4xx_is_shown_next_to_the_apps_5xx_and_the_fault_is_the_apps(
        capsys, write_target, token):
    code, out, _ = run(capsys, write_target(target(token, "stripe_404")), "--json")
    report = json.loads(out)
    assert code == 1 and report["faults"] == {"app": 2}  # delivery.crashed and .rejected
    crashed = next(v for r in report["results"] for v in r["violations"]
                   if v["check"] == "delivery.crashed")
    assert "after the fake Stripe API answered GET /v1/subscriptions/sub_gone -> 404 " \
           "resource_missing" in crashed["message"]
    assert any("[after the fake Stripe API answered GET /v1/subscriptions/sub_gone -> 404"
               in line for r in report["results"] for line in r["timeline"])


def test_a_wrong_target_file_is_exit_2_and_its_fault_in_json(capsys, write_target, token):
    data = target(token, "")
    data["webhook"]["url"] = "http://127.0.0.1:9/webhooks"  # nothing listens there
    code, out, _ = run(capsys, write_target(data), "--json")
    assert code == 2
    assert json.loads(out)["fault"] == "target_file"


def test_an_app_that_dies_mid_run_is_the_apps_fault_naming_the_case_and_event(
        capsys, write_target, token, no_leftovers):
    path = write_target(target(token, "crash"))
    code, out, _ = run(capsys, path, "--json", "--scenario", "checkout")
    report = json.loads(out)
    assert code == 1
    crashed = [(r["scenario"], v) for r in report["results"] for v in r["violations"]
               if v["check"] == "app.exited"]
    assert len(crashed) == 1
    scenario, problem = crashed[0]
    assert problem["fault"] == "app"
    assert f"{scenario}-2025-03-31.basil-shuffled" in problem["message"]
    assert "while delivering customer.subscription.updated" in problem["message"]
    assert "fatal: cannot handle evt_" in problem["message"]  # the app's log tail
    assert report["stopped"]
    no_leftovers()


def test_a_failing_seed_call_shows_the_apps_log(capsys, write_target, token, no_leftovers):
    code, _, err = run(capsys, write_target(target(token, "seed_500")))
    assert code == 2
    assert "[seed].url" in err and "answered 500" in err
    assert "seed failed: users table is missing" in err
    no_leftovers()
