"""Wrong target files: each gives a clear error naming the key, query or url, the CLI exits 2,
and no process the harness started is left running."""

from __future__ import annotations

import http.server
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ConfigError, TargetError
from harness.session import Session

pytestmark = pytest.mark.http

PLANS = {"basic": ["price_basic_monthly"], "pro": ["price_pro_monthly"]}


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for a parent that never reaps it does not)."""
    out = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    state = out.stdout.strip()
    return bool(state) and not state.startswith("Z")


def cli_error(capsys, path: Path, *argv: str) -> str:
    code = main(["run", "--config", str(path), "--scenario", "upgrade",
                 "--delivery", "in_order", *argv])
    _, err = capsys.readouterr()
    assert code == 2, err
    return err


def script_app(token: str, code: str, *, ready_timeout: float = 5) -> dict:
    """A target whose [app] is a Python one-liner (carrying the token) on a free port."""
    return {
        "app": {"command": ["{python}", "-c", code, token],
                "ready_url": "http://127.0.0.1:{port}/healthz", "ready_timeout": ready_timeout},
        "webhook": {"url": "http://127.0.0.1:{port}/webhooks"},
        "plans": PLANS,
        "state": {"url": "http://127.0.0.1:{port}/state?customer_id={customer_id}"},
    }


def test_unknown_key_is_named_with_a_suggestion(capsys, write_target):
    path = write_target("""
