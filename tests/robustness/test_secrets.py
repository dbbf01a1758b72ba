"""Secrets are never printed whole: not in errors, the app's start-up failure (in JUnit XML
too), database urls, notebook reprs; and a live key in a target file is refused.

Masks look like Stripe's own: `whsec_…abcd`, `sk_test_…abcd`, `postgresql://app:***@host`.
Live-key-shaped strings are built at run time, so no such literal is committed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ConfigError
from harness.fake_stripe.keys import DEFAULT_API_KEY
from harness.masking import mask_secret, mask_text, mask_url
from harness.run import DEFAULT_WEBHOOK_SECRET
from harness.session import Session
from harness.targets.files import load_target_file

SECRET = "whsec_" + "Zq8" * 10 + "abcd"  # this run's webhook secret
LIVE_KEY = "sk_" + "live_" + "51Hx" * 6 + "wxyz"
RESTRICTED = "rk_" + "live_" + "51Hx" * 6 + "wxyz"
PLANS = 'basic = ["price_basic_monthly"]\npro = ["price_pro_monthly"]\n'


def target(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "harness.toml"
    path.write_text(body)
    return path


def crashing_app(tmp_path: Path) -> Path:
    """An app whose command line carries the secrets, and which dies at once, printing them."""
    return target(tmp_path, f"""
[app]
command = ["{{python}}", "-c", "import sys; print('booting with', sys.argv[1:]); sys.exit(3)",
           "--webhook-secret={{webhook_secret}}", "--key={{stripe_secret_key}}"]
ready_url = "http://127.0.0.1:{{port}}/healthz"
ready_timeout = 20
[webhook]
url = "http://127.0.0.1:{{port}}/webhooks"
secret = "{SECRET}"
[plans]
{PLANS}
[state]
url = "http://127.0.0.1:{{port}}/state?customer_id={{customer_id}}"
""")


def test_masks_keep_a_prefix_and_the_last_four():
    assert mask_secret(SECRET) == "whsec_…abcd"
    assert mask_secret("sk_test_" + "a" * 20 + "1234") == "sk_test_…1234"
    assert mask_url("postgresql://app:s3cret@db:5432/app") == "postgresql://app:***@db:5432/app"
    assert mask_text(f"key {LIVE_KEY} and {SECRET}") == "key sk_live_…wxyz and whsec_…abcd"


def test_the_apps_startup_error_does_not_print_the_filled_command(tmp_path, capsys):
    code = main(["run", "--config", str(crashing_app(tmp_path)), "--scenario", "upgrade",
                 "--delivery", "in_order"])
    err = capsys.readouterr().err
    assert code == 2
    assert "the app exited with code 3" in err
    assert "--webhook-secret=whsec_…abcd" in err  # the command, masked
    assert SECRET not in err and DEFAULT_API_KEY not in err
    assert "booting with" in err  # the log tail is still shown, masked


def test_the_junit_xml_does_not_carry_the_secret_either(tmp_path):
    path = crashing_app(tmp_path)
    xml = tmp_path / "report.xml"
    project = tmp_path / "project"
    project.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--harness-config", str(path),
                           "--harness-scenario", "upgrade", "--harness-delivery", "in_order",
                           f"--junitxml={xml}", "-q"], cwd=project, capture_output=True,
                          text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = xml.read_text()
    assert "the app exited with code 3" in report
    assert SECRET not in report and SECRET not in proc.stdout + proc.stderr
    assert "whsec_…abcd" in report


def test_a_database_error_masks_the_password(tmp_path, capsys):
    path = target(tmp_path, f"""
[webhook]
url = "http://127.0.0.1:9/webhooks"
[plans]
{PLANS}
[state]
database = "postgresql://billing:hunter2-very-secret@127.0.0.1:9/app"
plan = "SELECT plan FROM users WHERE stripe_customer_id = :customer_id"
""")
    spec = load_target_file(path)
    from harness.targets.http import HttpTarget

    tgt = HttpTarget(spec, type("Fake", (), {"url": "http://127.0.0.1:9",
                                             "api_key": "sk_test_harness"})())
    try:
        with pytest.raises(ConfigError) as caught:
            tgt.state("cus_1")
    finally:
        tgt.close()
    message = str(caught.value)
    assert "[state].database" in message
    assert "hunter2-very-secret" not in message
    assert "billing:***@127.0.0.1" in message


def test_reprs_shown_in_notebooks_hide_the_webhook_secret():
    with Session.create(scenarios=["upgrade"], deliveries=["in_order"]) as session:
        shown = repr(session) + repr(session.runner)
    assert DEFAULT_WEBHOOK_SECRET not in shown
    assert mask_secret(DEFAULT_WEBHOOK_SECRET) in shown
    from harness.reference_app import AppSettings

    settings = AppSettings(stripe_api_key="sk_test_" + "k" * 24, stripe_api_base="http://x",
                           webhook_secret=SECRET, api_version="2025-03-31.basil",
                           price_plans={}, plan_order=[])
    assert SECRET not in repr(settings) and "k" * 24 not in repr(settings)


@pytest.mark.parametrize(("section", "key"), [
    ("[app.env]\nSTRIPE_SECRET_KEY = \"{key}\"\n", "app.env.STRIPE_SECRET_KEY"),
    ("[portal]\nurl = \"http://127.0.0.1:{{port}}/p\"\nheaders = {{ X-Key = \"{key}\" }}\n",
     "portal.headers.X-Key"),
])
@pytest.mark.parametrize("live", [LIVE_KEY, RESTRICTED], ids=["sk_live", "rk_live"])
def test_a_live_key_anywhere_in_a_target_file_is_refused(tmp_path, capsys, section, key, live):
    app = ('[app]\ncommand = ["{python}", "-c", "pass"]\n'
           'ready_url = "http://127.0.0.1:{port}/healthz"\n') if "app.env" in section else ""
    path = target(tmp_path, app + section.format(key=live) + f"""
[webhook]
url = "http://127.0.0.1:9/webhooks"
[plans]
{PLANS}
[state]
url = "http://127.0.0.1:9/state?customer_id={{customer_id}}"
""")
    code = main(["run", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"[{key}] holds a live Stripe key ({live[:8]}…wxyz)" in err
    assert "--allow-live-keys" in err
    assert live not in err  # the whole key is never repeated


def test_allow_live_keys_lets_the_file_through(tmp_path, capsys):
    path = target(tmp_path, f"""
[webhook]
url = "http://127.0.0.1:9/webhooks"
[plans]
{PLANS}
[state]
url = "http://127.0.0.1:9/state?customer_id={{customer_id}}"
[seed]
url = "http://127.0.0.1:9/users"
json = {{ id = "{{user_id}}", note = "{LIVE_KEY}" }}
""")
    with pytest.raises(ConfigError, match="live Stripe key"):
        load_target_file(path)
    assert load_target_file(path, allow_live_keys=True).spec.seed is not None
    code = main(["run", "--config", str(path), "--allow-live-keys"])
    err = capsys.readouterr().err
    assert code == 2 and "unreachable" in err and LIVE_KEY not in err


def test_a_wrong_serve_webhook_secret_is_not_echoed(capsys):
    wrong = "not-a-whsec-" + "s" * 30
    assert main(["serve", "--port", "0", "--webhook-secret", wrong]) == 2
    err = capsys.readouterr().err
    assert "starts with whsec_" in err and wrong not in err
