"""portal-harness: simulate the Stripe Customer Portal and prove billing code stays in sync.

The pipeline, one package per stage: scenario -> sim -> render (events per API version) ->
delivery (planned, signed) -> targets -> checks (invariants, portal contract, report), wired by
run. Its uses: harness.fuzz (hypothesis), harness.cassettes (event streams, vcrpy), harness.display
(tables and timelines for notebooks), harness.fake_stripe, harness.serve, harness.cli.
ARCHITECTURE.md draws it.
"""

from ._version import __version__
from .checks.invariants import Violation
from .checks.report import CaseResult, RunReport
from .delivery.plan import Schedule
from .delivery.signing import sign_payload
from .errors import ConfigError, HarnessError, InvariantViolation, ScenarioError, TargetError
from .render.events import Event
from .run import Case, Runner
from .scenario.catalog import Catalog, default_catalog, load_catalog
from .scenario.files import Scenario, get_scenario, list_scenarios, load_scenario
from .session import Session
from .sim.simulator import Simulator
from .targets.inprocess import ReferenceTarget, Target

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
