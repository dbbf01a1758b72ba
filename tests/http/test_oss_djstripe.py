"""dj-stripe (PyPI), which nobody here wrote, run under the harness as a Django shop would use
it: the fake Stripe API serves every request it makes, and the verdicts are about dj-stripe.

The shop's virtualenv is built by `.ci/run` (examples/oss/dj-stripe/requirements.txt); dj-stripe
pins a stripe-python older than the harness's, so it cannot share the harness's environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import Session
from harness.targets.clock import FAKETIME_LIBRARIES

pytestmark = pytest.mark.http

SHOP = Path(__file__).resolve().parents[2] / "examples" / "oss" / "dj-stripe"


@pytest.fixture(scope="module")
def shop() -> Path:
    if not (SHOP / ".venv" / "bin" / "python").exists():
        message = ("build the shop's virtualenv first: python -m venv examples/oss/dj-stripe/.venv"
                   " && examples/oss/dj-stripe/.venv/bin/pip install -r "
                   "examples/oss/dj-stripe/requirements.txt")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHOP


def _run(config: Path, scenarios: list[str], versions: list[str], deliveries: list[str]):
    gaps: set[tuple[str, str, str]] = set()
    with Session.create(config=str(config), scenarios=scenarios, api_versions=versions,
                        deliveries=deliveries) as session:
        fake = session.runner.fake

        def collect(_result):
            gaps.update((r.method, r.path, r.gap) for r in fake.gaps)

        report = session.run(progress=collect)
        served = {(r.method, r.path.split("/")[2]) for r in fake.requests}
    return report, gaps, served


def test_the_raw_mirror_stays_in_sync_and_every_request_is_served(shop):
    report, gaps, served = _run(
        shop / "harness.toml",
        ["upgrade", "cancel_at_period_end", "payment_failed_recovered", "cancel_now",
         "pause_resume"],
        ["2024-06-20", "2025-03-31.basil"], ["in_order", "duplicated"])
    assert not gaps, f"requests the fake Stripe did not serve: {sorted(gaps)}"
    # dj-stripe really talks to Stripe: it re-fetches what each event names.
    assert {("GET", "account"), ("GET", "subscriptions"), ("GET", "invoices"),
            ("GET", "checkout")} <= served
    assert report.ok, report.failures[0].failure_text()


def test_the_model_layer_loses_the_period_from_basil_on(shop):
    """dj-stripe 2.11's Subscription.current_period_end reads the subscription's top-level
    field, which Stripe moved to the items in 2025-03-31.basil: the property is None, and
    Customer.active_subscriptions (period end in the future) drops every subscription."""
    report, gaps, _ = _run(shop / "harness-models.toml", ["upgrade"], ["2025-03-31.basil"],
                           ["in_order"])
    assert not gaps
    checks = {v.check for r in report.results for v in r.violations}
    assert checks == {"state.current_period_end", "state.plan"}, report.failures[0].failure_text()
    messages = [v.message for r in report.results for v in r.violations]
    assert any("current_period_end is None" in m for m in messages)
    assert any("plan is 'free'" in m for m in messages)


def _models_at(tmp_path: Path, version: str, follow: str) -> Path:
    text = (shop_path := SHOP / "harness-models.toml").read_text()
    text = text.replace('STRIPE_API_VERSION = "2025-03-31.basil"',
                        f'STRIPE_API_VERSION = "{version}"')
    # Periods in 2020, long before the machine's own now, wherever the tests run.
    text = text.replace('follow = "faketime"',
                        f'follow = "{follow}"\nstart = "2020-01-01T09:00:00Z"')
    text = text.replace('command = ["sh", "serve.sh"]',
                        f'command = ["sh", "serve.sh"]\ncwd = "{shop_path.parent}"')
    path = tmp_path / "harness.toml"
    path.write_text(text)
    return path


@pytest.mark.skipif(not any(Path(p).is_file() for p in FAKETIME_LIBRARIES),
                    reason="libfaketime is not installed (apt-get install faketime)")
def test_the_apps_clock_follows_the_virtual_clock(shop, tmp_path):
    """On 2024-06-20 the model layer reads the period; whether a subscription is current then
    depends on the app's clock. Following the virtual clock, the shop agrees with Stripe; on
    the machine's clock (months after the simulated periods) it revokes every plan."""
    following, _, _ = _run(_models_at(tmp_path, "2024-06-20", "faketime"), ["upgrade"],
                           ["2024-06-20"], ["in_order"])
    # On 2024-06-20 dj-stripe also fetches each invoice's charge and payment intent, which the
    # World does not model yet: reported as the harness's gaps, not as the app's defects.
    app_checks = {v.check for r in following.results for v in r.violations
                  if v.check != "harness.unserved_request"}
    assert not app_checks, following.failures[0].failure_text()

    own_clock, _, _ = _run(_models_at(tmp_path, "2024-06-20", "none"), ["upgrade"],
                           ["2024-06-20"], ["in_order"])
    assert {v.check for r in own_clock.results for v in r.violations} - \
        {"harness.unserved_request"} == {"state.plan"}
