"""Test-wide configuration: the hypothesis profiles.

    dev  (default)  20 examples, no deadline: a quick local loop
    ci              200 examples, derandomized (the same examples on every run), no deadline,
                    and a reproduce blob printed with any failure

Choose one with `--hypothesis-profile ci`; where the CI environment variable is set (CI
services set it) the default is ci. Neither keeps an example database, so a run never depends
on an earlier one and the working tree stays clean.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=20, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=200, derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci" if os.environ.get("CI") else "dev")
