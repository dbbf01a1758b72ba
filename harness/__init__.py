"""portal-harness: simulate the Stripe Customer Portal and prove billing code stays in sync.

The pipeline, one package per stage: scenario -> sim -> render (events per API version) ->
delivery (planned, signed) -> targets -> checks (invariants, portal contract, report), wired by
run. Its uses: harness.fuzz (hypothesis), harness.cassettes (event streams, vcrpy), harness.display
(tables and timelines for notebooks), harness.fake_stripe, harness.serve, harness.cli.
ARCHITECTURE.md draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import ConfigError, HarnessError, InvariantViolation, ScenarioError, TargetError

# The rest of the surface is imported on first use, so a command pays only for the stages it
# runs (`portal-harness scenarios` never imports stripe, starlette or the fake API).
_LAZY = {
    "Violation": ".checks.invariants",
    "CaseResult": ".checks.report", "RunReport": ".checks.report",
    "Schedule": ".delivery.plan",
    "sign_payload": ".delivery.signing",
    "Event": ".render.events",
    "Case": ".run", "Runner": ".run",
    "Catalog": ".scenario.catalog", "default_catalog": ".scenario.catalog",
    "load_catalog": ".scenario.catalog",
    "Scenario": ".scenario.files", "get_scenario": ".scenario.files",
    "list_scenarios": ".scenario.files", "load_scenario": ".scenario.files",
    "Session": ".session",
    "Simulator": ".sim.simulator",
    "ReferenceTarget": ".targets.inprocess", "Target": ".targets.inprocess",
}

if TYPE_CHECKING:
    from .checks.invariants import Violation
    from .checks.report import CaseResult, RunReport
    from .delivery.plan import Schedule
    from .delivery.signing import sign_payload
    from .render.events import Event
    from .run import Case, Runner
    from .scenario.catalog import Catalog, default_catalog, load_catalog
    from .scenario.files import Scenario, get_scenario, list_scenarios, load_scenario
    from .session import Session
    from .sim.simulator import Simulator
    from .targets.inprocess import ReferenceTarget, Target


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Case",
    "CaseResult",
    "Catalog",
    "ConfigError",
    "Event",
    "HarnessError",
    "InvariantViolation",
    "ReferenceTarget",
    "RunReport",
    "Runner",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "Session",
    "Simulator",
    "Target",
    "TargetError",
    "Violation",
    "__version__",
    "default_catalog",
    "get_scenario",
    "list_scenarios",
    "load_catalog",
    "load_scenario",
    "sign_payload",
]
