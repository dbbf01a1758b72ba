"""The built-in scenarios' event streams, committed in cassettes/streams/, stay what the
simulator records today and replay clean; a simulator change that alters one is a diff that
someone accepts on purpose with: portal-harness record --all cassettes/streams --force
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes.replay import record_stream, replay_stream, stream_file_name
from harness.cassettes.streams import load_stream
from harness.scenario.files import list_scenarios
from harness.versions import DEFAULT_VERSIONS

STREAMS = Path(__file__).resolve().parents[2] / "cassettes" / "streams"
REGENERATE = "portal-harness record --all cassettes/streams --force"
CASES = [(sc.name, v) for sc in list_scenarios() for v in DEFAULT_VERSIONS]


def case_id(case: tuple[str, str]) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_committed_stream_is_what_record_gives_now(case):
    scenario, version = case
    path = STREAMS / stream_file_name(scenario, version)
    assert path.is_file(), f"{path} is missing; run: {REGENERATE}"
    now = record_stream(scenario, version, seed=0).to_json()
    assert path.read_text(encoding="utf-8") == now, (
        f"the simulator now records {scenario} at {version} differently from {path.name}; if "
        f"the change is intended, run `{REGENERATE}` and commit the diff")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_committed_stream_replays_clean(case):
    stream = load_stream(STREAMS / stream_file_name(*case))
    report = replay_stream(stream)
    assert report.ok, "\n\n".join(r.failure_text() for r in report.failures)


def test_the_folder_holds_only_the_built_in_recordings():
    expected = {stream_file_name(*case) for case in CASES}
    assert {p.name for p in STREAMS.iterdir()} == expected
