"""State semantics: what each BillingState column means and which values the checks accept.

Takes a subscription as Stripe holds it (the simulator's expected BillingState row) and a
column the app reports; gives the values that column may hold. The invariants use it, so the
rules below are the single written form of what "in sync with Stripe" means:

- A column the app does not report is not checked; a NULL where a value is required is not
  accepted.
- Flags about the future (a scheduled cancellation, a pause) are compared only while the
  subscription has not ended. An ended subscription (status canceled or incomplete_expired) is
  judged by its status and by the customer's plan, nothing else: after a scheduled
  cancellation takes effect, Stripe's object still says `cancel_at_period_end: true` (the field
  tells whether the subscription "will (if status=active) or did (if status=canceled) cancel at
  the end of the current billing period", https://docs.stripe.com/api/subscriptions/object and
  stripe-python's `Subscription.cancel_at_period_end`),
  and an app that mirrors it, or one that clears it, is right either way.
- A subscription's row must exist while the subscription has not ended; an app may delete it
  once it ended (its absence then reads as "ended").
- Any value Stripe itself shows on the object is accepted in the column that mirrors it: in
  flexible billing mode a scheduled cancellation sets only `cancel_at` and leaves
  `cancel_at_period_end` false, so an app that reports a `cancel_at` column may mirror
  `cancel_at_period_end` verbatim (it is then judged on `cancel_at`); an app without one must
  record the scheduled cancellation in `cancel_at_period_end`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

ENDED_STATUSES = ("canceled", "incomplete_expired")
NO_PLAN = "free"
NO_PLAN_VALUES = (None, "", "free", "none")  # what apps store for "no plan"; all read as NO_PLAN

ANY = object()  # the column is not compared in this state


@dataclass(frozen=True)
class Column:
    """One column of a subscription row the app reports (the state JSON or a SQL query)."""

    name: str
    meaning: str
    accepted: str  # the rule, in words, as the README states it
    kind: str = "text"  # text, bool, time or count: how app values are normalized
    future: bool = False  # about what will happen: not compared once the subscription ended


SUBSCRIPTION_COLUMNS: tuple[Column, ...] = (
    Column("status", "the subscription's status as Stripe holds it",
           "Stripe's status, exactly (active, past_due, paused, canceled, ...)"),
    Column("price_id", "the price of the subscription's (first) item",
           "Stripe's price id while the subscription has not ended; anything once ended"),
    Column("current_period_end", "when the current billing period ends (unix seconds, or an "
           "ISO 8601 string); since 2025-03-31.basil Stripe holds it on the items",
           "Stripe's value while the subscription has not ended; anything once ended", "time"),
    Column("cancel_at_period_end", "a cancellation is scheduled and has not happened yet "
           "(classic mode: Stripe's cancel_at_period_end; flexible mode: cancel_at is set)",
           "while not ended: whether a cancellation is scheduled; or Stripe's own "
           "cancel_at_period_end when the app also reports cancel_at; anything once ended",
           "bool", future=True),
    Column("cancel_at", "when a scheduled cancellation takes effect (Stripe's cancel_at)",
           "while not ended: the period end when a cancellation is scheduled, else NULL; "
           "anything once ended", "time", future=True),
    Column("paused", "the subscription's status is paused (2026-10-28.endive flexible pause)",
           "while not ended: whether status is paused; anything once ended", "bool",
           future=True),
    Column("collection_paused", "payment collection is paused (Stripe's pause_collection is "
           "set); a column named pause_collection mirroring Stripe's object (NULL, or its "
           "behavior or JSON) is read the same way",
           "while not ended: whether pause_collection is set; anything once ended", "bool",
           future=True),
    Column("quantity", "the number of seats: the (first) item's quantity",
           "Stripe's quantity while the subscription has not ended; anything once ended",
           "count"),
    Column("cancellation_feedback", "the answer to the portal's cancellation survey "
           "(Stripe's cancellation_details.feedback), which arrives in a later update, even "
           "after the subscription ended", "Stripe's feedback, also once ended (NULL if none)"),
    Column("coupon", "the id of the coupon discounting the subscription now (its discount's "
           "coupon: `discount.coupon.id` before 2025-03-31.basil, the expanded `discounts` "
           "after, `source.coupon` from 2025-09-30.clover); NULL when none or once it ended",
           "while not ended: Stripe's coupon id, or NULL; anything once ended", future=True),
)
COLUMNS = {c.name: c for c in SUBSCRIPTION_COLUMNS}
ALIASES = {"pause_collection": "collection_paused"}  # a verbatim mirror of Stripe's field


def ended(expected_sub: dict[str, Any]) -> bool:
    return expected_sub.get("status") in ENDED_STATUSES


def normalize(column: str, value: Any) -> Any:
    """An app's value in the harness's terms: 0/1 and "t"/"true" for booleans, ISO strings or
    unix seconds for times, a mirrored pause_collection (NULL, a behavior, JSON) as a flag."""
    if column in ALIASES:
        if value is None:
            return False
        if isinstance(value, str):
            return value.strip().lower() not in ("", "null", "none", "{}")
        return bool(value)
    kind = COLUMNS[column].kind if column in COLUMNS else "text"
    if value is None:
        return None
    if kind == "count":
        return int(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "t", "yes")
        return bool(value)
    if kind == "time":
        if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return int(parsed.timestamp())
        return int(value)
    return value


def normalize_plan(value: Any) -> Any:
    """Every spelling of "no plan" (NULL, "", "free", "none") becomes NO_PLAN."""
    if isinstance(value, str) and value.strip().lower() in NO_PLAN_VALUES:
        return NO_PLAN
    return NO_PLAN if value is None else value


def accepted(column: str, expected_sub: dict[str, Any], app_row: dict[str, Any], *,
             billing_mode: str | None = None) -> Any:
    """The values `column` may hold for this subscription: a tuple, or ANY (not compared).

    `app_row` is the app's whole (normalized) row, because what a column may hold can depend
    on which other columns the app keeps (cancel_at_period_end next to cancel_at).
    `billing_mode` is the subscription's (classic or flexible; None when unknown, which
    accepts either mode's shape).
    """
    if column in ("status", "cancellation_feedback"):  # both stay true after the end
        return (expected_sub.get(column),)
    if ended(expected_sub):
        return ANY
    pending = bool(expected_sub.get("cancel_at_period_end"))
    if column == "cancel_at_period_end":
        values = {pending}
        if "cancel_at" in app_row:  # the column mirrors Stripe's own flag
            values |= {False} if billing_mode in (None, "flexible") else set()
        return tuple(values)
    if column == "cancel_at":
        return (expected_sub.get("current_period_end") if pending else None,)
    return (expected_sub.get(column),)
