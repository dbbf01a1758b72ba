"""One clock for Stripe and the app: the virtual clock's start, and an app clock that follows it.

Apps compare Stripe's periods with their own clock ("is current_period_end still ahead?"). The
simulator's virtual clock starts at a fixed moment (2026-01-01 09:00 UTC, so a seed gives
byte-identical events) and jumps ahead by days; an app reading the machine's clock disagrees.
Two remedies, combinable:

- `start`: the virtual clock's first moment: "fixed" (the default), "now" (the machine's time,
  read once per run and printed in every replay command, so a failure still replays exactly),
  a unix time or an ISO 8601 time. `resolve_start` turns the option into seconds.
- `AppClock`: a file the harness rewrites before every delivery, seed, state read and portal
  call with the virtual time of that moment. `follow = "faketime"` preloads libfaketime into the
  app's process (Debian: `apt-get install faketime`), so the app's wall clock is that time;
  `follow = "file"` only writes the file (`{clock_file}`: unix seconds) for apps that set their
  own time. Under libfaketime deliveries are signed at the virtual time too, so a signature's
  timestamp agrees with the app's clock; with a clock file they are signed at the wall clock,
  which the SDKs' signature checks read.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError

FOLLOW_MODES = ("none", "file", "faketime")
# Where Debian and Ubuntu (package libfaketime), Fedora and Homebrew put the library.
FAKETIME_LIBRARIES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib64/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.1.dylib",
    "/opt/homebrew/lib/faketime/libfaketime.1.dylib",
)


def resolve_start(value: str | int | None, *, where: str = "--clock-start") -> int | None:
    """Seconds since the epoch for a clock-start option; None for the fixed default."""
    if value is None or value == "fixed":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif value == "now":
        seconds = int(time.time())
    elif isinstance(value, str) and value.lstrip("-").isdigit():
        seconds = int(value)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{where} {value!r}: expected fixed, now, a unix time or an "
                              "ISO 8601 time such as 2026-01-01T09:00:00Z") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        seconds = int(parsed.timestamp())
    else:
        raise ConfigError(f"{where} {value!r}: expected fixed, now, a unix time or an ISO time")
    if not 946684800 <= seconds <= 4102444800:  # 2000-01-01 .. 2100-01-01
        raise ConfigError(f"{where} {value!r}: outside 2000-2100")
    return seconds


def faketime_library(configured: str | None = None) -> str:
    """The libfaketime shared library to preload, or a ConfigError saying how to install it."""
    candidates = [configured] if configured else [
        os.environ.get("PORTAL_HARNESS_FAKETIME_LIB"), *FAKETIME_LIBRARIES]
    for path in candidates:
        if path and Path(path).is_file():
            return path
    raise ConfigError(
        "[clock].follow = \"faketime\" needs libfaketime, which was not found"
        + (f" at {configured}" if configured else f" (looked in {', '.join(FAKETIME_LIBRARIES)})")
        + ": install it (Debian/Ubuntu: apt-get install faketime) or name the library in "
        "[clock].library")


def app_clock_for(target_file: Any, folder: str) -> AppClock | None:
    """The app's clock file(s) when the target file's [clock].follow asks for them."""
    spec = target_file.spec.clock
    if spec.follow == "none":
        return None
    try:
        return AppClock(folder, spec.follow, spec.library)
    except ConfigError as exc:
        raise ConfigError(f"{target_file.path}: {exc}") from None


class AppClock:
    """The app's clock file(s), rewritten by the harness as virtual time moves."""

    def __init__(self, folder: str | Path, follow: str, library: str | None = None) -> None:
        if follow not in FOLLOW_MODES[1:]:
            raise ValueError(f"follow must be one of {FOLLOW_MODES[1:]}")
        self.follow = follow
        self.path = Path(folder) / "clock"  # unix seconds, for apps that read it
        self.faketime_path = Path(folder) / "faketime"  # libfaketime's "@<unix seconds>"
        self.library = faketime_library(library) if follow == "faketime" else None
        self.now: int | None = None

    def env(self) -> dict[str, str]:
        """What the app's process needs in its environment."""
        out = {"PORTAL_HARNESS_CLOCK_FILE": str(self.path)}
        if self.library:
            preload = os.environ.get("LD_PRELOAD", "")
            out.update({
                "LD_PRELOAD": f"{self.library} {preload}".strip(),
                "DYLD_INSERT_LIBRARIES": self.library,  # macOS
                "FAKETIME_TIMESTAMP_FILE": str(self.faketime_path),
                "FAKETIME_FMT": "%s",
                # Re-read the file at every clock read: it changes between two requests.
                "FAKETIME_NO_CACHE": "1",
            })
        return out

    def set(self, when: int) -> None:
        """Move the app's clock to `when` (it ticks on from there until the next set)."""
        if when == self.now:
            return
        self.now = when
        _write(self.path, f"{when}\n")
        if self.library:
            # Unix seconds (FAKETIME_FMT=%s), so the app's time zone cannot shift it: Django,
            # for one, sets TZ after start-up.
            _write(self.faketime_path, f"@{when}\n")


def _write(path: Path, text: str) -> None:
    """Replace the file at once, so a reader never sees it half written."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
