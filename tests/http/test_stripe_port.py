"""[stripe].port serves the fake Stripe API where an app started by hand expects it."""

from __future__ import annotations

import socket

import pytest

from harness import Session
from harness.errors import ConfigError

pytestmark = pytest.mark.http


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_stripe_port(examples, tmp_path, port: int):
    text = (examples / "python-app" / "harness.toml").read_text()
    text = text.replace('cwd = "."', f'cwd = "{examples / "python-app"}"')
    path = tmp_path / "harness.toml"
    path.write_text(text + f"\n[stripe]\nport = {port}\n")
    return path


def test_the_fake_stripe_api_listens_on_the_configured_port(examples, tmp_path):
    port = _free_port()
    config = _with_stripe_port(examples, tmp_path, port)
    with Session.create(config=str(config), scenarios=["upgrade"],
                        deliveries=["in_order"]) as session:
        assert session.runner.fake.url == f"http://127.0.0.1:{port}"
        report = session.run()
    assert report.ok, report.failures[0].failure_text()


def test_a_port_in_use_is_a_clear_error(examples, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = _with_stripe_port(examples, tmp_path, port)
        with pytest.raises(ConfigError, match=rf"\[stripe\]\.port {port}"):
            Session.create(config=str(config), scenarios=["upgrade"])
