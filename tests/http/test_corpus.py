"""The corpus: correct apps written in other people's habits (fields mirrored verbatim, flags
derived, or re-read from Stripe on every event; Starlette, Flask, Express, bare node:http;
state from SQL and from JSON; a portal route answering a redirect or JSON). Each passes the
whole default matrix of its target file: a false alarm here is a harness bug. The planted
portal defects of the Express app are each caught by a portal check through the JSON body a
single-page app sends, and the planted sync defects of the re-reading app by the state check
they break."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from harness.cli import main
from harness.scenario.files import list_scenarios

pytestmark = pytest.mark.http

CORPUS = Path(__file__).resolve().parents[2] / "examples" / "corpus"
APPS = sorted(p.name for p in CORPUS.iterdir() if (p / "harness.toml").is_file())


NODE_APPS = {"node-spa": "express", "node-kv-sync": "stripe"}


def node_app_missing(app: str = "node-spa") -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (CORPUS / app / "node_modules" / NODE_APPS[app]).is_dir():
        return f"run `npm ci` in examples/corpus/{app} first"
    return None


def with_bug(tmp_path: Path, app: str, bug: str) -> Path:
    source = CORPUS / app / "harness.toml"
    text = source.read_text().replace('BUG = ""', f'BUG = "{bug}"')
    assert tomllib.loads(text)["app"]["env"]["BUG"] == bug
    path = tmp_path / "harness.toml"
    path.write_text(text.replace('[app]\n', f'[app]\ncwd = "{source.parent}"\n', 1))
    return path


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["run", "--json", *argv])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


def test_the_corpus_has_the_three_styles():
    assert {"starlette-mirror", "flask-derived", "node-spa", "node-kv-sync"} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_a_correct_app_written_elsewhere_passes_the_whole_default_matrix(capsys, app):
    if app in NODE_APPS and node_app_missing(app):
        pytest.skip(node_app_missing(app))
    code, report = run_json(capsys, "--config", str(CORPUS / app / "harness.toml"))
    problems = sorted({f"{v['check']}: {v['message']}" for r in report["results"]
                       for v in r["violations"]})
    assert (code, report["failed"], report["skipped"]) == (0, 0, 0), problems[:10]
    # every scenario x the file's version x five modes (the corpus pins a billing mode)
    assert report["cases"] == len(list_scenarios()) * 5
    assert report["exit_code"] == 0


@pytest.mark.parametrize(("bug", "check", "named"), [
    ("trust_customer_id", "portal.wrong_customer", "its JSON body (customerId)"),
    ("trust_return_url", "portal.return_url", "its JSON body (returnUrl: https://attacker"),
    ("prefix_return_url", "portal.return_url", "@attacker.example/phish"),
])
def test_a_planted_portal_defect_behind_a_json_body_is_caught(capsys, tmp_path, bug, check,
                                                              named):
    if node_app_missing():
        pytest.skip(node_app_missing())
    path = with_bug(tmp_path, "node-spa", bug)
    code, report = run_json(capsys, "--config", str(path), "--scenario", "upgrade",
                            "--delivery", "in_order")
    assert code == 1
    problems = [v for r in report["results"] for v in r["violations"]]
    assert {v["check"] for v in problems} == {check}
    assert any(named in v["message"] for v in problems), [v["message"] for v in problems]
    assert all(v["fault"] == "app" for v in problems)


@pytest.mark.parametrize(("bug", "scenario", "checks", "named"), [
    # the templates' subscriptions.list({limit: 1}): the newest subscription hides the other
    ("latest_only", "two_subscriptions", {"state.plan", "state.subscription_missing"},
     "is not in the app's database"),
    # Stripe's own cancel_at_period_end only: flexible billing schedules through cancel_at
    ("flag_only", "cancel_at_period_end", {"state.cancel_at_period_end"},
     "flexible billing: Stripe sets cancel_at="),
])
def test_a_planted_sync_defect_of_an_app_that_rereads_stripe_is_caught(capsys, tmp_path, bug,
                                                                       scenario, checks, named):
    if node_app_missing("node-kv-sync"):
        pytest.skip(node_app_missing("node-kv-sync"))
    code, report = run_json(capsys, "--config", str(with_bug(tmp_path, "node-kv-sync", bug)),
                            "--scenario", scenario, "--delivery", "in_order")
    assert code == 1
    problems = [v for r in report["results"] for v in r["violations"]]
    assert {v["check"] for v in problems} == checks
    assert any(named in v["message"] for v in problems), [v["message"] for v in problems]
    assert all(v["fault"] == "app" for v in problems)


def test_a_mirrored_cancel_flag_after_a_scheduled_cancellation_took_effect_passes(capsys):
    """Classic billing mode: once the cancellation takes effect, Stripe's object still says
    cancel_at_period_end true, and the mirroring app keeps it; that is not a defect."""
    code, report = run_json(capsys, "--config", str(CORPUS / "starlette-mirror" / "harness.toml"),
                            "--billing-mode", "classic", "--scenario", "cancel_at_period_end",
                            "--delivery", "in_order", "--delivery", "delayed")
    assert (code, report["passed"]) == (0, 2), [
        v["message"] for r in report["results"] for v in r["violations"]]


def test_a_portal_route_reached_by_a_link_is_probed_through_its_query(capsys, tmp_path):
    source = CORPUS / "flask-derived" / "harness.toml"
    text = source.read_text().replace('[portal]\n', '[portal]\nmethod = "GET"\n', 1)
    path = tmp_path / "harness.toml"
    path.write_text(text.replace('[app]\n', f'[app]\ncwd = "{source.parent}"\n', 1))
    code, report = run_json(capsys, "--config", str(path), "--scenario", "checkout",
                            "--delivery", "in_order")
    assert (code, report["passed"]) == (0, 1), [
        v["message"] for r in report["results"] for v in r["violations"]]
