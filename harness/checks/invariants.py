"""Invariants: compare what the app believes with what Stripe knows, and name each defect.

Takes the expected BillingState (from the simulator) and the app's (from the target); gives
`Violation`s. A field the app does not report (no such key or column) is not checked; a NULL
where Stripe holds a value is a mismatch. Each check has a plain-words
defect class, so a failure reads "a duplicate delivery recorded the invoice twice", not a diff.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from .faults import APP, HARNESS
from .state_semantics import (
    ALIASES,
    ANY,
    COLUMNS,
    SUBSCRIPTION_COLUMNS,
    accepted,
    ended,
    normalize,
    normalize_plan,
)

DEFECTS = {
    "state.plan": "the app grants a different plan than the customer's subscriptions give",
    "state.subscription_missing": "the app never recorded a subscription Stripe has",
    "state.status": "the app holds a stale or wrong subscription status",
    "state.price_id": "the app holds the wrong price (a plan change was lost or undone)",
    "state.current_period_end": "the app holds the wrong period end (a renewal was lost, or "
                                "the period was read from a field this API version lacks)",
    "state.cancel_at_period_end": "a pending cancellation was not recorded (or not cleared)",
    "state.cancel_at": "the time a scheduled cancellation takes effect was not recorded (or "
                       "not cleared)",
    "state.paused": "a pause (status paused) was not recorded (or not cleared)",
    "state.collection_paused": "a pause of payment collection was not recorded (or not cleared)",
    "state.quantity": "the app holds the wrong quantity (seats changed in the portal were lost)",
    "state.cancellation_feedback": "the cancellation feedback was not recorded (it arrives in a "
                                   "later customer.subscription.updated, even after .deleted)",
    "state.coupon": "the app holds the wrong discount (a promotion code or retention coupon was "
                    "not recorded, or a discount that ended was kept)",
    "invoices.recorded_once": "a duplicate delivery recorded the invoice twice",
    "invoices.missing": "a paid invoice was never recorded",
    "invoices.unpaid_recorded": "an invoice Stripe does not hold as paid is recorded as paid",
    "delivery.rejected": "a valid, correctly signed event was refused on every retry (lost)",
    "delivery.error_swallowed": "the app answered 2xx although applying the event failed, so "
                                "Stripe never retries and the change is lost",
    "delivery.partial_write": "a delivery that failed (5xx) left part of its changes saved: "
                              "the event is not applied in one transaction",
    "delivery.crashed": "the app answered a valid delivery with a server error",
    "delivery.duplicate_changed_state": "delivering an event a second time changed the app's "
                                        "state (a duplicate is not recognised as one)",
    "security.forged_signature": "an event with a forged signature was accepted",
    "security.wrong_secret": "an event signed with another endpoint's secret was accepted",
    "security.body_changed": "a body changed after signing was accepted (the signature is not "
                             "checked over the raw bytes)",
    "security.stale_timestamp": "a replayed event with a stale timestamp was accepted",
    "security.missing_header": "an event without a Stripe-Signature header was accepted",
    "app.exited": "the app's process exited during the run (it crashed)",
    "harness.unserved_request": "the app asked the fake Stripe API for something it does not "
                                "serve (a harness gap, not an app defect)",
    "portal.no_user": "the portal route serves a request with no signed-in user",
    "portal.no_customer": "for a user without a billing account, the portal route crashes (5xx) "
                          "or opens a portal for a customer that is not one it made for them",
    "portal.wrong_customer": "the portal session was opened for a customer the request named, "
                             "not the signed-in user's own",
    "portal.return_url": "the request chose the portal's return_url (an open redirect)",
    "portal.redirect": "the portal route does not redirect to the session url",
}


@dataclass(frozen=True)
class Violation:
    """One failed check: what, where, expected versus actual, and the defect in plain words."""

    check: str
    message: str
    checkpoint: str | None = None
    customer: str | None = None
    expected: Any = None
    actual: Any = None
    fault: str = APP  # who is at fault: app, harness or target_file (harness.checks.faults)

    @property
    def defect(self) -> str:
        if (self.check.startswith("security.") and isinstance(self.actual, int)
                and self.actual >= 500):  # refused, but by crashing
            return ("the app crashed (5xx) on a delivery it should refuse with a 4xx (its "
                    "signature check raises instead of answering 400)")
        return DEFECTS.get(self.check, self.check)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "defect": self.defect}


def gap_line(r: Any) -> str:
    """One unserved request: method, path, parameters and why the harness could not serve it."""
    params = f" with {r.params}" if r.params else ""
    return f"{r.method} {r.path}{params} ({r.gap}; answered {r.status})"


def unserved_violation(line: str, during: str, answered: Any) -> Violation:
    """A harness gap: the request (`gap_line`) and what the app was doing when it sent it."""
    return Violation("harness.unserved_request", f"the app sent {line} {during}", None, None,
                     "a request the fake Stripe API serves", answered, HARNESS)


_SUB_FIELDS = tuple(c.name for c in SUBSCRIPTION_COLUMNS)


def normalize_state(raw: dict[str, Any] | None) -> dict[str, Any]:
    """Accept what apps return: 0/1 for booleans, ISO strings for times, lists or dicts,
    any spelling of "no plan" (see harness.checks.state_semantics). A missing `plan` key is None
    (not checked)."""
    raw = raw or {}
    subs = raw.get("subscriptions") or {}
    if isinstance(subs, list):
        subs = {s["id"]: s for s in subs if isinstance(s, dict) and "id" in s}
    norm_subs = {}
    for sid, sub in subs.items():
        row = {}
        for key, value in sub.items():
            column = ALIASES.get(key, key)
            if column in COLUMNS and column not in row:
                row[column] = normalize(key, value)
        norm_subs[sid] = {k: row[k] for k in _SUB_FIELDS if k in row}
    paid = raw.get("paid_invoices")
    return {
        "plan": normalize_plan(raw["plan"]) if "plan" in raw else None,
        "subscriptions": norm_subs,
        "paid_invoices": None if paid is None else [
            p["id"] if isinstance(p, dict) else p for p in paid],
    }


def _mismatch(sid: str, key: str, got: Any, want: Any, exp_sub: dict[str, Any],
              billing_mode: str | None) -> str:
    """The message for one column; a flexible-mode pending cancellation says where Stripe
    put it, since Stripe's own cancel_at_period_end is false there."""
    if key == "cancel_at_period_end" and want is True and billing_mode == "flexible":
        return (f"{sid}: cancel_at_period_end is {got!r}, but a cancellation is scheduled "
                f"(flexible billing: Stripe sets cancel_at={exp_sub.get('current_period_end')} "
                "and leaves its own cancel_at_period_end false; record the pending "
                "cancellation in this column, or report a cancel_at column)")
    return f"{sid}: {key} is {got!r}, Stripe says {want!r}"


