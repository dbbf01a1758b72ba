"""SIGTERM and SIGHUP (timeout, docker stop, CI cancellation, a closed terminal) stop a run
like Ctrl-C: the app's whole process group is stopped, the temporary folder removed, and the
exit code is 128 + the signal's number.

Before, Python died at once: the app kept running (with the webhook secret on its command
line, when the target file puts it there) and the folder stayed behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.http


def start(argv: list[str], tmpdir: Path, cwd: Path | None = None) -> subprocess.Popen:
    # TMPDIR: where the run's {tmp} folder is made; faulthandler: stacks if it ever hangs
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONFAULTHANDLER": "1"}
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_the_app_mid_run(tmpdir: Path, proc: subprocess.Popen) -> Path:
    """The run's temporary folder, once the app has written its database into it."""
    deadline = time.monotonic() + 60
    while True:
        found = list(tmpdir.glob("portal-harness-*/app.db"))
        if found:
            return found[0].parent
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the app never started"
        time.sleep(0.05)


def stop_with(proc: subprocess.Popen, signum: int) -> str:
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"still running 60 s after {signal.Signals(signum).name}:\n{err}")
    finally:
        if proc.poll() is None:
            proc.kill()
    return err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_signal_to_run_config_stops_the_app_and_removes_the_folder(
        tmp_path, target_copy, token, no_leftovers, signum):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    path = target_copy("python-app")
    proc = start([sys.executable, "-m", "harness.cli", "run", "--config", str(path)], tmpdir)
    folder = wait_for_the_app_mid_run(tmpdir, proc)
    err = stop_with(proc, signum)
    assert proc.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err
    assert "Traceback" not in err
    no_leftovers()  # no process of the app's group (each carries the token) is left
    assert not folder.exists()
    assert list(tmpdir.iterdir()) == []


def test_a_signal_to_pytest_with_harness_config_stops_the_app(tmp_path, target_copy, token,
                                                             no_leftovers):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    path = target_copy("python-app")
    proc = start([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                  "--harness-config", str(path), "-q"], tmpdir, cwd=project)
    folder = wait_for_the_app_mid_run(tmpdir, proc)
    err = stop_with(proc, signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM, err
    no_leftovers()
    assert not folder.exists()
    assert list(tmpdir.iterdir()) == []


def test_a_second_signal_does_not_cut_the_cleanup_short(tmp_path, target_copy, token,
                                                       no_leftovers):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    path = target_copy("python-app")
    proc = start([sys.executable, "-m", "harness.cli", "run", "--config", str(path)], tmpdir)
    folder = wait_for_the_app_mid_run(tmpdir, proc)
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)
    err = stop_with(proc, signal.SIGHUP)
    # pending signals are handled in number order, so either may come first; one is acted on
    assert proc.returncode in (128 + signal.SIGTERM, 128 + signal.SIGHUP), err
    assert err.count("stopped by") == 1 and "Traceback" not in err
    no_leftovers()
    assert not folder.exists()
