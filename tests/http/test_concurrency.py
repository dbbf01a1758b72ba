"""`run --concurrency N`: cases overlap at one app over HTTP, with the verdicts of one at a time."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from harness.cli import main
from harness.run_concurrent import RoutedFake
from harness.scenario.catalog import default_catalog
from harness.scenario.files import get_scenario
from harness.session import _concurrency
from harness.sim.simulator import Simulator

pytestmark = pytest.mark.http

MATRIX = ["--scenario", "upgrade", "--scenario", "payment_failed_recovered", "--json"]


def run_json(capsys, config, *argv):
    code = main(["run", "--config", str(config), *MATRIX, *argv])
    out, err = capsys.readouterr()
    assert out, err
    results = json.loads(out)["results"]
    for r in results:
        r.pop("duration_s")
    return code, results


def test_concurrent_cases_give_the_verdicts_of_one_at_a_time(capsys, examples):
    config = examples / "reference-app" / "harness.toml"
    code1, one = run_json(capsys, config, "--concurrency", "1")
    code4, four = run_json(capsys, config, "--concurrency", "4")
    assert code1 == code4 == 0
    assert len(one) == 10 and all(r["ok"] for r in one)
    assert four == one


def test_a_defect_is_found_the_same_way_when_cases_overlap(capsys, target_copy):
    # The python example with its basil flaw (every subscription event answered 500), and no
    # reset between cases, so that cases may overlap in its database.
    seed = {"url": "http://127.0.0.1:{port}/__test/users",
            "json": {"id": "{user_id}", "email": "{email}",
                     "stripe_customer_id": "{customer_id}"}}
    config = target_copy("python-app", "harness-flawed.toml", seed=seed)
    code1, one = run_json(capsys, config, "--concurrency", "1")
    code3, three = run_json(capsys, config, "--concurrency", "3")
    assert code1 == code3 == 1
    assert three == one
    assert all(not r["ok"] for r in one)
    assert {"delivery.crashed", "state.plan"} <= {v["check"] for r in one
                                                  for v in r["violations"]}


def world_of(scenario, seed):
    sim = Simulator(get_scenario(scenario), "2025-03-31.basil", default_catalog(), seed=seed)
    list(sim.segments())
    return sim


def test_the_routed_fake_answers_each_request_from_the_world_that_holds_its_ids():
    a, b = world_of("upgrade", 1), world_of("cancel_now", 2)
    fake = RoutedFake(a.world)
    worlds = {}

    def enter(name, sim):
        fake.world = sim.world  # what Runner.run_case does, on the case's thread
        worlds[name] = threading.get_ident()

    for name, sim in (("a", a), ("b", b)):
        t = threading.Thread(target=enter, args=(name, sim))
        t.start()
        t.join()
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    for sim in (a, b):
        sub_id = next(iter(sim.world.subscriptions))
        status, _, body = fake.dispatch("GET", f"/v1/subscriptions/{sub_id}", "", headers, b"")
        assert status == 200, body
        assert json.loads(body)["id"] == sub_id
        cus = next(iter(sim.customers.values())).customer_id
        status, _, body = fake.dispatch("GET", "/v1/subscriptions", f"customer={cus}&status=all",
                                        headers, b"")
        assert status == 200, body
        assert {s["customer"] for s in json.loads(body)["data"]} == {cus}


def spec(concurrency=None, reset_url=None):
    return SimpleNamespace(webhook=SimpleNamespace(concurrency=concurrency),
                           seed=SimpleNamespace(reset_url=reset_url))


def test_how_many_cases_overlap():
    assert _concurrency(None, spec()) == 4  # the default
    assert _concurrency(8, spec()) == 8
    assert _concurrency(8, spec(concurrency=2)) == 2  # the target file's cap
    assert _concurrency(None, spec(concurrency=1)) == 1  # an app that opts out
    # an app emptied before each case cannot have two cases in it at once
    assert _concurrency(4, spec(reset_url="http://127.0.0.1:1/__test/reset")) == 1


def test_bad_concurrency_is_a_usage_error(capsys, examples):
    code = main(["run", "--config", str(examples / "reference-app" / "harness.toml"),
                 "--concurrency", "0"])
    assert code == 2
    assert "--concurrency 0" in capsys.readouterr().err
