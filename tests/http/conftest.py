"""Helpers for the tests that start apps as separate processes and talk to them over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def node_ready() -> str | None:
    """Why the Node example cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (EXAMPLES / "node-app" / "node_modules" / "stripe").is_dir():
        return "run `npm ci` in examples/node-app first"
    return None


@pytest.fixture
def node() -> None:
    """Skips the test when the Node example cannot run (CI runs `npm ci`, so it runs there)."""
    reason = node_ready()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


def dump_toml(data: dict[str, Any]) -> str:
    """Enough TOML for a target file: top-level keys, tables, inline tables for nested dicts."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    top = [f"{json.dumps(k)} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [f"[{k}]\n" + "\n".join(f"{json.dumps(kk)} = {value(vv)}" for kk, vv in v.items())
              for k, v in data.items() if isinstance(v, dict)]
    return "\n".join(top) + "\n\n" + "\n\n".join(tables) + "\n"


def processes_with(token: str) -> list[str]:
    """`ps` lines of processes whose command line contains token (this test's own apps)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True,
                         check=True).stdout
    return [line.strip() for line in out.splitlines() if token in line]


@pytest.fixture
def token() -> str:
    """A marker put on the command line of every app this test starts, to find leftovers."""
    return f"harness-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def target_copy(tmp_path: Path, token: str) -> Callable[..., Path]:
    """Copy an example's target file into tmp_path with changes (`section__key=value`); the app
    still runs in the example's folder and carries `token` on its command line."""

    def make(example: str, name: str = "harness.toml", *, mark: bool = True,
             **changes: Any) -> Path:
        src = EXAMPLES / example / name
        data = tomllib.loads(src.read_text())
        data["app"]["cwd"] = str(src.parent)
        if mark:  # the example apps ignore extra arguments
            data["app"]["command"] = [*data["app"]["command"], token]
        for dotted, new in changes.items():
            section, _, key = dotted.partition("__")
            if key:
                data[section][key] = new
            else:
                data[section] = new
        out = tmp_path / f"{example}-{name}"
        out.write_text(dump_toml(data))
        return out

    return make


@pytest.fixture
def write_target(tmp_path: Path) -> Callable[[dict[str, Any] | str], Path]:
    """Write a target file (a dict, or TOML text as is) into tmp_path."""

    def write(data: dict[str, Any] | str) -> Path:
        path = tmp_path / "target.toml"
        path.write_text(data if isinstance(data, str) else dump_toml(data))
        return path

    return write


@pytest.fixture
def no_leftovers(token: str) -> Callable[[], None]:
    """Call at the end of a test: fails if a process carrying the token still runs."""

    def check() -> None:
        left = processes_with(token)
        assert not left, f"processes left running: {left}"

    return check
