"""Errors the harness raises on purpose.

    HarnessError                      every deliberate error; the CLI prints it and exits 2
    ├── ConfigError                   a scenario, catalog or target file is wrong (names the field)
    │   └── ScenarioError             a scenario cannot be played (unknown plan, impossible action)
    ├── StreamError                   an imported event stream is malformed (names file and item)
    ├── TargetError                   the app under test cannot be reached or started
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


class InvariantViolation(HarnessError, AssertionError):
    """One or more contract checks failed; the report is attached as `.report`."""

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report
