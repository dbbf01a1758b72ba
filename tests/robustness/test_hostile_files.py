"""Hostile files: a YAML alias bomb, deep nesting, huge files, endless virtual time and a
10,000-event capture. Each is refused (exit 2, a short message naming the file) or read in
linear work; the figures asserted are sizes, counts and exit codes, never times
(benchmarks/hostile_input.py prints the times).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import pytest

from harness import files
from harness.cassettes import streams
from harness.cli import main

from .work import ScanCountingStr

SCENARIO_HEAD = "name: {name}\ndescription: x\ncustomers: [alice]\nsteps:\n"


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" document: each level is nine aliases of the level before."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_a_yaml_alias_bomb_scenario_is_refused_with_a_short_error(tmp_path, capsys):
    # Once 80 s, 2.9 GB and a 722 MB error. Bounded now: memory, message size, exit code.
    path = tmp_path / "bomb.yaml"
    path.write_text(SCENARIO_HEAD.format(name="bomb") + "  - checkpoint: end\n"
                    + "extra:\n" + "".join("  " + line + "\n" for line in
                                           alias_bomb().splitlines()))
    tracemalloc.start()
    try:
        code, err = cli(capsys, "events", str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2
    assert f"{path}: YAML aliases expand to more than 100,000 nodes" in err
    assert len(err) < 500
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("what", ["catalog", "scenario"])
def test_an_alias_bomb_is_refused_in_every_yaml_file(tmp_path, capsys, what):
    path = tmp_path / f"{what}.yaml"
    path.write_text(alias_bomb())
    argv = (["events", "upgrade", "--catalog", str(path)] if what == "catalog"
            else ["events", str(path)])
    code, err = cli(capsys, *argv)
    assert code == 2 and "alias bomb" in err and str(path) in err and len(err) < 500


def test_a_few_aliases_still_work(tmp_path, capsys):
    path = tmp_path / "aliased.yaml"
    path.write_text(SCENARIO_HEAD.format(name="aliased")
                    + "  - checkout: &who {customer: alice}\n  - cancel_now: *who\n"
                    "  - checkpoint: end\n")
    code, _ = cli(capsys, "events", str(path), "--api-version", "2025-03-31.basil")
    assert code == 0


@pytest.mark.parametrize(("suffix", "text"), [
    (".yaml", SCENARIO_HEAD.format(name="deep") + "  - checkpoint: " + "[" * 5000 + "]" * 5000),
    (".toml", 'name = "deep"\ndescription = "x"\ncustomers = ' + "[" * 5000 + "]" * 5000),
    (".yaml", SCENARIO_HEAD.format(name="deep") + "  - checkpoint: " + "[" * 40 + "]" * 40),
])
def test_deep_nesting_in_a_scenario_is_exit_2_not_a_traceback(tmp_path, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "events", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{path}: " in proc.stderr and "nested" in proc.stderr
    assert len(proc.stderr) < 500


def test_deep_nesting_in_a_target_file_is_exit_2(tmp_path, capsys):
    path = tmp_path / "target.toml"
    path.write_text('name = "x"\n[webhook]\nurl = ' + "[" * 3000 + "]" * 3000 + "\n")
    code, err = cli(capsys, "run", "--config", str(path))
    assert code == 2 and f"{path}: nested too deeply" in err


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write("# " + "x" * (files.MAX_CONFIG_BYTES + 10) + "\n")
    code, err = cli(capsys, "events", str(path))
    assert code == 2 and f"{path}: the scenario file is larger than 1 MiB" in err


def test_advancing_a_thousand_years_is_refused_naming_the_step(tmp_path, capsys):
    path = tmp_path / "forever.yaml"
    path.write_text(SCENARIO_HEAD.format(name="forever") + "  - checkout: {customer: alice}\n"
                    "  - advance: {days: 365000}\n  - checkpoint: end\n")
    code, err = cli(capsys, "events", str(path))
    assert code == 2
    assert "steps.1.advance: takes the scenario past 3660 days" in err


def test_many_small_advances_add_up_to_the_same_bound(tmp_path, capsys):
    path = tmp_path / "creep.yaml"
    path.write_text(SCENARIO_HEAD.format(name="creep") + "  - checkout: {customer: alice}\n"
                    + "  - advance: {days: 3000}\n" * 2 + "  - checkpoint: end\n")
    code, err = cli(capsys, "events", str(path))
    assert code == 2 and "steps.2.advance: takes the scenario past" in err


def test_ten_years_of_renewals_still_play(tmp_path, capsys):
    path = tmp_path / "decade.yaml"
    path.write_text(SCENARIO_HEAD.format(name="decade") + "  - checkout: {customer: alice}\n"
                    "  - advance: {days: 3650}\n  - checkpoint: end\n")
    code, _ = cli(capsys, "events", str(path), "--api-version", "2025-03-31.basil")
    assert code == 0


# -- event streams ----------------------------------------------------------------------------

EVENT = {"id": "evt_0", "object": "event", "type": "customer.created", "created": 1767258000,
         "api_version": "2025-03-31.basil",
         "data": {"object": {"id": "cus_1", "object": "customer"}}}


def capture(n: int, *, pretty: bool = True) -> str:
    """What `stripe listen --print-json` writes: pretty events one after another."""
    indent = 2 if pretty else None
    sep = "\n" if pretty else ""
    return "".join(json.dumps({**EVENT, "id": f"evt_{i}"}, indent=indent) + sep
                   for i in range(n))


@pytest.mark.parametrize("pretty", [True, False], ids=["pretty", "one_line"])
def test_importing_a_capture_is_linear(pretty):
    # 10,000 events once took 283 s: each item's line number was counted from the top.
    scanned = {}
    for n in (1_000, 10_000):
        text = ScanCountingStr(capture(n, pretty=pretty))
        ScanCountingStr.scanned = 0
        stream = streams.parse_stream(text, name="listen.txt", format="print-json")
        assert len(stream.events) == n
        scanned[n] = ScanCountingStr.scanned / len(text)
    # characters examined per character of input: flat when linear, x10 when quadratic
    assert scanned[10_000] < 8, scanned
    assert scanned[10_000] < 2 * scanned[1_000], scanned


def test_line_numbers_are_still_right_after_the_speed_up():
    text = capture(3) + "{ not json\n"
    with pytest.raises(streams.StreamError, match=r"listen.txt: item 4 \(line 40\)"):
        streams.parse_stream(text, name="listen.txt", format="print-json")


@pytest.mark.parametrize("shape", ["print-json", "jsonl", "array", "cassette"])
def test_deep_nesting_in_a_stream_is_a_stream_error(tmp_path, capsys, shape):
    deep = {**EVENT, "data": {"object": {"id": "cus_1", "object": "customer",
                                         "metadata": json.loads("[" * 200 + "]" * 200)}}}
    text = {"print-json": json.dumps(deep, indent=2),
            "jsonl": json.dumps(deep),
            "array": json.dumps([deep]),
            "cassette": json.dumps({"format": streams.FORMAT, "events": [deep]})}[shape]
    path = tmp_path / "deep.json"
    path.write_text(text)
    code, err = cli(capsys, "replay", str(path))
    assert code == 2
    assert f"{path}" in err and "nested more than 64 levels deep" in err


def test_a_stream_nested_beyond_the_parser_is_exit_2_not_a_traceback(tmp_path):
    path = tmp_path / "deeper.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "replay", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "nested more than 64 levels deep" in proc.stderr


def test_a_reproduce_blob_that_inflates_without_end_is_refused(capsys):
    import base64
    import zlib

    blob = base64.urlsafe_b64encode(zlib.compress(b"[" * 50_000_000, 9)).decode().rstrip("=")
    assert len(blob) < 100_000
    tracemalloc.start()
    try:
        code, err = cli(capsys, "fuzz", "--reproduce", blob)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2 and "larger than 1 MiB" in err
    assert peak < 20 * 2**20
