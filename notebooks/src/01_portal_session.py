# Source of notebooks/01_portal_session.ipynb,
# written by `python notebooks/build.py 01`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 1. The portal session route and its deep links
#
# Stripe hosts the Customer Portal: your app never draws it. When a signed-in user clicks
# "Manage billing", your server asks Stripe for a portal session for *that user's* Stripe
# customer (`POST /v1/billing_portal/sessions` with `customer` and a fixed `return_url`) and
# redirects the browser to the session's short-lived `url`. A deep link (`flow_data`) opens the
# portal on one task: update the card, cancel, or switch plan
# ([portal deep links](https://stripe.com/docs/customer-management/portal-deep-links)).
# Whatever the customer then does comes back to your app only as webhooks, which the next
# notebooks follow.
#
# This route is the one piece of portal code that is entirely yours, and its mistakes are
# security holes: a session opened for a customer id taken from the request shows a stranger's
# invoices, and a `return_url` taken from the request is an open redirect.
#
# Every notebook drives the harness's *reference app* (a small, correct billing app) through
# the public API only: `import harness` and its documented submodules, such as
# `harness.display` for the tables and figures.

# %%
import harness
from harness.display import CaseView, StateTable, Table, Timeline

scenario = harness.get_scenario("checkout")
scenario

# %% [markdown]
# A user needs a Stripe customer and a subscription before the portal has anything to show, so
# we first play the `checkout` scenario at the reference app: the harness simulates Stripe,
# signs each event as Stripe would and delivers it to the app's webhook route, then compares the
# app's database with what Stripe knows at each checkpoint.

# %%
target = harness.ReferenceTarget()
runner = harness.Runner(target)
result = runner.run_case(harness.Case(scenario, "2025-03-31.basil", "in_order"))
result

# %% [markdown]
# The events Stripe sent, checkpoint by checkpoint, next to what Stripe says the customer has
# (expected) and what the app's database holds:

# %%
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## Opening the portal
#
# The reference app's route reads the signed-in user from the request (here the `X-User-Id`
# header stands in for a session cookie), looks up that user's Stripe customer in its own
# database and answers `303 See Other` to the session url.

# %%
customer_id = next(iter(result.checkpoints[-1].expected))
subscription_id = next(iter(target.state(customer_id)["subscriptions"]))
answer = target.portal("user_alice")
answer

# %% [markdown]
# The app's side can be read at any time, too: `target.state(customer_id)` is what its database
# believes about one Stripe customer.

# %%
StateTable(actual={customer_id: target.state(customer_id)}, title="the app's database now")

# %% [markdown]
# What the app sent to Stripe, as the fake Stripe API logged it: the customer comes from the
# app's database and the `return_url` from its settings, never from the request.

# %%
sessions_path = "/v1/billing_portal/sessions"
sent = runner.fake.requests_to(sessions_path, method="POST")[-1]
sent.params

# %% [markdown]
# ## Deep links
#
# The same route takes a `flow` field and turns it into `flow_data`. Flows about a subscription
# name it, and the app checks that the subscription belongs to the signed-in user before asking
# Stripe; `subscription_update_confirm` also names the new price.

# %%
asks = {
    "no deep link": {},
    "payment_method_update": {"flow": "payment_method_update"},
    "subscription_cancel": {"flow": "subscription_cancel", "subscription": subscription_id},
    "subscription_update": {"flow": "subscription_update", "subscription": subscription_id},
    "subscription_update_confirm": {"flow": "subscription_update_confirm",
                                    "subscription": subscription_id,
                                    "price": "price_pro_monthly"},
}
rows = []
for label, form in asks.items():
    answer = target.portal("user_alice", form=form)
    sent = runner.fake.requests_to(sessions_path, method="POST")[-1]
    rows.append({"request": label, "app answered": answer.status,
                 "flow_data sent to Stripe": sent.params.get("flow_data", "-")})
Table(rows, title="One portal route, five ways in")

# %% [markdown]
# ## What the route must refuse
#
# Each request below is one an attacker, or a half-signed-up user, can make. The table shows
# the answer and, when a session was created anyway, for which customer and with which
# `return_url`.

# %%
target.seed("user_bob", "bob@example.test", None)  # signed up, never subscribed
hostile = {"customer": "cus_someone_else", "return_url": "https://attacker.example/phish"}
tries = [
    ("nobody signed in", None, {}),
    ("a user without a billing account", "user_bob", {}),
    ("names another customer and a return_url", "user_alice", hostile),
    ("an unknown flow", "user_alice", {"flow": "delete_everything"}),
    ("cancels a subscription that is not theirs", "user_alice",
     {"flow": "subscription_cancel", "subscription": "sub_not_yours"}),
]
rows = []
for label, user, form in tries:
    before = len(runner.fake.requests_to(sessions_path, method="POST"))
    answer = target.portal(user, form=form)
    made = runner.fake.requests_to(sessions_path, method="POST")[before:]
    rows.append({"request": label, "app answered": f"{answer.status} {answer.body}",
                 "session for": made[-1].params["customer"] if made else "no session",
                 "return_url": made[-1].params["return_url"] if made else "-"})
Table(rows, title="Refusals")

# %% [markdown]
# The harness makes these same requests in every in-order case (the `portal.*` checks), so a
# route that trusts the request fails the suite. Here is the reference app with one planted
# defect: it passes the request's `return_url` to Stripe.

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="portal_return_url_from_request"))
flawed.run_case(harness.Case(scenario, "2025-03-31.basil", "in_order"))
