"""pytest plugin: the contract as ordinary pytest items (options and fixtures come next).

Imports only pytest and the standard library at the top; everything else loads lazily.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "portal-harness contract tests")
    group.addoption("--harness-config", default=None, metavar="FILE",
                    help="a portal-harness target file (TOML) to run the contract against")
