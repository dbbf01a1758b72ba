"""One clock: where the virtual clock starts, the app's clock files, and checkout completion
with test cards."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.errors import ConfigError, ScenarioError
from harness.scenario import get_scenario
from harness.scenario.catalog import default_catalog
from harness.sim import World, api_writes
from harness.sim.app_checkout import complete_session
from harness.sim.simulator import Simulator
from harness.sim.world import START_TIME
from harness.targets.clock import AppClock, faketime_library, resolve_start


@pytest.mark.parametrize(("value", "seconds"), [
    (None, None), ("fixed", None), (1767258000, 1767258000), ("1767258000", 1767258000),
    ("2026-01-01T09:00:00Z", 1767258000), ("2026-01-01T10:00:00+01:00", 1767258000),
    ("2026-01-01T09:00:00", 1767258000),  # no zone: UTC
])
def test_clock_start_values(value, seconds):
    assert resolve_start(value) == seconds


def test_now_is_the_machines_time(monkeypatch):
    monkeypatch.setattr("harness.targets.clock.time.time", lambda: 1790000000.7)
    assert resolve_start("now") == 1790000000


@pytest.mark.parametrize("bad", ["yesterday", "1999-12-31T00:00:00Z", "99999999999"])
def test_a_bad_start_is_named(bad):
    with pytest.raises(ConfigError, match=r"--clock-start"):
        resolve_start(bad)


def test_a_start_moves_every_event_and_a_seed_still_replays_byte_for_byte():
    def events(start):
        sim = Simulator(get_scenario("upgrade"), "2025-03-31.basil", seed=3, start=start)
        return [e for seg in sim.segments() for e in seg.events]

    default, moved, again = events(None), events(START_TIME + 86400), events(START_TIME + 86400)
    assert [e.created - default[0].created for e in default] == \
        [e.created - moved[0].created for e in moved]
    assert moved[0].created == START_TIME + 86400
    assert [(e.id, e.created, e.object) for e in moved] == \
        [(e.id, e.created, e.object) for e in again]


def test_the_events_command_takes_the_start(tmp_path):
    def run(*extra):
        out = subprocess.run([sys.executable, "-m", "harness.cli", "events", "renewal",
                              "--api-version", "2025-03-31.basil", *extra],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    fixed, later = run(), run("--clock-start", "2027-06-01T00:00:00Z")
    assert fixed[0]["created"] == START_TIME
    assert later[0]["created"] == 1811808000
    assert len(fixed) == len(later)


def test_a_clock_file_holds_unix_seconds(tmp_path):
    clock = AppClock(tmp_path, "file")
    clock.set(1767258000)
    assert (tmp_path / "clock").read_text() == "1767258000\n"
    assert clock.env() == {"PORTAL_HARNESS_CLOCK_FILE": str(tmp_path / "clock")}
    assert not (tmp_path / "faketime").exists()


def test_faketime_mode_preloads_the_library(tmp_path):
    lib = tmp_path / "libfaketime.so.1"
    lib.write_bytes(b"")
    clock = AppClock(tmp_path, "faketime", str(lib))
    clock.set(1769936400)
    env = clock.env()
    assert env["LD_PRELOAD"].startswith(str(lib))
    assert env["FAKETIME_TIMESTAMP_FILE"] == str(tmp_path / "faketime")
    assert env["FAKETIME_FMT"] == "%s" and env["FAKETIME_NO_CACHE"] == "1"
    assert (tmp_path / "faketime").read_text() == "@1769936400\n"


def test_a_missing_faketime_says_how_to_install_it(tmp_path):
    with pytest.raises(ConfigError, match="apt-get install faketime"):
        faketime_library(str(tmp_path / "nowhere.so"))


def _open_session(world, **fields):
    api_writes.seed_catalog(world)
    cust = world.create_customer("ann@example.test", "Ann")
    return api_writes.create_checkout_session(
        world, customer=cust.id, customer_email=cust.email,
        line_items=[("price_pro_monthly", 1)], mode="subscription",
        success_url="http://app.test/ok", cancel_url="http://app.test/no", **fields)


def test_a_declined_card_leaves_the_session_open_and_sends_nothing():
    world = World(default_catalog(), "2025-03-31.basil")
    session = _open_session(world)
    before = len(world.events)
    assert complete_session(world, session, "4000000000000002") is None
    assert session.status == "open" and len(world.events) == before


@pytest.mark.parametrize("card", ["4242424242424242", "4000002500003155"])
def test_a_paying_card_completes_the_session_as_checkout_does(card):
    world = World(default_catalog(), "2025-03-31.basil")
    session = _open_session(world)
    start = len(world.events)
    sub = complete_session(world, session, card,
                           subscription_data={"metadata": {"row": "42"}})
    types = [e.type for e in world.events[start:]]
    assert types[:5] == ["payment_intent.created", "payment_method.attached", "charge.succeeded",
                         "payment_intent.succeeded", "customer.subscription.created"]
    assert types[-1] == "checkout.session.completed"
    assert "invoice.paid" in types
    assert (session.status, session.payment_status, session.subscription) == \
        ("complete", "paid", sub.id)
    assert sub.status == "active" and sub.metadata == {"row": "42"}
    assert world.payment_methods[sub.default_payment_method].last4 == card[-4:]


def test_a_session_without_customer_gets_one_from_its_email():
    world = World(default_catalog(), "2024-06-20")
    api_writes.seed_catalog(world)
    session = api_writes.create_checkout_session(
        world, customer=None, customer_email="bo@example.test",
        line_items=[("price_basic_monthly", 1)], mode="subscription")
    sub = complete_session(world, session, "4242424242424242")
    assert world.customers[session.customer].email == "bo@example.test"
    assert sub.customer == session.customer


def test_an_unknown_card_is_refused():
    world = World(default_catalog(), "2025-03-31.basil")
    with pytest.raises(ScenarioError, match="unknown test card"):
        complete_session(world, _open_session(world), "4111111111111111")


@pytest.mark.parametrize("version", ["2024-06-20", "2025-03-31.basil"])
def test_completion_sends_what_the_built_in_checkout_sends(version):
    built_in = World(default_catalog(), version)
    cust = built_in.create_customer("ann@example.test", "Ann")
    start = len(built_in.events)
    built_in.checkout(cust.id, "price_pro_monthly")
    expected = [e.type for e in built_in.events[start:]]

    world = World(default_catalog(), version)
    session = _open_session(world)
    start = len(world.events)
    complete_session(world, session, "4242424242424242")
    assert [e.type for e in world.events[start:]] == expected


def test_a_run_from_now_passes_and_its_replay_command_pins_the_start(monkeypatch):
    from harness import Session

    monkeypatch.setattr("harness.targets.clock.time.time", lambda: 1795000000.2)
    with Session.create(scenarios=["renewal"], api_versions=["2025-03-31.basil"],
                        deliveries=["in_order"], clock_start="now",
                        billing_mode="classic") as session:  # one case, no crossed one
        report = session.run()
    (result,) = report.results
    assert result.ok, result.failure_text()
    assert result.replay.endswith("--clock-start 1795000000")
