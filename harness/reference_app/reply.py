"""What a route answers, before it becomes an HTTP response.

The webhook and portal logic return a `Reply`; app.py turns it into a Starlette response, so the
logic can be called and tested without a web framework.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    status: int
    message: str
    location: str | None = None
