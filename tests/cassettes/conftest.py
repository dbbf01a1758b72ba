"""Options and fixtures for the cassette tests.

`--live` opts in to re-recording the API cassettes against Stripe test mode; with it, the test
also needs STRIPE_TEST_KEY (a test-mode key) in the environment. pytest registers options only
from conftest files it loads at start-up, so name this folder: pytest tests/cassettes --live
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

# The flow helpers sit next to this file; make them importable under any pytest import mode.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("harness").addoption(
        "--live", action="store_true", default=False,
        help="re-record the API cassettes against Stripe test mode (needs STRIPE_TEST_KEY)")


@pytest.fixture
def stripe_test_key(request: pytest.FixtureRequest) -> str:
    """The test-mode key to re-record with; skips unless --live and STRIPE_TEST_KEY are set."""
    if not request.config.getoption("--live", default=False):
        pytest.skip("re-recording against Stripe needs: pytest tests/cassettes --live -m live")
    key = os.environ.get("STRIPE_TEST_KEY", "")
    if not key:
        pytest.skip("re-recording against Stripe needs STRIPE_TEST_KEY in the environment")
    if not key.startswith(("sk_test_", "rk_test_")):
        pytest.fail("STRIPE_TEST_KEY must be a test-mode key (sk_test_… or rk_test_…)",
                    pytrace=False)
    return key


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket connection fails the test: replay must come from the cassette alone."""

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"a replay tried to open a connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
