"""The termination signals raise `Terminated` once, even when the first one lands where Python
drops exceptions (a __del__ method), and the handlers are put back afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from harness.termination import stop_on_signals


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60)


def test_a_signal_inside_a_finalizer_still_stops_the_run():
    proc = run("""
        import os, signal, time
        from harness.termination import Terminated, stop_on_signals

        class Finalized:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(1000):
                    pass  # the handler runs here, where its exception is dropped

        try:
            with stop_on_signals():
                Finalized()
                for _ in range(3000):
                    time.sleep(0.01)
                print("never stopped")
        except Terminated as exc:
            print("stopped", exc.exit_code)
    """)
    assert proc.stdout.strip() == "stopped 143", proc.stdout + proc.stderr


def test_only_the_first_signal_raises():
    proc = run("""
        import os, signal
        from harness.termination import Terminated, stop_on_signals

        raised = 0
        with stop_on_signals():
            try:
                os.kill(os.getpid(), signal.SIGHUP)
                for _ in range(10_000):
                    pass
            except Terminated:
                raised += 1
                os.kill(os.getpid(), signal.SIGTERM)  # during cleanup: ignored
                for _ in range(10_000):
                    pass
        print(raised)
    """)
    assert proc.stdout.strip() == "1", proc.stderr


def test_the_previous_handlers_are_restored():
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    hook = sys.unraisablehook
    with stop_on_signals():
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    assert {s: signal.getsignal(s) for s in before} == before
    assert sys.unraisablehook is hook
