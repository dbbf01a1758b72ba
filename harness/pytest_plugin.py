"""pytest plugin: the contract as ordinary pytest items, and fixtures for your own tests.

With --harness-config FILE every case (scenario x API version x delivery mode) becomes one item,
`harness::upgrade[2025-03-31.basil-shuffled]`; the app is started once and always stopped.
Fixtures: fake_stripe, reference_app, hosted_pages, harness_api_version, harness_seed,
harness_webhook_secret, harness_session. Imports only pytest and the standard library here;
no autouse fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "portal-harness contract tests")
    group.addoption("--harness-config", default=None, metavar="FILE",
                    help="a portal-harness target file (TOML): run the contract against that "
                         "app, one test item per scenario x API version x delivery mode")
    group.addoption("--harness-scenario", action="append", default=None, metavar="NAME",
                    help="only this scenario (name or file; repeatable; default: all)")
    group.addoption("--harness-api-version", action="append", default=None, metavar="V",
                    help="only this API version (repeatable; default: the target file's "
                         "[webhook].api_versions, else the harness's defaults); the first one "
                         "is also the harness_api_version fixture")
    group.addoption("--harness-delivery", action="append", default=None, metavar="MODE",
                    help="only this delivery mode: in_order, shuffled, duplicated, retried, "
                         "delayed or chaos (repeatable; default: all but chaos)")
    group.addoption("--harness-seed", type=int, default=0, metavar="N",
                    help="seed for ids and delivery plans (default 0)")
    group.addoption("--harness-portal-configuration", action="append", default=None,
                    metavar="[CUSTOMER=]NAME_OR_FILE",
                    help="the billing_portal.configuration the portal uses, over the "
                         "scenarios' own (as `portal-harness run --portal-configuration`)")
    group.addoption("--harness-allow-live-keys", action="store_true", default=False,
                    help="accept a live Stripe key (sk_live_, rk_live_) in the target file "
                         "(refused by default; the harness never needs one)")


@dataclass(frozen=True)
class _Matrix:
    """What --harness-config asks for: the target file and the cases' (scenario, version,
    delivery) keys, known at collection without starting anything."""

    path: Path
    keys: tuple[tuple[str, str, str], ...]


_MATRIX = pytest.StashKey[_Matrix]()
_SIGNALS = pytest.StashKey[dict]()  # the handlers in place before ours
_STOPPED_BY = pytest.StashKey[int]()  # the signal that interrupted the session


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "harness: a portal-harness contract case "
                                       "(one per scenario x API version x delivery mode)")
    if config.getoption("harness_config"):
        config.stash[_MATRIX] = _matrix(config)
        from harness.termination import install

        # SIGTERM / SIGHUP (timeout, docker stop, CI cancellation) interrupt the run like
        # Ctrl-C, so the app's process group is stopped and its folder removed; the exit code
        # is then 128 + the signal's number.
        config.stash[_SIGNALS] = install(
            on_signal=lambda signum: config.stash.__setitem__(_STOPPED_BY, signum))


def _matrix(config: pytest.Config) -> _Matrix:
    """Validate the options and the target file now, so a mistake is a usage error."""
    from harness.delivery.plan import DEFAULT_MODES, MODES
    from harness.errors import ConfigError
    from harness.scenario.files import get_scenario, list_scenarios
    from harness.targets.files import load_target_file
    from harness.versions import DEFAULT_VERSIONS, check_version

    path = Path(config.invocation_params.dir, config.getoption("harness_config"))
    try:
        target = load_target_file(path,
                                  allow_live_keys=config.getoption("harness_allow_live_keys"))
        names = config.getoption("harness_scenario")
        scenarios = [get_scenario(s) for s in names] if names else list_scenarios()
        versions = [check_version(v) for v in config.getoption("harness_api_version") or []]
        versions = versions or list(target.api_versions or DEFAULT_VERSIONS)
        modes = config.getoption("harness_delivery") or list(DEFAULT_MODES)
        if portal := config.getoption("harness_portal_configuration"):
            from harness.sim.portal_override import PortalOverride

            PortalOverride.parse(portal).apply(scenarios)
        for mode in modes:
            if mode not in MODES:
                raise ConfigError(f"--harness-delivery {mode!r}: choose from {', '.join(MODES)}")
    except ConfigError as exc:
        from harness.masking import mask_text

        raise pytest.UsageError(f"portal-harness: {mask_text(str(exc))}") from None
    keys = tuple((sc.name, v, d) for sc in scenarios for v in versions for d in modes)
    return _Matrix(target.path, keys)


def pytest_report_header(config: pytest.Config) -> str | None:
    matrix = config.stash.get(_MATRIX, None)
    if matrix is None:
        return None
    return f"portal-harness: {matrix.path} ({len(matrix.keys)} cases)"


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect, so they apply to these items too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    matrix = config.stash.get(_MATRIX, None)
    if matrix is not None:
        collector = HarnessCollector.from_parent(session, name="harness", path=matrix.path,
                                                 nodeid="harness")
        # genitems reports the collector and its items like any other collection.
        items.extend(session.genitems(collector))


class HarnessCollector(pytest.Collector):
    """The parent of the contract's items; its node id is `harness`."""

    def collect(self) -> list[pytest.Item]:
        return [HarnessCase.from_parent(self, name=f"{sc}[{v}-{d}]", case_key=(sc, v, d))
                for sc, v, d in self.config.stash[_MATRIX].keys]


