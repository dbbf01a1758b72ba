"""Who is at fault for a problem, and the exit code that says so.

Takes the problems a run found (Violations, each with a `fault`); gives the exit code of the
run: 0 nothing found, 1 the app has a defect, 2 the target file (or another input) is wrong,
3 the harness could not judge (a request its fake Stripe API does not serve, or a fault of its
own). A harness gap outranks an app defect: the verdicts of a case that met one are not all
about the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

APP = "app"
HARNESS = "harness"
TARGET_FILE = "target_file"

EXIT_CODES = {APP: 1, TARGET_FILE: 2, HARNESS: 3}
WHO = {
    APP: "the app under test has a defect",
    TARGET_FILE: "the target file (or another input) is wrong",
    HARNESS: "the harness could not judge: a request its fake Stripe API does not serve, or a "
             "fault of its own",
}
WHAT_TO_DO_ABOUT_GAPS = (
    "These failures are the harness's, not your app's: its fake Stripe API could not serve the "
    "requests below, so the cases that made them cannot be judged. Report each request (method, "
    "path and parameters) to portal-harness; meanwhile a pytest fixture can serve it with "
    "`FakeStripe.add_route(method, pattern, handler)`, or run with --scenario/--delivery to "
    "narrow the matrix to cases that do not need it.")


def exit_code(faults: Iterable[str]) -> int:
    """The run's exit code for the faults found: 0 when none; else harness (3) over target
    file (2) over app (1)."""
    found = set(faults)
    for fault in (HARNESS, TARGET_FILE, APP):
        if fault in found:
            return EXIT_CODES[fault]
    return 0


def request_marker(fake: Any) -> Any:
    """A point in the fake Stripe API's request log (a ring buffer): its newest entry now."""
    if fake is None:
        return None
    with fake.lock:
        return fake.requests[-1] if fake.requests else None


def requests_since(fake: Any, marker: Any) -> list[Any]:
    """The requests the fake Stripe API logged after `marker` (all it still holds if the
    marker has left the ring buffer), oldest first."""
    if fake is None:
        return []
    out: list[Any] = []
    with fake.lock:  # walked from the newest: a delivery costs its own requests, not the log's
        for r in reversed(fake.requests):
            if r is marker:
                break
            out.append(r)
    out.reverse()
    return out
