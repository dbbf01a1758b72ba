"""Errors the harness raises on purpose.

    HarnessError                      every deliberate error; the CLI prints it and exits 2
    ├── ConfigError                   a scenario, catalog or target file is wrong (names the field)
    │   └── ScenarioError             a scenario cannot be played (unknown plan, impossible action)
    ├── StreamError                   an imported event stream is malformed (names file and item)
    ├── TargetError                   the app under test cannot be reached or started
    │   └── AppExitedError            the app's process exited during a run (the app's fault)
    └── InvariantViolation            a check failed (an AssertionError too: pytest shows a failure)
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class ConfigError(HarnessError):
    """A scenario, catalog or target file is invalid; the message names the file and field."""


class ScenarioError(ConfigError):
    """A scenario cannot be played against this catalog or API version."""


class StreamError(HarnessError):
    """An event stream (cassette or import) is malformed; the message names the item."""


class TargetError(HarnessError):
    """The app under test could not be started, reached or read."""


class AppExitedError(TargetError):
    """The app's process exited while the harness was playing a case: the app crashed.

    `returncode` is its exit code and `log_tail` the last lines it wrote; the runner turns it
    into an `app.exited` problem naming the case and the event being delivered (exit 1).
    """

    def __init__(self, message: str, *, returncode: int | None = None,
                 log_tail: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.log_tail = log_tail


class InvariantViolation(HarnessError, AssertionError):
    """One or more contract checks failed; the report is attached as `.report`."""

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report
