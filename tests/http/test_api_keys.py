"""Keys shaped like Stripe's: the default passes libraries that check a key's format, and a
target file may name its own key in [stripe].api_key."""

from __future__ import annotations

import re

import pytest
import stripe

from harness import Session
from harness.errors import ConfigError
from harness.fake_stripe import FakeStripe
from harness.fake_stripe.keys import DEFAULT_API_KEY, check_api_key
from harness.scenario.catalog import default_catalog
from harness.sim import World

pytestmark = pytest.mark.http

# dj-stripe 2.11, djstripe/models/api.py: API_KEY_REGEX
DJSTRIPE_KEY_REGEX = r"^(pk|sk|rk)_(test|live)_[a-zA-Z0-9]{24,}$"


def test_the_default_key_has_the_shape_of_a_real_test_key():
    assert re.match(DJSTRIPE_KEY_REGEX, DEFAULT_API_KEY)
    assert DEFAULT_API_KEY.startswith("sk_test_")
    assert FakeStripe(World(default_catalog(), "2024-06-20")).api_key == DEFAULT_API_KEY


@pytest.mark.parametrize("bad", ["sk_test_harness", "pk_test_" + "a" * 30, "sk_test_" + "a-" * 20])
def test_a_key_of_another_shape_is_refused(bad):
    with pytest.raises(ValueError, match="not shaped like a Stripe test key"):
        check_api_key(bad)


def test_a_live_key_is_refused():
    with pytest.raises(ValueError, match="live-mode key"):
        check_api_key("sk_" + "live_" + "a" * 30)


def _with_stripe_section(examples, tmp_path, section: str):
    text = (examples / "python-app" / "harness.toml").read_text()
    text = text.replace('cwd = "."', f'cwd = "{examples / "python-app"}"')
    path = tmp_path / "harness.toml"
    path.write_text(text + f"\n[stripe]\n{section}\n")
    return path


def test_the_key_named_in_the_target_file_is_the_one_served(examples, tmp_path):
    key = "sk_test_" + "MyOwnKey" * 4
    config = _with_stripe_section(examples, tmp_path, f'api_key = "{key}"')
    with Session.create(config=str(config), scenarios=["upgrade"],
                        deliveries=["in_order"]) as session:
        fake = session.runner.fake
        assert fake.api_key == key
        assert session.runner.target.values["stripe_secret_key"] == key
        with pytest.raises(stripe.AuthenticationError):
            fake.stripe_client(api_key=DEFAULT_API_KEY).v1.customers.retrieve("cus_missing")
        report = session.run()
    assert report.ok, report.failures[0].failure_text()


def test_a_badly_shaped_key_in_the_target_file_names_the_key(examples, tmp_path):
    config = _with_stripe_section(examples, tmp_path, 'api_key = "sk_test_short"')
    with pytest.raises(ConfigError, match=r"\[stripe\.api_key\]: not shaped like"):
        Session.create(config=str(config), scenarios=["upgrade"])


def test_a_clock_file_follows_the_virtual_clock(examples, tmp_path):
    """[clock].follow = "file": the harness writes the virtual time for apps that read it."""
    config = _with_stripe_section(examples, tmp_path, "")
    config.write_text(config.read_text() + '\n[clock]\nfollow = "file"\n'
                      'start = "2026-03-01T00:00:00Z"\n')
    seen = []
    with Session.create(config=str(config), scenarios=["renewal"],
                        deliveries=["in_order"], api_versions=["2025-03-31.basil"]) as session:
        target, fake = session.runner.target, session.runner.fake

        def look(result):
            seen.append((int(target.clock.path.read_text()), fake.world.now, result))

        report = session.run(progress=look)
        assert target.values["clock_file"] == str(target.clock.path)
    assert report.ok, report.failures[0].failure_text()
    (app_now, world_now, _result) = seen[0]
    assert 1772323200 < world_now <= app_now < 1772323200 + 120 * 86400
