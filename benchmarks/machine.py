"""The machine a benchmark ran on, printed above its figures: a figure means little without it.

    from machine import describe; print(describe())
"""

from __future__ import annotations

import os
import platform
import sys


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def describe() -> str:
    """One line: cores, CPU, Python, OS and the load when the benchmark started."""
    try:
        load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (f"machine: {cores()} cores ({cpu_model()}), {platform.python_implementation()} "
            f"{platform.python_version()}, {platform.system()} {platform.release()}; {load}"
            f"{' (busy: figures are slower than on a quiet machine)' if _busy() else ''}")


def _busy() -> bool:
    try:
        return os.getloadavg()[0] > cores() * 0.75
    except OSError:
        return False


if __name__ == "__main__":
    print(describe(), file=sys.stdout)
