"""`portal-harness serve`: the fake Stripe API for an app started by hand, plays on request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.errors import ConfigError
from harness.serve import StripeService
from harness.targets.files import free_port

pytestmark = pytest.mark.http

PYTHON_APP = Path(__file__).resolve().parents[2] / "examples" / "python-app"


@pytest.fixture
def service() -> Iterator[StripeService]:
    with StripeService(api_version="2025-03-31.basil") as svc:
        yield svc


def start_python_app(service: StripeService, tmp_path: Path, token: str, bug: str = ""
                     ) -> tuple[subprocess.Popen, str]:
    """The Python example, started by hand with the environment serve prints."""
    port = free_port()
    env = {**os.environ, **service.environment(), "PORT": str(port), "BUG": bug,
           "DB_PATH": str(tmp_path / "app.db")}
    proc = subprocess.Popen([sys.executable, "app.py", token], cwd=PYTHON_APP, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return proc, f"{base}/api/webhooks/stripe"
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(10)


def test_play_forwards_signed_events_and_answers_the_report(service, tmp_path, token):
    app, webhook_url = start_python_app(service, tmp_path, token)
    try:
        r = httpx.post(f"{service.url}/_harness/play", timeout=60, headers=service.token_header,
                       data={"scenario": "upgrade", "delivery": "in_order",
                             "webhook_url": webhook_url})
        report = r.json()
        assert r.status_code == 200 and report["ok"], report
        assert report["scenario"] == "upgrade" and report["api_version"] == "2025-03-31.basil"
        assert report["replay"].startswith(f"curl -s -X POST {service.url}/_harness/play")
        listed = httpx.get(f"{service.url}/_harness/events", headers=service.token_header).json()
        genuine = [d for d in listed["deliveries"] if d["genuine"]]
        assert len(listed["events"]) == report["events"] == len(genuine)
        assert all(d["status"] == 200 for d in genuine)
        # the security checks' tampered copies were sent too, and refused
        assert {d["status"] for d in listed["deliveries"] if not d["genuine"]} == {400}
        # the app read the played subscription from the fake while the play waited for it
        assert any(req.path.startswith("/v1/subscriptions/") for req in service.fake.requests)
    finally:
        stop(app)
    auth = service.token_header
    assert httpx.post(f"{service.url}/_harness/reset", headers=auth).json() == {"ok": True}
    assert httpx.get(f"{service.url}/_harness/events", headers=auth).json() == {
        "events": [], "deliveries": []}


def test_play_reports_an_app_that_refuses_events(service, tmp_path, token):
    app, webhook_url = start_python_app(service, tmp_path, token, bug="period_top_level")
    try:
        report = httpx.post(f"{service.url}/_harness/play", timeout=60,
                            headers=service.token_header, json={
            "scenario": "upgrade", "delivery": "shuffled", "webhook_url": webhook_url}).json()
    finally:
        stop(app)
    assert not report["ok"]
    assert {"delivery.crashed", "delivery.rejected"} <= {v["check"] for v in report["violations"]}


def test_play_without_a_webhook_url_keeps_the_events(service):
    report = service.play("checkout", seed=3)
    assert report["ok"] and report["events"] > 0
    assert len(service.events) == report["events"]
    assert all(d["url"] is None for d in service.deliveries)


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"scenario": "nope"}, 400, "no scenario named 'nope'"),
    ({"delivery": "in_order"}, 400, "the field 'scenario' is required"),
    ({"scenario": "upgrade", "speed": "fast"}, 400, "unknown field 'speed'"),
    ({"scenario": "upgrade", "delivery": "sideways"}, 400, "delivery 'sideways'"),
    ({"scenario": "upgrade", "webhook_url": "http://127.0.0.1:9/x"}, 502,
     "webhook_url http://127.0.0.1:9/x is unreachable"),
])
def test_a_wrong_play_request_is_answered_with_a_stripe_shaped_error(service, data, status,
                                                                      message):
    r = httpx.post(f"{service.url}/_harness/play", data=data, headers=service.token_header)
    assert r.status_code == status
    assert message in r.json()["error"]["message"]


def test_a_wrong_webhook_secret_is_refused():
    with pytest.raises(ConfigError, match="starts with whsec_"):
        StripeService(webhook_secret="secret")


def test_serve_command_prints_the_environment_and_stops_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "--port", "0",
                             "--api-version", "2025-03-31.basil"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env = {}
        while len(env) < 4:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            key, _, value = line.strip().partition("=")
            env[key] = value
        assert set(env) == {"STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                            "PORTAL_HARNESS_TOKEN"}
        assert env["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        health = httpx.get(f"{env['STRIPE_API_BASE']}/_harness/health").json()
        assert health["api_version"] == "2025-03-31.basil"
        customer = httpx.get(f"{env['STRIPE_API_BASE']}/v1/customers/cus_missing",
                             headers={"Authorization": f"Bearer {env['STRIPE_SECRET_KEY']}"})
        assert customer.status_code == 404  # a real Stripe-shaped API behind it
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "serve stopped" in err


def test_serve_command_names_a_port_in_use(capsys):
    from harness.cli import main

    with StripeService() as taken:
        port = taken.url.rsplit(":", 1)[1]
        assert main(["serve", "--port", port]) == 2
    assert f"--port {port}: cannot listen" in capsys.readouterr().err
