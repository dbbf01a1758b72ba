"""A session: one target, one fake Stripe API and the matrix of cases to play at it.

Takes the options the CLI and the pytest plugin share (scenarios, versions, delivery modes,
seed, billing mode, catalog, a target file or a mutant); gives the `Runner`, the `Case`s and a
context manager that starts and always stops what the target needs (app process, servers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .checks.report import CaseResult, RunReport
from .delivery.plan import DEFAULT_MODES, MODES
from .errors import ConfigError
from .masking import mask_secret
from .run import DEFAULT_WEBHOOK_SECRET, Case, Runner
from .scenario.catalog import Catalog, default_catalog, load_catalog
from .scenario.files import Scenario, get_scenario, list_scenarios
from .sim import AccessPolicy
from .versions import DEFAULT_VERSIONS, check_version


@dataclass(repr=False)
class Session:
    runner: Runner
    cases: list[Case]
    seed: int = 0
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    # What `create` was given: worker processes (`jobs`) build the same session from it.
    options: dict[str, Any] = field(default_factory=dict)
    jobs: int | None = 1  # worker processes for in-process targets; None: all cores
    concurrency: int = 1  # cases at once against an app over HTTP

    def __repr__(self) -> str:
        # Shown in notebooks: what runs where, never the webhook secret.
        secret = mask_secret(self.runner.webhook_secret)
        return (f"<Session target={self.runner.target.name!r} cases={len(self.cases)} "
                f"seed={self.seed} webhook_secret={secret}>")

    @property
    def total(self) -> int:
        return len(self.cases)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def run(self, progress: Callable[[CaseResult], None] | None = None) -> RunReport:
        from .run_parallel import effective_jobs, run_in_processes

        if self.options.get("config"):
            fake = self.runner.fake
            startup = [r for r in getattr(fake, "requests", ()) if r.gap is not None]
            if self.concurrency > 1 and len(self.cases) > 1:
                from .run_concurrent import run_concurrently

                report = run_concurrently(self.runner, self.cases, self.concurrency,
                                          seed=self.seed, progress=progress)
            else:
                report = self.runner.run(self.cases, seed=self.seed, progress=progress)
            report.notes.extend(approximation_notes(fake))
            _blame_startup_gaps(report, startup)
            return report
        jobs = effective_jobs(self.jobs, len(self.cases))
        if jobs == 1 or not self.options:
            return self.runner.run(self.cases, seed=self.seed, progress=progress)
        return run_in_processes(self.options, range(len(self.cases)), jobs, seed=self.seed,
                                target=self.runner.target.name, session=self,
                                progress=progress)

    @classmethod
    def create(cls, *, config: str | None = None, scenarios: list[str] | None = None,
               api_versions: list[str] | None = None, deliveries: list[str] | None = None,
               seed: int = 0, billing_mode: str | None = None, catalog: str | None = None,
               policy: str | None = None, mutant: str | None = None,
               security: bool = True, allow_live_keys: bool = False,
               clock_start: str | int | None = None, shard: str | None = None,
               jobs: int | None = 1, concurrency: int | None = 1,
               matrix: str = "default",
               portal_configuration: list[str] | None = None) -> Session:
        """`shard` 'I/N' keeps the I-th of N slices of the matrix (see `run_parallel.shard`);
        `jobs` plays in-process cases in that many worker processes (None or 0: all cores);
        `concurrency` plays that many cases at once against an app over HTTP (None: the
        default, 4), capped by the target file's [webhook].concurrency; an app reset before
        each case ([seed].reset_url) takes one case at a time."""
        if concurrency is not None and concurrency < 1:
            raise ConfigError(f"--concurrency {concurrency}: expected a positive number")
        from .run_parallel import shard as take_shard

        options = {"config": config, "scenarios": scenarios, "api_versions": api_versions,
                   "deliveries": deliveries, "seed": seed, "billing_mode": billing_mode,
                   "catalog": catalog, "policy": policy, "mutant": mutant,
                   "security": security, "allow_live_keys": allow_live_keys,
                   "clock_start": clock_start, "shard": shard, "matrix": matrix,
                   "portal_configuration": portal_configuration}
        stack = contextlib.ExitStack()
        try:
            session = cls._create(stack, config, scenarios, api_versions, deliveries, seed,
                                  billing_mode, catalog, policy, mutant, security,
                                  allow_live_keys, clock_start, concurrency,
                                  portal_configuration)
            if billing_mode is None:
                session.cases += crossed_cases(session.cases, matrix)
            session.cases = take_shard(session.cases, shard)
        except BaseException:
            stack.close()
            raise
        session.options = options
        session.jobs = jobs
        return session

    @classmethod
    def _create(cls, stack: contextlib.ExitStack, config: str | None,
                scenarios: list[str] | None, api_versions: list[str] | None,
                deliveries: list[str] | None, seed: int, billing_mode: str | None,
                catalog_path: str | None, policy: str | None, mutant: str | None,
                security: bool, allow_live_keys: bool = False,
                clock_start: str | int | None = None,
                concurrency: int | None = 1,
                portal_configuration: list[str] | None = None) -> Session:
        from .sim.world import START_TIME
        from .targets.clock import resolve_start

        start = resolve_start(clock_start)
        for d in deliveries or []:
            if d not in MODES:
                raise ConfigError(f"unknown delivery mode {d!r}; choose from {', '.join(MODES)}")
        versions = [check_version(v) for v in api_versions or []]
        modes = list(deliveries or DEFAULT_MODES)
        catalog: Catalog = load_catalog(catalog_path) if catalog_path else default_catalog()
        enabled_events = None
        secret = DEFAULT_WEBHOOK_SECRET
        if config:
            if mutant:
                raise ConfigError("--mutant applies to the reference app, not to --config")
            from .targets.files import load_target_file

            target_file = load_target_file(config, allow_live_keys=allow_live_keys)
            if start is None:
                start = target_file.clock_start_seconds()
                start = None if start == START_TIME else start
            else:
                target_file.set_clock_start(start)
            catalog = target_file.catalog
            versions = versions or list(target_file.api_versions or DEFAULT_VERSIONS)
            enabled_events = target_file.enabled_events
            secret = target_file.webhook_secret
            stripe_spec = target_file.spec.stripe
            concurrency = _concurrency(concurrency, target_file.spec)
            fake = stack.enter_context(_served_fake(catalog, stripe_spec.host, stripe_spec.port,
                                                    api_key=stripe_spec.api_key,
                                                    routed=concurrency > 1))
            target = target_file.build_target(fake)
            stack.enter_context(target)
        else:
            from .targets.inprocess import ReferenceTarget

            if mutant:
                from .targets.mutants import MUTANTS

                names = [m.name for m in MUTANTS]
                if mutant not in names:
                    raise ConfigError(f"unknown mutant {mutant!r}; choose from {', '.join(names)}")
            target = ReferenceTarget(mutant=mutant)
            stack.callback(target.close)
            from .fake_stripe import FakeStripe
            from .sim import World

            fake = FakeStripe(World(catalog, DEFAULT_VERSIONS[0]))
        chosen: list[Scenario] = ([get_scenario(s) for s in scenarios] if scenarios
                                  else list_scenarios())
        if portal_configuration:  # the command line's portal over the scenarios' own
            from .sim.portal_override import PortalOverride, mark_unoffered

            chosen = PortalOverride.parse(portal_configuration).apply(chosen)
            mark_unoffered(chosen, versions or list(DEFAULT_VERSIONS), catalog, billing_mode)
        runner = Runner(target, catalog, webhook_secret=secret,
                        policy=AccessPolicy(policy or "not_ended"),
                        enabled_events=enabled_events, check_security=security, fake=fake)
        prefix = "portal-harness run"
        if config:
            prefix += f" --config {config}"
        if mutant:
            prefix += f" --mutant {mutant}"
        if catalog_path:
            prefix += f" --catalog {catalog_path}"
        if policy:
            prefix += f" --policy {policy}"
        prefix += "".join(f" --portal-configuration {p}" for p in portal_configuration or [])
        runner.replay_prefix = prefix
        cases = [Case(sc, v, d, seed=seed, billing_mode=billing_mode, clock_start=start)
                 for sc in chosen for v in (versions or DEFAULT_VERSIONS) for d in modes]
        session = cls(runner, cases, seed, stack)
        session.concurrency = concurrency if config else 1
        return session

    @classmethod
    def from_args(cls, args: Any) -> Session:
        return cls.create(config=args.config, scenarios=args.scenario,
                          api_versions=args.api_version, deliveries=args.delivery,
                          seed=args.seed, billing_mode=args.billing_mode, catalog=args.catalog,
                          policy=args.policy, mutant=args.mutant,
                          allow_live_keys=getattr(args, "allow_live_keys", False),
                          clock_start=getattr(args, "clock_start", None),
                          shard=getattr(args, "shard", None), jobs=getattr(args, "jobs", 1),
                          concurrency=getattr(args, "concurrency", 1),
                          matrix=getattr(args, "matrix", None) or "default",
                          portal_configuration=getattr(args, "portal_configuration", None))


def _concurrency(wanted: int | None, spec: Any) -> int:
    """Cases at once for this target file: --concurrency (default 4), capped by the file's
    [webhook].concurrency; 1 when [seed].reset_url empties the app before each case."""
    from .run_concurrent import DEFAULT_CONCURRENCY

    n = DEFAULT_CONCURRENCY if wanted is None else wanted
    if spec.webhook.concurrency is not None:
        n = min(n, spec.webhook.concurrency)
    if spec.seed is not None and spec.seed.reset_url:
        n = 1
    return n


CROSSED_VERSION = "2025-03-31.basil"
CROSSED_DELIVERIES = ("in_order", "shuffled")


def crossed_cases(cases: list[Case], matrix: str) -> list[Case]:
    """Cases where the endpoint's version and the subscriptions' billing mode disagree, as they
    do in real accounts: the billing mode comes from the API version of the request that
    created the subscription, while an endpoint keeps the version it was created with, so an
    old endpoint receiving flexible subscriptions is common (and a new endpoint still receives
    the classic ones created before 2025-09-30.clover).

    `default`: the basil endpoint (the last before clover) with flexible subscriptions, in
    order and shuffled: a tenth more cases. `full`: every version with the other billing mode,
    in every delivery mode. The crossed cases come after the plain ones, so a failure in the
    plain matrix is still reported first.
    """
    from .versions import default_billing_mode

    if matrix not in ("default", "full"):
        raise ConfigError(f"--matrix must be default or full, not {matrix!r}")
    out = []
    for case in cases:
        if case.billing_mode is not None or case.schedule is not None:
            continue
        other = "classic" if default_billing_mode(case.api_version) == "flexible" else "flexible"
        if matrix == "default" and not (case.api_version == CROSSED_VERSION
                                        and case.delivery in CROSSED_DELIVERIES):
            continue
        out.append(Case(case.scenario, case.api_version, case.delivery, seed=case.seed,
                        billing_mode=other))
    return out


@contextlib.contextmanager
def _served_fake(catalog: Catalog, host: str = "127.0.0.1", port: int = 0,
                 api_key: str | None = None, *, routed: bool = False) -> Any:
    """The fake Stripe API on a real loopback port, for apps in other processes; `routed`:
    one that serves several cases' Worlds at once (`run --concurrency`)."""
    from .sim import World

    if routed:
        from .run_concurrent import RoutedFake as FakeStripe
    else:
        from .fake_stripe import FakeStripe

    fake = (FakeStripe(World(catalog, DEFAULT_VERSIONS[0])) if api_key is None
            else FakeStripe(World(catalog, DEFAULT_VERSIONS[0]), api_key=api_key))
    try:
        fake.start(host=host, port=port)
    except OSError as exc:
        raise ConfigError(f"[stripe].port {port}: cannot serve the fake Stripe API on "
                          f"{host}:{port}: {exc}") from None
    try:
        yield fake
    finally:
        fake.stop()


def approximation_notes(fake: Any) -> list[str]:
    """One sentence per Stripe-Version the app sent that the fake answered in another shape."""
    counts: dict[tuple[str, str], int] = {}
    for r in getattr(fake, "approximated", ()):
        key = (r.stripe_version.strip(), r.api_version)
        counts[key] = counts.get(key, 0) + 1
    return [f"the app called the Stripe API with Stripe-Version {sent} ({n} request"
            f"{'s' if n != 1 else ''}); the fake renders {shape} onwards and answered in "
            f"{shape}'s shape, so fields that changed between them may differ from what "
            "Stripe sends" for (sent, shape), n in counts.items()]


def _blame_startup_gaps(report: RunReport, startup: list[Any]) -> None:
    """Requests the app made while starting (before any case) that the fake could not serve:
    harness gaps too, shown on the first case, since what followed may rest on them."""
    if not startup or not report.results:
        return
    from .checks.invariants import gap_line, unserved_violation

    first = report.results[0]
    first.violations[:0] = [
        unserved_violation(gap_line(r), "while it started, before the first case", r.status)
        for r in startup]
    first.ok = False
