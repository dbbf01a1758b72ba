"""Scale-out: `run --jobs N` and `run --shard I/N` give the verdicts of one plain run."""

from __future__ import annotations

import json

import pytest

from harness.cli import main
from harness.run_parallel import effective_jobs, parse_shard, shard

# 2 scenarios x 2 versions x 5 modes = 20 cases: enough for two worker processes.
MATRIX = ["--scenario", "upgrade", "--scenario", "cancel_at_period_end",
          "--api-version", "2024-06-20", "--api-version", "2025-09-30.clover", "--json"]


def run_json(capsys, *argv):
    code = main(["run", *MATRIX, *argv])
    out, _ = capsys.readouterr()
    report = json.loads(out)
    for r in report["results"]:
        r.pop("duration_s")
    return code, report["results"]


def test_jobs_give_the_same_results_in_the_same_order(capsys):
    code1, one = run_json(capsys, "--jobs", "1")
    code2, two = run_json(capsys, "--jobs", "2")
    assert code1 == code2 == 0
    assert len(one) == 20
    assert two == one


def test_jobs_keep_failures_seeds_and_replay_commands(capsys):
    code1, one = run_json(capsys, "--jobs", "1", "--mutant", "applies_event_snapshot",
                          "--seed", "7")
    code2, two = run_json(capsys, "--jobs", "2", "--mutant", "applies_event_snapshot",
                          "--seed", "7")
    assert code1 == code2 == 1
    assert two == one
    failed = [r for r in two if not r["ok"]]
    assert failed and all("--seed 7" in r["replay"] for r in failed)
    assert all(r["timeline"] for r in failed)


def test_shards_partition_the_matrix_in_order(capsys):
    _, full = run_json(capsys, "--jobs", "1")
    parts = [run_json(capsys, "--shard", f"{i}/3", "--jobs", "1")[1] for i in (1, 2, 3)]
    assert sorted(len(p) for p in parts) == [6, 7, 7]
    merged = [None] * len(full)
    for i, part in enumerate(parts):
        merged[i::3] = part
    assert merged == full


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1/0", "two/3", "1-2", ""])
def test_a_bad_shard_is_a_usage_error_naming_the_flag(capsys, spec):
    code = main(["run", "--scenario", "upgrade", "--shard", spec])
    _, err = capsys.readouterr()
    assert code == 2
    assert "--shard" in err and "I/N" in err


def test_shard_helpers():
    assert parse_shard("2/4") == (2, 4)
    cases = list(range(10))
    assert shard(cases, "1/4") == [0, 4, 8]
    assert shard(cases, "4/4") == [3, 7]
    assert shard(cases, None) == cases
    assert sorted(x for i in range(1, 5) for x in shard(cases, f"{i}/4")) == cases


def test_few_cases_stay_in_one_process():
    assert effective_jobs(8, 1) == 1  # one case: no worker start-up to pay
    assert effective_jobs(2, 20) == 2
    assert effective_jobs(1, 220) == 1
