# Source of notebooks/04_cancel_now.ipynb,
# written by `python notebooks/build.py 04`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 4. Cancel now
#
# With the portal's cancel mode `immediately`, the subscription ends the moment the customer
# confirms. Stripe sends a single `customer.subscription.deleted` whose object has
# `status: canceled`, `canceled_at` and `ended_at` set to now, and `cancellation_details`
# with the reason `cancellation_requested` and the feedback the customer picked. Stripe says
# the event "occurs whenever a customer's subscription ends"; a deep link with the
# `subscription_cancel` flow takes the customer straight to this step
# ([portal deep links](https://stripe.com/docs/customer-management/portal-deep-links)).
# There is no `customer.subscription.updated` first: an app that only handles `updated` never
# revokes access.
#
# The plan an app grants must come from *all* of the customer's subscriptions: when a
# customer with two subscriptions cancels one, they fall back to the other plan, not to free.

# %%
import harness
from harness.display import CaseView, EventTable, StateTable, Table, Timeline, when

scenario = harness.get_scenario("cancel_now")
scenario

# %%
sim = harness.Simulator(scenario, "2026-10-28.endive")
segments = sim.run()
events = [harness.Event.from_sim(e, sim.api_version, sim.catalog)
          for seg in segments for e in seg.events]
EventTable(events, checkpoints=[seg.checkpoint for seg in segments])

# %% [markdown]
# What the deleted subscription says about itself:

# %%
deleted = events[-1].payload["data"]["object"]
Table([{"field": key, "value": when(deleted[key]) if key.endswith("_at") else deleted[key]}
       for key in ("status", "canceled_at", "ended_at", "cancel_at_period_end")]
      + [{"field": f"cancellation_details.{k}", "value": v}
         for k, v in deleted["cancellation_details"].items()])

# %% [markdown]
# Against the reference app, with Stripe retrying after lost and failed deliveries:

# %%
runner = harness.Runner(harness.ReferenceTarget())
result = runner.run_case(harness.Case(scenario, "2026-10-28.endive", "retried", seed=2))
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## Two subscriptions, one canceled
#
# Alice holds a team subscription on the highest plan and a side project on the lowest, then
# cancels the team one. Her plan falls to the lowest:

# %%
two = harness.get_scenario("two_subscriptions")
result = runner.run_case(harness.Case(two, "2026-10-28.endive", "in_order"))
final = result.checkpoints[-1]
StateTable(final.expected, final.actual, title=f"after checkpoint {final.name!r}")

# %% [markdown]
# ## The bug this flow catches
#
# A planted defect: the app has no handler for `customer.subscription.deleted` (it answers
# 200 to event types it does not know, as it should, and so Stripe never retries). The
# customer keeps their plan after canceling:

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="ignores_subscription_deleted"))
result = flawed.run_case(harness.Case(scenario, "2026-10-28.endive", "in_order"))
CaseView(result)
