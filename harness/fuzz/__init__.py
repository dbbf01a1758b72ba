"""A use of the pipeline: property-based fuzzing of flows and webhook order.

`strategies` draws scenarios and delivery plans with hypothesis; `campaign` runs them against a
target and shrinks a failure to a replayable example. Both need the `fuzz` extra (hypothesis), so
the campaign's names load on first use and `import harness.fuzz` alone costs nothing.
"""

from __future__ import annotations

from typing import Any

_CAMPAIGN = ("Campaign", "FuzzReport", "decode_case", "departures", "encode_case", "fuzz")

__all__ = list(_CAMPAIGN)


def __getattr__(name: str) -> Any:
    if name in _CAMPAIGN:
        from . import campaign

        return getattr(campaign, name)
    raise AttributeError(f"module 'harness.fuzz' has no attribute {name!r}")