def compare_state(expected: dict[str, Any], actual_raw: dict[str, Any] | None, *,
                  customer: str, checkpoint: str,
                  billing_mode: str | None = None) -> list[Violation]:
    """Every difference between the app's belief and Stripe's truth for one customer, under
    the rules of harness.checks.state_semantics (what each column means and accepts)."""
    actual = normalize_state(actual_raw)
    out: list[Violation] = []

    def v(check: str, message: str, exp: Any, act: Any) -> None:
        out.append(Violation(check, message, checkpoint, customer, exp, act))

    if actual["plan"] is not None and actual["plan"] != expected["plan"]:
        v("state.plan", f"plan is {actual['plan']!r}, Stripe's subscriptions give "
                        f"{expected['plan']!r}", expected["plan"], actual["plan"])
    for sid, exp_sub in expected["subscriptions"].items():
        act_sub = actual["subscriptions"].get(sid)
        if act_sub is None:
            # An app may delete a subscription's row once it ended (state_semantics).
            if (actual_raw is not None and "subscriptions" in actual_raw
                    and not ended(exp_sub)):
                v("state.subscription_missing", f"subscription {sid} is not in the app's database",
                  exp_sub["status"], None)
            continue
        for key in _SUB_FIELDS:
            if key not in act_sub:  # a column the app does not have is not checked
                continue
            allowed = accepted(key, exp_sub, act_sub, billing_mode=billing_mode)
            got = act_sub[key]
            if allowed is ANY or got in allowed:
                continue
            want = allowed[0] if len(allowed) == 1 else list(allowed)
            v(f"state.{key}", _mismatch(sid, key, got, want, exp_sub, billing_mode), want, got)
    if actual["paid_invoices"] is not None:
        counts = Counter(actual["paid_invoices"])
        for inv, n in counts.items():
            if n > 1:
                v("invoices.recorded_once", f"invoice {inv} is recorded {n} times", 1, n)
        expected_paid = set(expected["paid_invoices"])
        for inv in sorted(expected_paid - set(counts)):
            v("invoices.missing", f"paid invoice {inv} is not recorded", inv, None)
        for inv in sorted(set(counts) - expected_paid):
            v("invoices.unpaid_recorded", f"invoice {inv} is recorded as paid; Stripe says it "
                                          "is not paid", None, inv)
    return out
