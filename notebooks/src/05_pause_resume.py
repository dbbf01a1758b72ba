# Source of notebooks/05_pause_resume.ipynb,
# written by `python notebooks/build.py 05`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 5. Pause and resume
#
# "Pause" means three different things at Stripe. `pause_collection` (set through the API or
# the Dashboard) keeps the subscription `active` and only stops charging: invoices made while
# paused are voided (or kept as drafts, or marked uncollectible), and the only event is
# `customer.subscription.updated` with `pause_collection` changed. Since API version
# 2026-09-30.endive a subscription on flexible billing can be truly paused: its `status`
# becomes `paused`, `status_details.paused` says why, and Stripe sends
# `customer.subscription.paused` and later `customer.subscription.resumed`
# ([pause a subscription](https://docs.stripe.com/changelog/endive/2026-09-30/pause-subscription)).
# The third, a trial that ends without a payment method, pauses the same way. The hosted
# portal itself could not pause from 2024-04-10 until the endive releases brought back a
# `subscription_pause` feature.
#
# An app has to handle both shapes: a paused *status* and paused *collection* mean different
# things for access and for the next invoice.

# %%
import harness
from harness.display import CaseView, EventTable, Table, Timeline

scenario = harness.get_scenario("pause_resume")
scenario

# %% [markdown]
# Before endive the harness plays the pause as `pause_collection`; from endive on flexible
# billing, as a paused status. The same scenario, as each endpoint receives it:

# %%
EventTable.from_simulator(harness.Simulator(scenario, "2025-03-31.basil"))

# %%
EventTable.from_simulator(harness.Simulator(scenario, "2026-10-28.endive"))

# %% [markdown]
# Against the reference app, on endive, with some deliveries held back past the next
# checkpoint (the app is checked only for what must hold while events are still in flight,
# then fully once they arrive):

# %%
case = harness.Case(scenario, "2026-10-28.endive", "delayed", seed=1)
runner = harness.Runner(harness.ReferenceTarget())
result = runner.run_case(case)
CaseView(result)

# %% [markdown]
# In the figure, rows are the events in the order Stripe emitted them (replayed from the case's
# `world_seed`), grouped by checkpoint; an amber ring marks a delivery that arrived after the
# checkpoint its event belongs to. The `paused` event reached the app only after the customer
# had resumed, and the app still ended up right, because it reads the subscription's current
# state from Stripe instead of trusting the order of arrival.

# %%
stripe_side = harness.Simulator(scenario, case.api_version, seed=case.world_seed)
Timeline(result, events=[e for seg in stripe_side.run() for e in seg.events])

# %% [markdown]
# ## The bugs this flow catches
#
# Two planted defects, each blind to one mechanism: one app never records `pause_collection`,
# the other never records a paused status. Each passes the API version whose pause it does
# not know about, and fails the other: a matrix over versions is what finds them.

# %%
rows = []
for mutant in ["ignores_pause_collection", "ignores_paused_status"]:
    with harness.Session.create(scenarios=["pause_resume"], mutant=mutant,
                                api_versions=["2025-03-31.basil", "2026-10-28.endive"],
                                deliveries=["in_order"]) as session:
        report = session.run()
    for r in report.results:
        rows.append({"defect": mutant, "API version": r.api_version,
                     "result": "ok" if r.ok else "FAILED",
                     "broken checks": ", ".join(sorted({v.check for v in r.violations})) or "-"})
Table(rows)

# %% [markdown]
# The failing endive case of the second defect, checkpoint by checkpoint: the app still
# believes the subscription is running while Stripe has it paused.

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="ignores_paused_status"))
CaseView(flawed.run_case(harness.Case(scenario, "2026-10-28.endive", "in_order")))
