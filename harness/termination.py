"""SIGTERM and SIGHUP stop the harness the way Ctrl-C does: cleanly, app and files included.

`timeout`, `docker stop` and CI cancellation send SIGTERM (a closed terminal sends SIGHUP); by
default Python dies at once, skipping every `finally`, and an app started from a target file
(in its own process group) would keep running. Inside `stop_on_signals()`, the first such
signal raises `Terminated` in the main thread, so cleanup runs; later ones wait for it.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
                if s is not None)


class Terminated(KeyboardInterrupt):
    """Raised by a termination signal; a KeyboardInterrupt, so cleanup code treats it alike."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # as a shell reports a process killed by that signal

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM / SIGHUP raise Terminated (once); outside, as before."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = install()
    try:
        yield
    finally:
        restore(previous)


def install(on_signal: Callable[[int], None] | None = None) -> dict[Any, Any]:
    """Set the handlers (on_signal is told the signal first); returns the previous ones for
    restore()."""
    fired = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal fired
        if fired:
            return  # cleanup is under way; a second TERM must not cut it short
        fired = True
        if on_signal is not None:
            on_signal(signum)
        raise Terminated(signum)

    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        # Raised while Python ran a __del__ or a GC callback, the exception was dropped: raise it
        # again shortly (a one-off alarm, handled in the main thread), where it can stop the run.
        if isinstance(info.exc_value, Terminated) and hasattr(signal, "setitimer"):
            signum = info.exc_value.signum
            before = signal.getsignal(signal.SIGALRM)

            def again(*_: Any) -> None:
                signal.signal(signal.SIGALRM, before if before is not None else signal.SIG_DFL)
                raise Terminated(signum)

            signal.signal(signal.SIGALRM, again)
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            return
        previous_hook(info)

    sys.unraisablehook = unraisable
    previous: dict[Any, Any] = {s: signal.signal(s, handler) for s in SIGNALS}
    previous["unraisablehook"] = previous_hook
    return previous


def restore(previous: dict[Any, Any]) -> None:
    for key, handler in previous.items():
        if key == "unraisablehook":
            sys.unraisablehook = handler
        else:
            signal.signal(key, handler if handler is not None else signal.SIG_DFL)
