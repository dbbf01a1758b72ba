"""Events as delivered: a SimEvent rendered for the endpoint's API version, with its body bytes.

Takes the simulator's segments and a version; gives `Event`s (id, type, object id, created, the
rendered dict and the exact body bytes Stripe would POST). Bodies are fixed at creation, as
Stripe's are ("The contents of data never change"); only the signature changes per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..scenario.catalog import Catalog
from ..sim import SimEvent
from . import render_event
from .serialize import serialize


@dataclass(frozen=True)
class Event:
    """One Stripe event as a webhook endpoint receives it."""

    id: str
    type: str
    created: int
    object_id: str
    segment: int
    payload: dict[str, Any]

    @cached_property
    def body(self) -> bytes:
        return serialize(self.payload)

    @classmethod
    def from_sim(cls, event: SimEvent, api_version: str, catalog: Catalog) -> Event:
        return cls(event.id, event.type, event.created, event.object_id, event.segment,
                   render_event(event, api_version, catalog))

    @classmethod
    def from_payload(cls, payload: dict[str, Any], segment: int = 0) -> Event:
        """An event recorded elsewhere (a cassette, `stripe listen`): delivered verbatim."""
        obj = payload.get("data", {}).get("object", {})
        return cls(payload["id"], payload["type"], payload["created"], obj.get("id", ""),
                   segment, payload)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.type} {self.object_id} t={self.created}>"


def matches(event_type: str, patterns: list[str] | None) -> bool:
    """Stripe endpoint `enabled_events` matching: exact types, `prefix.*` wildcards, or `*`."""
    if not patterns:
        return True
    for p in patterns:
        if p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1])):
            return True
    return False


def event_list_markdown(events: list[Event]) -> str:
    rows = "\n".join(f"| {i + 1} | {e.created} | `{e.type}` | `{e.object_id}` |"
                     for i, e in enumerate(events))
    return f"| # | created | type | object |\n|---|---|---|---|\n{rows}"
