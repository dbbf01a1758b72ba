"""Measures of work that do not depend on the machine's speed, for the hostile-input tests.

`lines_run` counts the Python lines a call executes inside one module; `ScanCountingStr` counts
the characters that str scans (count, find, slices, split) touch. A linear algorithm does work
in proportion to its input; a quadratic one does not, whatever the machine.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any


def lines_run(module: Any, call: Callable[[], Any]) -> tuple[int, Any]:
    """(Python lines executed in `module`'s file during call(), call's result or exception)."""
    filename = module.__file__
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result: Any = call()
    except Exception as exc:  # the caller asserts on it
        result = exc
    finally:
        sys.settrace(previous)
    return count, result


class ScanCountingStr(str):
    """A str that adds up how many characters its scanning methods examine."""

    scanned = 0

    @staticmethod
    def _span(length: int, start: Any, end: Any) -> int:
        begin, stop, _ = slice(start, end).indices(length)
        return max(stop - begin, 0)

    def count(self, sub: Any, start: Any = None, end: Any = None) -> int:
        ScanCountingStr.scanned += self._span(len(self), start, end)
        return super().count(sub, start, end)

    def find(self, sub: Any, start: Any = None, end: Any = None) -> int:
        found = super().find(sub, start, end)
        stop = len(self) if found == -1 else found + len(sub)
        ScanCountingStr.scanned += self._span(len(self), start, stop)
        return found

    def __getitem__(self, key: Any) -> str:
        piece = super().__getitem__(key)
        ScanCountingStr.scanned += len(piece)
        return piece

    def split(self, *args: Any, **kw: Any) -> list[str]:
        ScanCountingStr.scanned += len(self)
        return super().split(*args, **kw)

    def strip(self, *args: Any) -> str:
        ScanCountingStr.scanned += len(self)
        return ScanCountingStr(super().strip(*args))
