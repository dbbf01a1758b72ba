"""API cassettes: the reference app's Stripe calls replay from cassettes/api/ with no server.

Record mode is "none" here, so a request the cassette lacks fails instead of reaching a
network, and every socket connection is refused. The fake Stripe must still answer what the
cassettes hold, so a change in its responses shows up as a cassette diff to accept on purpose.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from api_flows import (
    CASSETTES,
    FLOWS,
    LIVE,
    LIVE_FETCH,
    OFFLINE_BASE,
    UPGRADE_VERSIONS,
    api_vcr,
    portal_cassette,
    portal_flow,
    record_from_stripe,
    upgrade_cassette,
    upgrade_flow,
)

from harness.cassettes.recording import scan_cassettes, scrub_json
from harness.fake_stripe import FakeStripe
from harness.fake_stripe.server import IN_PROCESS_BASE


def offline(world: Any) -> tuple[str, None]:
    return OFFLINE_BASE, None


def interactions(name: str, folder=CASSETTES) -> list[dict[str, Any]]:
    return yaml.safe_load((folder / name).read_text(encoding="utf-8"))["interactions"]


def body_of(interaction: dict[str, Any]) -> Any:
    return json.loads(interaction["response"]["body"]["string"])


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("flow", FLOWS)
def test_portal_session_replays_from_its_cassette(flow):
    with api_vcr("none").use_cassette(portal_cassette(flow)) as cassette:
        reply = portal_flow(flow, offline)

    assert (reply.status, reply.location) == (
        303, "https://billing.stripe.com/p/session/test_REDACTED")
    assert cassette.all_played
    assert cassette.play_count == (2 if flow == "subscription_update_confirm" else 1)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("version", UPGRADE_VERSIONS)
def test_upgrade_subscription_fetches_replay_from_their_cassette(version):
    with api_vcr("none").use_cassette(upgrade_cassette(version)) as cassette:
        checkpoints = dict(upgrade_flow(offline, version))

    assert checkpoints == {"subscribed": [], "upgraded": [], "renewed_on_new_plan": []}
    assert cassette.all_played
    methods = {(i["request"]["method"], urlsplit(i["request"]["uri"]).path.split("/")[2])
               for i in interactions(upgrade_cassette(version))}
    assert methods == {("GET", "subscriptions")}


def fake_answers(run: Any) -> list[tuple[str, str, Any]]:
    """(method, path, scrubbed body) of each call the flow makes to an in-process fake."""
    fakes: list[FakeStripe] = []

    def in_process(world: Any) -> tuple[str, Any]:
        fakes.append(FakeStripe(world))
        return IN_PROCESS_BASE, fakes[-1].http_client()

    run(in_process)
    fakes[0].check()
    return [(r.method, r.path, scrub_json(r.response)) for r in fakes[0].requests]


def recorded_answers(name: str) -> list[tuple[str, str, Any]]:
    return [(i["request"]["method"], urlsplit(i["request"]["uri"]).path, body_of(i))
            for i in interactions(name)]


@pytest.mark.parametrize("flow", FLOWS)
def test_the_fake_still_answers_the_portal_calls_as_recorded(flow):
    assert fake_answers(lambda connect: portal_flow(flow, connect)) == recorded_answers(
        portal_cassette(flow)), "re-record: python tests/cassettes/api_flows.py"


@pytest.mark.parametrize("version", UPGRADE_VERSIONS)
def test_the_fake_still_answers_the_subscription_fetches_as_recorded(version):
    answers = fake_answers(lambda connect: list(upgrade_flow(connect, version)))
    assert answers == recorded_answers(upgrade_cassette(version)), (
        "re-record: python tests/cassettes/api_flows.py")


@pytest.mark.live
def test_live_rerecording_matches_the_fake_in_shape(stripe_test_key):
    written = record_from_stripe(stripe_test_key)

    assert scan_cassettes(LIVE) == []
    for path in written:
        assert "Authorization" not in path.read_text(encoding="utf-8")
    for name, fake_name in [*((portal_cassette(f), portal_cassette(f)) for f in FLOWS),
                            (LIVE_FETCH, upgrade_cassette(UPGRADE_VERSIONS[-1]))]:
        live = body_of(interactions(name, LIVE)[-1])
        fake = body_of(interactions(fake_name)[0 if name == LIVE_FETCH else -1])
        assert sorted(set(live) ^ set(fake)) == [], f"{name}: top-level keys differ"
        assert live["object"] == fake["object"]
