# Source of notebooks/06_payments.ipynb,
# written by `python notebooks/build.py 06`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 6. Payments: renewal, failure and recovery, payment method update
#
# At the end of each period Stripe advances the subscription (`customer.subscription.updated`)
# and creates a draft renewal invoice (`invoice.created`). It finalizes and charges it about an
# hour later, after your webhooks had their chance to add to it
# ([invoice workflow](https://stripe.com/docs/invoicing/integration/workflow-transitions)).
# When the card declines, Stripe sends `invoice.payment_failed`, the subscription goes
# `past_due`, and Smart Retries try again over the following days
# ([Smart Retries](https://docs.stripe.com/billing/revenue-recovery/smart-retries)); a customer
# who fixes their card in the portal (the `payment_method_update` deep link) gets the next
# retry charged to the new card.
#
# Webhook delivery has its own retries: an answer other than 2xx, or none at all, makes Stripe
# send the same event again later, and events may arrive twice or out of order
# ([undelivered events](https://docs.stripe.com/webhooks/process-undelivered-events)). So an
# app must record each paid invoice exactly once, whatever arrives how often.

# %%
import harness
from harness.display import CaseView, EventTable, StateTable, Table, Timeline

renewal = harness.get_scenario("renewal")
renewal

# %% [markdown]
# ## Renewal, and what the API version changes
#
# A renewal first creates the draft invoice (`invoice.created`), then moves the period
# (`customer.subscription.updated`); an hour later the invoice is finalized and its
# PaymentIntent charged (`payment_intent.*`, `charge.succeeded`, then `invoice.paid`).
# The renewal's `customer.subscription.updated` is where API versions differ most: before
# basil the period is on the subscription (`current_period_start`/`_end`); from
# 2025-03-31.basil only on its items, so `previous_attributes` carries the whole `items` array
# ([basil: period moved to items](https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end)).

# %%
rows = []
for version in ["2024-06-20", "2025-03-31.basil"]:
    sim = harness.Simulator(renewal, version)
    segments = sim.run()
    renewed = next(s for s in segments if s.checkpoint == "first_renewal")
    updated = next(e for e in renewed.events if e.type == "customer.subscription.updated")
    event = harness.Event.from_sim(updated, version, sim.catalog)
    subscription = event.payload["data"]["object"]
    rows.append({"API version": version, "event": event.type,
                 "previous_attributes": ", ".join(event.payload["data"]["previous_attributes"]),
                 "subscription has current_period_end": "current_period_end" in subscription})
Table(rows)

# %%
EventTable.from_simulator(harness.Simulator(renewal, "2025-03-31.basil"))

# %% [markdown]
# ## The renewal announced: `invoice.upcoming`
#
# Three days before (the account's "Upcoming renewal events" setting; the scenario setting
# `upcoming_renewal_days`) Stripe sends `invoice.upcoming`: the invoice the renewal will create,
# previewed. It has no `id`, nothing is charged, and the customer may still cancel before the
# period ends. An app that moves the period (or records a payment) on it is wrong days early.

# %%
sim = harness.Simulator(renewal, "2025-03-31.basil")
announced = next(s for s in sim.run() if s.checkpoint == "renewal_announced")
(upcoming,) = [harness.Event.from_sim(e, "2025-03-31.basil", sim.catalog).payload
               for e in announced.events]
preview = upcoming["data"]["object"]
Table([{"event": upcoming["type"], "has an id": "id" in preview,
        "billing_reason": preview["billing_reason"], "amount_due": preview["amount_due"],
        "line": preview["lines"]["data"][0]["description"]}])

# %%
early = harness.Runner(harness.ReferenceTarget(mutant="renews_on_invoice_upcoming")).run_case(
    harness.Case(renewal, "2025-03-31.basil", "in_order"))
sorted({v.check for v in early.violations})

# %% [markdown]
# ## A failed renewal, recovered
#
# The card starts to decline, the renewal fails and the subscription goes `past_due`; the
# customer updates the card in the portal and Stripe's next retry succeeds. Delivered with
# lost and failed attempts that Stripe retries (red in the figure):

# %%
failed = harness.get_scenario("payment_failed_recovered")
runner = harness.Runner(harness.ReferenceTarget())
result = runner.run_case(harness.Case(failed, "2025-03-31.basil", "retried", seed=4))
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## Updating the card
#
# Replacing the card in the portal is a SetupIntent, then the new card becomes the customer's
# default (`customer.updated`, `invoice_settings.default_payment_method`). The next renewal
# is charged to it:

# %%
update = harness.get_scenario("payment_method_update")
EventTable.from_simulator(harness.Simulator(update, "2025-03-31.basil"))

# %% [markdown]
# ## A renewal that needs authentication
#
# A card that asks for 3D Secure cannot be charged off-session: at renewal the invoice's
# PaymentIntent stops at `requires_action`, Stripe sends `invoice.payment_action_required`
# and the subscription goes `past_due`, with nothing charged. Alice completes the
# authentication on the hosted invoice page and is charged; Bob's fails and his invoice stays
# open. An app that reads `invoice.payment_action_required` as a payment records money that
# never arrived:

# %%
sca = harness.get_scenario("renewal_requires_authentication")
EventTable.from_simulator(harness.Simulator(sca, "2025-09-30.clover"))

# %%
sca_flawed = harness.Runner(
    harness.ReferenceTarget(mutant="paid_on_payment_action_required")
).run_case(harness.Case(sca, "2025-09-30.clover", "in_order"))
sorted({v.check for v in sca_flawed.violations})

# %% [markdown]
# ## The bug this flow catches
#
# One payment produces two events, `invoice.paid` and `invoice.payment_succeeded`, and either
# may arrive twice. A planted defect: the app handles both, but neither remembers the events it
# has processed nor has a unique constraint on invoice ids. Even delivered in order it records
# every payment twice; with Stripe's duplicates, some three times:

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="records_paid_invoice_twice"))
once = flawed.run_case(harness.Case(renewal, "2025-03-31.basil", "in_order"))
twice = flawed.run_case(harness.Case(renewal, "2025-03-31.basil", "duplicated", seed=5))
Table([{"delivery": r.delivery, "result": "ok" if r.ok else "FAILED",
        "most records of one invoice": max(v.actual for v in r.violations
                                           if v.check == "invoices.recorded_once")}
       for r in (once, twice)])

# %%
broken = next(cp for cp in twice.checkpoints if cp.violations)
StateTable(broken.expected, broken.actual, title=f"checkpoint {broken.name!r}")

# %%
Timeline(twice)
