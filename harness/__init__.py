"""portal-harness: simulate the Stripe Customer Portal and prove billing code stays in sync.

The pipeline: scenario -> Simulator -> Event (rendered per API version) -> signed delivery by
plan -> Target -> invariants -> RunReport. More in submodules: harness.strategies and
harness.fuzz (hypothesis), harness.recording (vcrpy), harness.streams and harness.replay
(event-stream cassettes), harness.display (tables and timelines for notebooks).
"""

from ._version import __version__
from .catalog import Catalog, default_catalog, load_catalog
from .delivery import Schedule
from .errors import ConfigError, HarnessError, InvariantViolation, ScenarioError, TargetError
from .events import Event
from .invariants import Violation
from .report import CaseResult, RunReport
from .run import Case, Runner
from .scenario import Scenario, get_scenario, list_scenarios, load_scenario
from .session import Session
from .signing import sign_payload
from .simulator import Simulator
from .targets import ReferenceTarget, Target

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
