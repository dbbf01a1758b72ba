"""Stage 6, judging: the app's state against Stripe's truth, and the report of it.

`invariants` compares states at each checkpoint and names each defect class; `portal` probes the
app's portal-session route with hostile requests; `report` gathers the results for the CLI, the
pytest plugin and notebooks (text, JSON, HTML).
"""

from .invariants import Violation, compare_state, normalize_state
from .report import CaseResult, CheckpointResult, RunReport

__all__ = ["CaseResult", "CheckpointResult", "RunReport", "Violation", "compare_state",
           "normalize_state"]