class HarnessCase(pytest.Item):
    """One contract case. A plain item, not a test function: no fixtures of other plugins run
    around it; the app it talks to belongs to the pytest session (see _shared_session)."""

    def __init__(self, *args: Any, case_key: tuple[str, str, str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.case_key = case_key
        self.add_marker("harness")

    def runtest(self) -> None:
        """Play the case; a failure reads like the CLI's: deliveries, broken checks, replay."""
        from harness.errors import HarnessError

        session = _shared_session(self.config)
        case = next((c for c in session.cases
                     if (c.scenario.name, c.api_version, c.delivery) == self.case_key), None)
        if case is None:
            pytest.fail(f"portal-harness: no case {self.name} in this session", pytrace=False)
        try:
            result = session.runner.run_case(case)
        except HarnessError as exc:
            from harness.masking import mask_text

            pytest.fail(f"portal-harness: {mask_text(str(exc))}", pytrace=False)
        self.user_properties.append(("replay", result.replay))
        if result.skipped:
            pytest.skip(result.skipped)
        if not result.ok:
            pytest.fail(result.failure_text(), pytrace=False)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"portal-harness case {self.name}"


# -- the one harness session per pytest session ---------------------------------------------

_SESSION = pytest.StashKey[Any]()  # a harness Session, or the error that stopped it starting


def _shared_session(config: pytest.Config) -> Any:
    """The harness Session for the --harness-* options, created (app started) on first use.

    A failure to start is remembered, so every later item fails at once with the same message
    instead of starting the app again.
    """
    from harness.errors import HarnessError
    from harness.session import Session

    found = config.stash.get(_SESSION, None)
    if found is None:
        opt = config.getoption
        path = opt("harness_config")
        if path and Path.cwd() != config.invocation_params.dir:
            path = str(Path(config.invocation_params.dir, path))  # as typed, when it still works
        try:
            found = Session.create(
                config=path,
                scenarios=opt("harness_scenario"), api_versions=opt("harness_api_version"),
                deliveries=opt("harness_delivery"), seed=opt("harness_seed"),
                allow_live_keys=opt("harness_allow_live_keys"),
                portal_configuration=opt("harness_portal_configuration"))
        except HarnessError as exc:
            from harness.masking import mask_text

            found = f"portal-harness: {mask_text(str(exc))}"
        config.stash[_SESSION] = found
    if isinstance(found, str):
        pytest.fail(found, pytrace=False)
    return found


def _close_shared_session(config: pytest.Config) -> None:
    found = config.stash.get(_SESSION, None)
    if found is not None and not isinstance(found, str):
        config.stash[_SESSION] = "portal-harness: the session is closed"
        found.close()  # stops the app's whole process group


def pytest_sessionfinish(session: pytest.Session) -> None:
    _close_shared_session(session.config)
    signum = session.config.stash.get(_STOPPED_BY, None)
    if signum is not None:
        session.exitstatus = 128 + signum


def pytest_unconfigure(config: pytest.Config) -> None:
    _close_shared_session(config)  # in case sessionfinish never ran
    previous = config.stash.get(_SIGNALS, None)
    if previous is not None:
        from harness.termination import restore

        restore(previous)
        del config.stash[_SIGNALS]


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def harness_api_version(request: pytest.FixtureRequest) -> str:
    """The API version for fake_stripe and reference_app. Scope: session. Default: the first
    --harness-api-version, else the version the stripe package pins. Override to change it."""
    versions = request.config.getoption("harness_api_version")
    if versions:
        return versions[0]
    from harness.versions import PINNED_VERSION

    return PINNED_VERSION


@pytest.fixture(scope="session")
def harness_seed(request: pytest.FixtureRequest) -> int:
    """Seed for ids and delivery plans. Scope: session. Default: --harness-seed (0)."""
    return int(request.config.getoption("harness_seed"))


@pytest.fixture(scope="session")
def harness_webhook_secret() -> str:
    """The webhook signing secret the reference_app fixture verifies. Scope: session."""
    from harness.targets.files import DEFAULT_SECRET

    return DEFAULT_SECRET


@pytest.fixture(scope="session")
def make_fake_stripe(harness_api_version: str, harness_seed: int) -> Iterator[Any]:
    """The fake Stripe API on a loopback port, started once per session and stopped at the end.
    Use fake_stripe in tests; this one exists to be shared."""
    from harness.fake_stripe import FakeStripe
    from harness.scenario.catalog import default_catalog
    from harness.sim import World

    fake = FakeStripe(World(default_catalog(), harness_api_version, seed=harness_seed))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_stripe(make_fake_stripe: Any, harness_api_version: str, harness_seed: int
                ) -> Iterator[Any]:
    """A FakeStripe with a new, empty World (default catalog). Scope: function. The server is
    shared (make_fake_stripe); at teardown, an error the fake hit in its server thread fails the
    test that caused it."""
    from harness.sim import World

    world = World(make_fake_stripe.world.catalog, harness_api_version, seed=harness_seed)
    make_fake_stripe.reset(world)
    yield make_fake_stripe
    make_fake_stripe.check()


@pytest.fixture
def reference_app(fake_stripe: Any, harness_api_version: str,
                  harness_webhook_secret: str) -> Any:
    """The reference app (ASGI, with seed_user() and state()), talking to fake_stripe in
    process and verifying webhooks with harness_webhook_secret. Scope: function."""
    from harness.reference_app import AppSettings, create_app

    catalog = fake_stripe.world.catalog
    return create_app(AppSettings(
        stripe_api_key=fake_stripe.api_key, stripe_api_base=fake_stripe.url,
        webhook_secret=harness_webhook_secret, api_version=harness_api_version,
        price_plans=catalog.price_plans(), plan_order=list(catalog.plans),
        http_client=fake_stripe.http_client()))


@pytest.fixture
def hosted_pages(request: pytest.FixtureRequest, fake_stripe: Any,
                 harness_webhook_secret: str) -> Iterator[Any]:
    """The local portal and Checkout pages on fake_stripe's port (harness.hosted.HostedPages):
    portal and Checkout session urls open pages a browser test clicks through. Events go to
    the reference_app fixture when the test uses it, else wherever `hosted_pages.connect(url)`
    points. Scope: function."""
    from harness.hosted import HostedPages

    pages = HostedPages(fake_stripe, webhook_secret=harness_webhook_secret).install()
    if "reference_app" in request.fixturenames:
        app = request.getfixturevalue("reference_app")
        pages.connect(lambda body, headers: app.webhooks.handle(
            body, headers.get("Stripe-Signature")).status)
    try:
        yield pages
    finally:
        pages.uninstall()


@pytest.fixture(scope="session")
def harness_session(pytestconfig: pytest.Config) -> Any:
    """The harness Session (runner + cases) for the --harness-* options: the app of
    --harness-config, started once and stopped when pytest finishes, else the reference app
    in process. Scope: session. `harness_session.run()` gives a RunReport; the contract's own
    items share this session."""
    return _shared_session(pytestconfig)
