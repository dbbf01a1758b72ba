# Source of notebooks/03_cancel_at_period_end_and_undo.ipynb,
# written by `python notebooks/build.py 03`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 3. Cancel at period end, and undo
#
# With the portal's cancel mode `at_period_end`, a customer who cancels keeps what they paid
# for until the period ends. Stripe sends `customer.subscription.updated` at once (the
# cancellation is *scheduled*), `customer.subscription.deleted` when the period ends, and
# another `customer.subscription.updated` if the customer clicks "don't cancel" before then.
#
# How a scheduled cancellation looks depends on the subscription's billing mode. In `classic`
# mode Stripe sets `cancel_at_period_end: true` and `cancel_at`; in `flexible` mode,
# the default for new subscriptions since 2025-09-30.clover, `cancel_at_period_end` stays
# `false` and only `cancel_at` is set
# ([billing modes compared](https://docs.stripe.com/billing/subscriptions/billing-mode/compare#scheduled-subscription-cancellation),
# [flexible by default](https://docs.stripe.com/changelog/clover/2025-09-30/billing-mode-default-flexible)).
# An app that only reads `cancel_at_period_end` misses every cancellation made on flexible
# billing and keeps promising a renewal that will not come.

# %%
import harness
from harness.display import CaseView, EventTable, StateTable, Table, Timeline

scenario = harness.get_scenario("cancel_at_period_end")
scenario

# %% [markdown]
# The same portal click, as an endpoint on each API version receives it. Compare the fields
# the scheduling event changes:

# %%
rows = []
for version in ["2024-06-20", "2025-03-31.basil", "2025-09-30.clover", "2026-10-28.endive"]:
    sim = harness.Simulator(scenario, version)
    for seg in sim.run():
        for e in seg.events:
            if seg.checkpoint == "cancellation_pending":
                event = harness.Event.from_sim(e, version, sim.catalog)
                rows.append({"API version": version, "billing mode": sim.billing_mode,
                             "event": event.type,
                             "previous_attributes": ", ".join(
                                 event.payload["data"]["previous_attributes"])})
Table(rows, title="The scheduling event, per API version")

# %% [markdown]
# The whole flow on 2025-09-30.clover (flexible billing):

# %%
EventTable.from_simulator(harness.Simulator(scenario, "2025-09-30.clover"))

# %% [markdown]
# Against the reference app. It treats a live subscription as "cancellation scheduled" when
# either `cancel_at_period_end` is true or `cancel_at` is set, so its `cancel_at_period_end`
# column means the same thing in both billing modes (the harness's expected state uses the
# same meaning):

# %%
runner = harness.Runner(harness.ReferenceTarget())
result = runner.run_case(harness.Case(scenario, "2025-09-30.clover", "in_order"))
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## The bug this flow catches
#
# A planted defect: the app ignores `cancel_at` and reads only `cancel_at_period_end`. On
# flexible billing it never learns of the cancellation: at the `cancellation_pending`
# checkpoint its database still says the subscription renews. On classic billing it passes:
# there `cancel_at_period_end` is the schedule. Once the cancellation takes effect the deleted
# subscription still carries `cancel_at_period_end: true`, which the app copies; that is what
# Stripe's own object says, and an ended subscription is judged by its status and the plan,
# so it is not a defect.

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="ignores_cancel_at"))
classic = flawed.run_case(harness.Case(scenario, "2025-03-31.basil", "in_order"))
flexible = flawed.run_case(harness.Case(scenario, "2025-09-30.clover", "in_order"))
Table([{"billing mode": r.billing_mode, "checkpoint": v.checkpoint, "check": v.check,
        "expected": v.expected, "app has": v.actual}
       for r in (classic, flexible) for v in r.violations])

# %%
pending = flexible.checkpoints[1]
StateTable(pending.expected, pending.actual,
           title=f"checkpoint {pending.name!r}: Stripe vs the flawed app")

# %% [markdown]
# ## Changing one's mind
#
# "Don't cancel" in the portal clears the schedule: `cancel_at` (and, on classic billing,
# `cancel_at_period_end`) go back to their defaults in one `customer.subscription.updated`,
# and the subscription renews as usual. Delivered with duplicates this time:

# %%
undo = harness.get_scenario("undo_cancel")
result = runner.run_case(harness.Case(undo, "2025-09-30.clover", "duplicated", seed=3))
CaseView(result)

# %%
Timeline(result)
