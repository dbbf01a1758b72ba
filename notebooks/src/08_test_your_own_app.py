# Source of notebooks/08_test_your_own_app.ipynb,
# written by `python notebooks/build.py 08`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 8. Testing your own app with a target file
#
# Everything so far ran against the harness's reference app, in-process. Your app is another
# program, maybe in another language; the harness reaches it over HTTP as Stripe would: it
# signs each event with your endpoint's secret (`Stripe-Signature`, HMAC-SHA256 over the raw
# body) and POSTs it to your webhook route, rendered in the API version your endpoint is pinned
# to ([webhook versioning](https://docs.stripe.com/webhooks/versioning)). Your app's own
# calls to Stripe (retrieving a subscription, creating a portal session) go to the harness's
# fake Stripe API, which answers from the same simulated world, as it stands at that moment of
# the scenario.
#
# A *target file* (TOML) tells the harness how to start the app, where its webhook and portal
# routes are, how a Stripe customer becomes one of its users, and how to read what its database
# believes. The example here is a small Python billing backend in `examples/python-app/`
# (standard library and `stripe` only); the same file shape drives the Node example next to it.

# %%
from pathlib import Path

import harness
from harness.display import CaseView, Table, Timeline

target_file = Path("../examples/python-app/harness.toml")
print(target_file.read_text())

# %% [markdown]
# `[app]` starts the app with placeholders filled in (a free port, a temporary folder, the fake
# Stripe API's url and key, the webhook secret) and waits for `ready_url`. `[webhook]` pins the
# endpoint's API version. `[plans]` maps the app's plan names to Stripe price ids. `[seed]`
# creates a user for each scenario customer. `[state]` reads the app's database with SQL, so the
# harness can compare it with Stripe's truth; fields you leave out are simply not checked.
#
# A `Session` starts the app, plays each scenario in each delivery mode, and stops the app
# afterwards, even on an error:

# %%
with harness.Session.create(config=str(target_file),
                            scenarios=["upgrade", "cancel_at_period_end", "renewal"],
                            deliveries=["in_order", "shuffled", "duplicated"]) as session:
    report = session.run()
report

# %% [markdown]
# Each result is the same object as for the reference app. The upgrade, delivered with
# duplicates, checkpoint by checkpoint; the state column on the right was read from the app's
# SQLite file by the `[state]` queries:

# %%
result = next(r for r in report.results
              if r.scenario == "upgrade" and r.delivery == "duplicated")
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## When the app is wrong
#
# `harness-flawed.toml` starts the same app with a switch that makes it read
# `subscription["current_period_end"]`, a field API version 2025-03-31.basil removed (the
# period moved to the subscription items). Every subscription event now crashes the handler,
# the app answers 500, Stripe retries, and the customer never gets the plan they pay for:

# %%
with harness.Session.create(config="../examples/python-app/harness-flawed.toml",
                            scenarios=["upgrade"], deliveries=["in_order"]) as session:
    flawed = session.run()
flawed

# %%
Timeline(flawed.results[0])

# %% [markdown]
# The broken checks, as a table:

# %%
Table([{"check": v.check, "checkpoint": v.checkpoint or "-", "what": v.message}
       for v in flawed.results[0].violations])

# %% [markdown]
# From a terminal, the same runs are `portal-harness run --config
# examples/python-app/harness.toml` (exit status 1 when a check fails), and the pytest plugin
# runs them in your test suite.
