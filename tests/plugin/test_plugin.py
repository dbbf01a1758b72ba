"""The pytest plugin, run in inner pytest sessions: options, items per case, failures that read
like the CLI's, JUnit XML, helpful errors, fixtures, and a quiet module."""

from __future__ import annotations

import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# yaml is loaded before the inline sessions, which restore sys.modules after each run: a yaml
# first imported inside one would be half torn down for the next, whose scenario files then fail
# to parse ("could not determine a constructor for the tag None").
import yaml  # noqa: F401

import harness.pytest_plugin

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PYTHON_APP = EXAMPLES / "python-app"
ONE_CASE = ["--harness-scenario", "upgrade", "--harness-delivery", "in_order"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


@pytest.mark.http
def test_each_case_is_an_item_and_passes_with_junit_xml(pytester):
    result = run(pytester, "-v", "--harness-config", str(PYTHON_APP / "harness.toml"),
                 "--harness-scenario", "upgrade", "--harness-delivery", "in_order",
                 "--harness-delivery", "shuffled", "--junitxml=report.xml")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "portal-harness: */examples/python-app/harness.toml (2 cases)",
        "*collected 2 items",
        "*harness::upgrade[[]2025-03-31.basil-in_order[]] PASSED*",
        "*harness::upgrade[[]2025-03-31.basil-shuffled[]] PASSED*",
    ])
    suite = ET.parse(pytester.path / "report.xml").getroot()[0]
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("harness", "upgrade[2025-03-31.basil-in_order]"),
        ("harness", "upgrade[2025-03-31.basil-shuffled]")]
    replay = cases[0].find("properties/property[@name='replay']").get("value")
    assert replay.endswith("--scenario upgrade --api-version 2025-03-31.basil "
                           "--delivery in_order --seed 0")


@pytest.mark.http
def test_cases_play_under_the_given_portal_configuration_and_skip_what_it_refuses(pytester):
    result = run(pytester, "-v", "--harness-config", str(PYTHON_APP / "harness.toml"),
                 "--harness-scenario", "cancel_now", "--harness-scenario", "undo_cancel",
                 "--harness-delivery", "in_order", "--harness-portal-configuration",
                 "cancel_immediately", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*harness::cancel_now[[]2025-03-31.basil-in_order[]] PASSED*",
                                 "*cancels immediately, not at_period_end*"])


@pytest.mark.http
def test_a_flawed_app_fails_with_the_timeline_and_the_broken_check(pytester):
    result = run(pytester, "--harness-config", str(PYTHON_APP / "harness-flawed.toml"),
                 *ONE_CASE, "--junitxml=report.xml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*portal-harness case upgrade[[]2025-03-31.basil-in_order[]]*",
        "Failing case: upgrade-2025-03-31.basil-in_order (classic billing, seed 0)",
        "Deliveries:",
        "*customer.subscription.created*attempt 1  -> 500",
        "Broken checks:",
        "  delivery.crashed: *",
        "      defect: the app answered a valid delivery with a server error",
        "Replay: portal-harness run --config */harness-flawed.toml --scenario upgrade *",
    ])
    assert "Traceback" not in result.stdout.str()
    failure = ET.parse(pytester.path / "report.xml").getroot().find(".//failure")
    assert "delivery.rejected" in failure.text


@pytest.mark.http
def test_the_app_is_started_once_and_its_failure_fails_every_case(pytester, tmp_path):
    starts = tmp_path / "starts"
    code = (f"open({str(starts)!r}, 'a').write('x'); "
            "print('boom: no database configured'); raise SystemExit(4)")
    config = pytester.makefile(".toml", target=f"""
[app]
command = ["{{python}}", "-c", "{code.replace('"', chr(92) + '"')}"]
ready_url = "http://127.0.0.1:{{port}}/healthz"
[webhook]
url = "http://127.0.0.1:{{port}}/webhooks"
[plans]
pro = ["price_pro_monthly"]
[state]
url = "http://127.0.0.1:{{port}}/state?customer_id={{customer_id}}"
""")
    result = run(pytester, "--harness-config", str(config), *ONE_CASE,
                 "--harness-delivery", "shuffled", "--harness-api-version", "2025-03-31.basil")
    result.assert_outcomes(failed=2)
    assert starts.read_text() == "x"
    # each failure shows the app's log tail (the short summary may repeat it where CI is set)
    failures = result.stdout.str().split("short test summary info")[0]
    assert failures.count("| boom: no database configured") == 2


