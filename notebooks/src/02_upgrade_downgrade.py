# Source of notebooks/02_upgrade_downgrade.ipynb,
# written by `python notebooks/build.py 02`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 2. Upgrade and downgrade, with proration
#
# When a customer switches plans in the portal, Stripe changes the subscription item's price at
# once and, following the portal configuration's `proration_behavior`, settles the part of the
# period already paid: `create_prorations` adds a credit for the unused time and a charge for
# the remaining time as pending invoice items that land on the next renewal invoice,
# `always_invoice` bills them at once, and `none` leaves the period alone. Your app hears of
# the new plan only through `customer.subscription.updated`, whose `previous_attributes` holds
# the *whole* `items` array, and since API version 2025-03-31.basil the billing period lives
# on those items too
# ([basil: period moved to items](https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end)).
#
# An app that keeps the plan in its own database must read the new price from that event; one
# that records paid invoices sees an extra, prorated invoice on an upgrade.

# %%
import harness
from harness.display import CaseView, EventTable, Table, Timeline

upgrade = harness.get_scenario("upgrade")
upgrade

# %% [markdown]
# The events an endpoint pinned to 2025-03-31.basil receives, with what each
# `*.updated` event changed (`data.previous_attributes` → the object now):

# %%
sim = harness.Simulator(upgrade, "2025-03-31.basil")
segments = sim.run()
events = [harness.Event.from_sim(e, sim.api_version, sim.catalog)
          for seg in segments for e in seg.events]
EventTable(events, checkpoints=[seg.checkpoint for seg in segments])

# %% [markdown]
# The money side, read from the event payloads: the credit for unused time on the Basic plan
# is negative, the charge for the rest of the period on Enterprise positive, and with
# `always_invoice` both are billed at once on an invoice whose `billing_reason` is
# `subscription_update`.

# %%
def money(events):
    rows = []
    for e in events:
        obj = e.payload["data"]["object"]
        if e.type == "invoiceitem.created":
            rows.append({"event": e.type, "amount (cents)": obj["amount"],
                         "what": obj["description"]})
        elif e.type == "invoice.paid":
            rows.append({"event": e.type, "amount (cents)": obj["amount_paid"],
                         "what": obj["billing_reason"]})
    return Table(rows)


money(events)

# %% [markdown]
# Now the same flow against the reference app. Each checkpoint shows the deliveries next to
# what Stripe says (expected) and what the app's database holds:

# %%
runner = harness.Runner(harness.ReferenceTarget())
result = runner.run_case(harness.Case(upgrade, "2025-03-31.basil", "in_order"))
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## Downgrade: the credit waits for the renewal
#
# The `downgrade` scenario uses `create_prorations`: nothing is billed at the switch, and the
# two invoice items wait for the next renewal invoice. There the credit for unused Enterprise
# time outweighs a month of Basic, so the renewal invoice comes to 0 and Stripe keeps the rest
# of the credit as customer balance (`customer.updated` with a negative `balance`).

# %%
downgrade = harness.get_scenario("downgrade")
sim = harness.Simulator(downgrade, "2025-03-31.basil")
down_events = [harness.Event.from_sim(e, sim.api_version, sim.catalog)
               for seg in sim.run() for e in seg.events]
money(down_events)

# %%
case = harness.Case(downgrade, "2025-03-31.basil", "shuffled", seed=7)
result = runner.run_case(case)
CaseView(result)

# %% [markdown]
# The shuffled delivery above reached the app out of order, and its state still matched at every
# checkpoint. The case's `world_seed` replays Stripe's side exactly, so the figure can list the
# events in the order Stripe emitted them, against the order the app saw them in:

# %%
stripe_side = harness.Simulator(downgrade, case.api_version, seed=case.world_seed)
Timeline(result, events=[e for seg in stripe_side.run() for e in seg.events])

# %% [markdown]
# ## Downgrade at period end: a subscription schedule
#
# A portal configuration can schedule downgrades instead
# (`features.subscription_update.schedule_at_period_end.conditions`,
# [acacia changelog](https://docs.stripe.com/changelog/acacia/2024-10-28/customer-portal-schedule-downgrades)).
# Then the switch changes nothing yet: Stripe creates a subscription schedule whose first phase
# is the current price until the period end and whose second is the lower price, and sets the
# subscription's `schedule`. At the renewal the second phase starts, the subscription's item
# takes the new price and the renewal invoice bills it; one period later the schedule is
# released and the subscription goes on by itself.

# %%
scheduled = harness.get_scenario("downgrade_at_period_end")
sim = harness.Simulator(scheduled, "2025-03-31.basil")
segments = sim.run()
EventTable([harness.Event.from_sim(e, sim.api_version, sim.catalog)
            for seg in segments for e in seg.events
            if e.type.startswith(("subscription_schedule", "customer.subscription"))],
           checkpoints=[seg.checkpoint for seg in segments])

# %% [markdown]
# Until the renewal the customer keeps the higher plan they paid for. An app that takes "the
# plan the customer chose" from the schedule's last phase downgrades them at once; the contract
# catches it at the checkpoint right after the switch:

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="reads_scheduled_phase"))
early = flawed.run_case(harness.Case(scheduled, "2025-03-31.basil", "in_order"))
Table([{"checkpoint": v.checkpoint, "check": v.check, "expected": v.expected,
        "app has": v.actual} for v in early.violations])

# %% [markdown]
# ## Every API version, every delivery mode
#
# A `Session` plays the matrix: each scenario on each API version, delivered in order,
# shuffled, duplicated, retried after failures and delayed past a checkpoint. The reference app
# passes all of it.

# %%
with harness.Session.create(scenarios=["upgrade", "downgrade", "downgrade_at_period_end"],
                            seed=0) as session:
    report = session.run()
report