[app]
comand = ["node", "server.js"]
ready_url = "http://127.0.0.1:8301/healthz"
[webhook]
url = "http://127.0.0.1:8301/api/webhooks/stripe"
[plans]
pro = ["price_pro_monthly"]
[state]
url = "http://127.0.0.1:8301/state?customer_id={customer_id}"
""")
    with pytest.raises(ConfigError, match=r"\[app.comand\]: unknown key \(did you mean 'command'"):
        Session.create(config=str(path))
    err = cli_error(capsys, path)
    assert f"{path}: invalid target file" in err
    assert "[app.command]: Field required" in err


def test_unknown_placeholder_is_named(capsys, write_target, token):
    data = script_app(token, "pass")
    data["app"]["env"] = {"STRIPE_API_BASE": "{stripe_api_bse}"}
    data["webhook"]["url"] = "http://127.0.0.1:{port}/hooks/{user_id}"
    err = cli_error(capsys, write_target(data))
    assert "[app.env.STRIPE_API_BASE]: {stripe_api_bse}: unknown placeholder" in err
    assert "[webhook.url]: {user_id}: only in [seed], [state] and [portal]" in err


def test_bad_sql_names_the_key_and_the_query(capsys, target_copy, no_leftovers):
    query = "SELECT plan FROM userz WHERE stripe_customer_id = :customer_id"
    path = target_copy("python-app", state__plan=query)
    with (Session.create(config=str(path)) as session,
          pytest.raises(ConfigError, match=r"\[state\]\.plan failed: no such table: userz")):
        session.run()
    no_leftovers()
    err = cli_error(capsys, path)
    assert f"query: {query}" in err
    no_leftovers()


def test_unreachable_webhook_url_is_named(capsys, target_copy, no_leftovers):
    from harness.targets.files import free_port

    url = f"http://127.0.0.1:{free_port()}/api/webhooks/stripe"
    path = target_copy("python-app", webhook__url=url)
    with pytest.raises(TargetError, match=rf"\[webhook\]\.url {url} is unreachable"):
        Session.create(config=str(path))
    no_leftovers()
    assert f"[webhook].url {url} is unreachable" in cli_error(capsys, path)
    no_leftovers()


def test_webhook_url_with_a_wrong_path_is_named(capsys, target_copy, no_leftovers):
    path = target_copy("python-app", webhook__url="http://127.0.0.1:{port}/webhooks/stripe")
    err = cli_error(capsys, path)
    assert "/webhooks/stripe answered 404 to a test POST" in err
    no_leftovers()


def test_app_that_never_gets_ready_is_stopped(capsys, write_target, token, no_leftovers):
    # The app starts a child of its own too: the whole process group must go.
    code = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', sys.argv[1]]);"
            " print('warming up the cache', flush=True); time.sleep(60)")
    path = write_target(script_app(token, code, ready_timeout=1))
    with pytest.raises(TargetError, match=r"\[app\]\.ready_url http://127\.0\.0\.1:\d+/healthz "
                                          r"did not answer within 1 s") as info:
        Session.create(config=str(path))
    assert "| warming up the cache" in str(info.value)  # the app's log tail
    no_leftovers()
    assert "did not answer within 1 s" in cli_error(capsys, path)
    no_leftovers()


def test_app_that_crashes_at_start_shows_its_log(capsys, write_target, token, no_leftovers):
    code = "import sys; print('missing environment variable DATABASE_URL'); sys.exit(3)"
    path = write_target(script_app(token, code))
    with pytest.raises(TargetError, match="exited with code 3 before"):
        Session.create(config=str(path))
    err = cli_error(capsys, path)
    assert "app log (last lines):\n  | missing environment variable DATABASE_URL" in err
    no_leftovers()


def test_command_that_does_not_exist_is_named(capsys, write_target, token):
    data = script_app(token, "pass")
    data["app"]["command"] = ["no-such-program-" + token]
    err = cli_error(capsys, write_target(data))
    assert "[app].command ['no-such-program-" in err and "cannot start" in err


def test_a_port_already_in_use_is_refused_before_starting(capsys, write_target, token,
                                                        no_leftovers):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        data = script_app(token, "import time; time.sleep(60)")
        data["app"]["ready_url"] = f"http://127.0.0.1:{server.server_port}/"
        err = cli_error(capsys, write_target(data))
    finally:
        server.shutdown()
        server.server_close()
    assert "answers before the app is started: another program" in err
    no_leftovers()


def test_ctrl_c_stops_the_app_and_its_children(tmp_path, write_target, token, no_leftovers):
    """SIGINT to `portal-harness run` while the app starts: exit 130, the group is gone."""
    pids = tmp_path / "pids"
    code = ("import os, subprocess, sys, time; "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
            "sys.argv[1]]); "
            f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{c.pid}}'); time.sleep(60)")
    path = write_target(script_app(token, code, ready_timeout=30))
    harness = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--config", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not (pids.exists() and pids.read_text()):
            assert time.monotonic() < deadline, "the app never started"
            time.sleep(0.05)
        app_pid, child_pid = map(int, pids.read_text().split())
        harness.send_signal(signal.SIGINT)
        _, err = harness.communicate(timeout=15)
    finally:
        if harness.poll() is None:
            harness.kill()
    assert harness.returncode == 130, err
    assert "interrupted" in err
    assert not alive(app_pid) and not alive(child_pid)
    no_leftovers()


CRASHING_APP = '''
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self):
        if self.headers.get("Stripe-Signature"):
            print("panic: cannot read property 'items' of undefined", flush=True)
            os._exit(2)
        self.send_response(400)
        self.end_headers()

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def test_app_that_crashes_during_the_run_shows_its_log(capsys, write_target, tmp_path, token,
                                                       no_leftovers):
    app = tmp_path / "app.py"
    app.write_text(CRASHING_APP)
    data = script_app(token, "")
    data["app"]["command"] = ["{python}", str(app), "{port}", token]
    # A crash is the app's defect (exit 1), reported in the case it happened in.
    code = main(["run", "--config", str(write_target(data)), "--scenario", "upgrade",
                 "--delivery", "in_order"])
    out, _ = capsys.readouterr()
    assert code == 1, out
    assert "app.exited: the app exited (code 2) in case upgrade-" in out
    assert "| panic: cannot read property 'items' of undefined" in out
    assert "The run stopped: the app exited during upgrade-" in out
    no_leftovers()


def test_an_app_answering_deeply_nested_state_json_is_a_clear_error(httpserver, tmp_path,
                                                                     capsys):
    httpserver.expect_request("/webhooks", method="POST").respond_with_data("ok")
    httpserver.expect_request("/state").respond_with_data(
        "[" * 100_000 + "]" * 100_000, content_type="application/json")
    path = tmp_path / "target.toml"
    path.write_text(f"""
[webhook]
url = "{httpserver.url_for('/webhooks')}"
[plans]
basic = ["price_basic_monthly"]
[state]
url = "{httpserver.url_for('/state')}?customer_id={{customer_id}}"
""")
    code = main(["run", "--config", str(path), "--scenario", "checkout",
                 "--delivery", "in_order", "--api-version", "2025-03-31.basil"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "[state].url" in err and "nested too deeply" in err
