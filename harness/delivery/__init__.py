"""Stage 4, delivery: which attempt of which event goes when, and the signature on each.

`plan` turns a delivery mode (in order, shuffled, duplicated, retried, delayed, chaos) and a
seed into a `Schedule` of attempts; `signing` signs each attempt's body as Stripe does.
"""

from .plan import DEFAULT_MODES, MODES, Attempt, Planned, Schedule, plan
from .signing import DEFAULT_WEBHOOK_SECRET, sign_payload, tampered_deliveries

__all__ = [
    "DEFAULT_MODES",
    "DEFAULT_WEBHOOK_SECRET",
    "MODES",
    "Attempt",
    "Planned",
    "Schedule",
    "plan",
    "sign_payload",
    "tampered_deliveries",
]