def test_collect_only_lists_the_cases_without_starting_the_app(pytester, tmp_path):
    marker = tmp_path / "started"
    config = pytester.makefile(".toml", target=f"""
[app]
command = ["{{python}}", "-c", "open({str(marker)!r}, 'w')"]
ready_url = "http://127.0.0.1:{{port}}/healthz"
[webhook]
url = "http://127.0.0.1:{{port}}/webhooks"
api_versions = ["2024-06-20", "2025-09-30.clover"]
[plans]
pro = ["price_pro_monthly"]
[state]
url = "http://127.0.0.1:{{port}}/state?customer_id={{customer_id}}"
""")
    result = run(pytester, "--collect-only", "-q", "--harness-config", str(config),
                 "--harness-scenario", "upgrade", "-k", "not chaos")
    result.stdout.fnmatch_lines([
        "harness::upgrade[[]2024-06-20-in_order[]]",
        "harness::upgrade[[]2024-06-20-shuffled[]]",
        "*",
        "harness::upgrade[[]2025-09-30.clover-delayed[]]",
        "10 tests collected*",
    ])
    assert not marker.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--harness-config", "missing.toml"], "missing.toml: target file not found"),
    (["--harness-config", "{bad}"], "[webhook.ur]: unknown key (did you mean 'url'?)"),
    (["--harness-config", "{good}", "--harness-delivery", "sideways"],
     "--harness-delivery 'sideways': choose from in_order, shuffled"),
    (["--harness-config", "{good}", "--harness-api-version", "2023-10-16"],
     "2023-10-16"),
    (["--harness-config", "{good}", "--harness-scenario", "nope"], "no scenario named 'nope'"),
    (["--harness-config", "{good}", "--harness-portal-configuration", "nope"],
     "no portal configuration named 'nope'"),
    (["--harness-config", "{good}", "--harness-portal-configuration", "zed=standard"],
     "no chosen scenario has a customer named 'zed'"),
])
def test_a_wrong_option_is_a_usage_error_that_names_it(pytester, args, message):
    bad = pytester.makefile(".toml", bad='[webhook]\nur = "http://x"\n[plans]\npro = ["p"]\n'
                                         '[state]\nurl = "http://x"\n')
    good = pytester.makefile(".toml", good='[webhook]\nurl = "http://x"\n[plans]\npro = ["p"]\n'
                                           '[state]\nurl = "http://x"\n')
    args = [a.format(bad=bad, good=good) for a in args]
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "portal-harness:" in result.stderr.str()


def test_fixtures_give_a_fake_stripe_and_a_reference_app(pytester):
    pytester.makeconftest("""
import pytest

@pytest.fixture(scope="session")
def harness_api_version():
    return "2025-03-31.basil"
""")
    pytester.makepyfile("""
def test_fixtures(fake_stripe, reference_app, harness_api_version, harness_seed,
                  harness_webhook_secret):
    assert harness_api_version == "2025-03-31.basil" and harness_seed == 7
    assert fake_stripe.world.api_version == "2025-03-31.basil"
    assert fake_stripe.url.startswith("http://127.0.0.1:")
    assert reference_app.settings.api_version == harness_api_version
    assert reference_app.settings.webhook_secret == harness_webhook_secret
    customer = fake_stripe.world.create_customer("ada@example.test", "Ada")
    reference_app.seed_user("user_ada", "ada@example.test", customer.id)
    assert reference_app.state(customer.id)["plan"] == "free"

def test_each_test_gets_a_new_world(fake_stripe):
    assert not fake_stripe.world.customers

def test_harness_session_without_a_target_file_plays_the_reference_app(harness_session):
    # upgrade on basil in order, and the same with flexible subscriptions (the default matrix
    # sends them to the basil endpoint)
    assert harness_session.total == 2
    report = harness_session.run()
    assert report.ok and report.target == "reference"
""")
    result = run(pytester, "--harness-seed", "7", *ONE_CASE,
                 "--harness-api-version", "2025-03-31.basil")
    result.assert_outcomes(passed=3)


def test_the_plugin_is_registered_and_its_options_are_grouped(pytester):
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(["portal-harness contract tests:", "*--harness-config=FILE*",
                                 "*--harness-scenario=NAME*", "*--harness-api-version=V*",
                                 "*--harness-delivery=MODE*", "*--harness-seed=N*"])


def test_the_plugin_module_is_quiet():
    """Only pytest and the standard library at the top; no autouse fixtures."""
    source = Path(harness.pytest_plugin.__file__).read_text()
    tree = ast.parse(source)
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top.add(node.module.split(".")[0])
    assert top - {"__future__", "pytest"} <= sys.stdlib_module_names
    autouse = [kw for node in ast.walk(tree) if isinstance(node, ast.Call)
               for kw in node.keywords if kw.arg == "autouse"]
    assert not autouse


@pytest.mark.http
def test_items_spread_over_xdist_workers_each_with_its_own_app(pytester):
    """`-n 2`: both workers collect the same items, each plays its share against an app it
    started on its own port, and every case passes as in one process."""
    result = run(pytester, "-n", "2", "-v", "--dist", "load",
                 "--harness-config", str(PYTHON_APP / "harness.toml"),
                 "--harness-scenario", "upgrade", "--harness-scenario", "cancel_now",
                 "--harness-delivery", "in_order", "--harness-delivery", "duplicated")
    result.assert_outcomes(passed=4)
    lines = [line for line in result.stdout.lines if " PASSED " in line and "harness::" in line]
    assert len(lines) == 4
    assert {line.split("]", 1)[0] for line in lines} == {"[gw0", "[gw1"}
