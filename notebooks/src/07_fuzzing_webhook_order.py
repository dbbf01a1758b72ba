# Source of notebooks/07_fuzzing_webhook_order.ipynb,
# written by `python notebooks/build.py 07`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 7. Fuzzing webhook order: a naive handler, found wrong, then fixed
#
# Stripe does not promise to deliver events in the order it created them, delivers some more
# than once, and retries failed deliveries for hours (up to three days in live mode), so an old
# event can arrive after a newer one
# ([undelivered events and retries](https://docs.stripe.com/webhooks/process-undelivered-events)).
# A handler that copies the subscription from each event (`data.object`) into its database is
# right only while events arrive in order: a late `customer.subscription.updated` quietly
# undoes a newer change. The fix is to treat an event as a notice that something changed and
# read the object's current state from Stripe (or to ignore snapshots older than the row).
#
# Hand-written scenarios rarely hit the one ordering that breaks such a handler. Property-based
# testing does: `harness.fuzz` (built on `harness.fuzz.strategies` and hypothesis) draws portal
# flows and delivery plans (permutations, duplicates, lost deliveries that Stripe retries, delays
# past a checkpoint, database failures), and when a check fails it *shrinks* the example to the
# fewest portal actions and the smallest departure from Stripe's order.

# %%
import inspect

import harness
from harness.delivery.plan import Planned
from harness.display import CaseView, Table, Timeline
from harness.fuzz import fuzz
from harness.targets.mutants import MUTANTS
from harness.reference_app import WebhookProcessor

# %% [markdown]
# ## The naive handler
#
# The harness ships realistic defects as *mutants* of the reference app. This one differs from
# the reference app in a single method: where the reference app re-fetches the subscription,
# the mutant returns the event's snapshot.

# %%
naive = next(m for m in MUTANTS if m.name == "applies_event_snapshot")
print(naive.description)
print()
print(inspect.getsource(naive.webhooks.current_subscription))
print(inspect.getsource(WebhookProcessor.current_subscription))

# %% [markdown]
# Every built-in scenario, on every default API version, delivered in order: the naive handler
# passes them all.

# %%
with harness.Session.create(mutant="applies_event_snapshot", deliveries=["in_order"]) as session:
    in_order = session.run()
in_order

# %% [markdown]
# ## Hypothesis finds the ordering that breaks it
#
# A seeded campaign of up to 100 examples; the command-line equivalent is
# `portal-harness fuzz --mutant applies_event_snapshot --seed 1`. The seed makes a campaign
# replay exactly, but which example hypothesis finds first, and how it shrinks it, depends on
# hypothesis's version: cells marked `volatile-output` show this notebook's last run, and the
# test suite runs them without comparing what they print.

# %% tags=["volatile-output"]
flawed_runner = harness.Runner(harness.ReferenceTarget(mutant="applies_event_snapshot"),
                               check_security=False)
found = fuzz(flawed_runner, examples=100, seed=1)
Table([{"examples before the failure": found.examples,
        "runs while shrinking": found.shrink_runs, "failure found": not found.ok}])

# %% [markdown]
# The shrunk example reads like hypothesis's "Falsifying example": the portal flow as scenario
# steps, the delivery plan (event numbers per checkpoint, `|` at each checkpoint), how it
# departs from Stripe's order, every delivery attempt, the broken check, and the commands that
# replay it. Whatever the seed, it has the same shape: a few portal actions, and two events
# about the same subscription delivered newest first. The naive handler applied the older
# snapshot last, and its database disagrees with Stripe.

# %% tags=["volatile-output"]
print(found.failure_text())

# %% tags=["volatile-output"]
CaseView(found.failure)

# %% [markdown]
# In the figure, rows are the events in the order Stripe emitted them (replayed from the
# example's seed), numbered as in the plan; the marks are in the order the app received them.
# Where two marks cross, a newer event overtook an older one.

# %% tags=["volatile-output"]
example = found.case
stripe_side = harness.Simulator(example.scenario, example.api_version, seed=example.world_seed,
                                billing_mode=example.billing_mode)
Timeline(found.failure, events=[e for seg in stripe_side.run() for e in seg.events])

# %% [markdown]
# ## The fix
#
# The reference app re-fetches the subscription when an event arrives, so whichever event comes
# last, it stores what Stripe holds now. The shrunk example passes:

# %% tags=["volatile-output"]
fixed_runner = harness.Runner(harness.ReferenceTarget(), check_security=False)
CaseView(fixed_runner.run_case(example))

# %% [markdown]
# And the same campaign, same seed, against the fixed handler finds nothing:

# %% tags=["volatile-output"]
clean = fuzz(fixed_runner, examples=100, seed=1)
Table([{"handler": "naive (applies the event's snapshot)", "examples run": found.runs,
        "failure found": not found.ok},
       {"handler": "fixed (re-fetches from Stripe)", "examples run": clean.runs,
        "failure found": not clean.ok}])

# %% [markdown]
# ## The same search over a scenario you wrote
#
# A campaign can also keep a scenario fixed and search only delivery plans. Each plan is
# explicit (a `Schedule` of `Planned` attempts per checkpoint), so one can be written by hand
# too. Here is the failure in its plainest form, built without hypothesis: the `undo_cancel`
# scenario with the two subscription updates of its second step delivered in reverse, one
# checkpoint late.

# %%
undo = harness.get_scenario("undo_cancel")
sim = harness.Simulator(undo, "2025-03-31.basil")
segments = sim.run()
numbered, n = [], 0
for seg in segments:
    numbered.append(list(range(n, n + len(seg.events))))
    n += len(seg.events)
Table([{"checkpoint": seg.checkpoint, "event numbers": " ".join(map(str, nums)),
        "types": ", ".join(e.type for e in seg.events)}
       for seg, nums in zip(segments, numbered, strict=True)])

# %% [markdown]
# The plan: everything in order, except that #8 (the cancellation) is held back until after
# #9 (the undo), past the `cancellation_pending` checkpoint. While #8 is in flight the harness
# checks only what must hold at every moment; at `cancellation_undone` it checks everything.

# %%
late = harness.Schedule([
    [Planned(e) for e in numbered[0]],
    [],
    [Planned(9), Planned(8)],
    [Planned(e) for e in numbered[3]],
])
case = harness.Case(undo, "2025-03-31.basil", "by hand", schedule=late)
naive_result = flawed_runner.run_case(case)
fixed_result = fixed_runner.run_case(case)
Table([{"handler": "naive", "result": "ok" if naive_result.ok else "FAILED",
        "broken checks": ", ".join(f"{v.check} [{v.checkpoint}]"
                                   for v in naive_result.violations) or "-"},
       {"handler": "fixed", "result": "ok" if fixed_result.ok else "FAILED",
        "broken checks": ", ".join(f"{v.check} [{v.checkpoint}]"
                                   for v in fixed_result.violations) or "-"}])

# %% [markdown]
# The naive handler believes the customer is leaving right after they decided to stay. (The
# next renewal's snapshot happens to overwrite the mistake, which is why only a check at the
# right moment catches it.)

# %%
CaseView(naive_result)

# %%
stripe_side = harness.Simulator(undo, case.api_version, seed=case.world_seed)
Timeline(naive_result, events=[e for seg in stripe_side.run() for e in seg.events])
