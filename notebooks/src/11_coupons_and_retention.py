# Source of notebooks/11_coupons_and_retention.ipynb,
# written by `python notebooks/build.py 11`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 11. Coupons, promotion codes and the retention offer
#
# When a customer starts to cancel in the portal, Stripe can offer a retention coupon instead
# ([cancellation page](https://docs.stripe.com/customer-management/cancellation-page),
# "Deflect cancellations"). A customer who accepts is **not** canceling: Stripe applies the
# coupon to the subscription and sends `customer.discount.created` and
# `customer.subscription.updated`, and nothing about a cancellation. Customers can also redeem
# a promotion code when they update their subscription in the portal, if the configuration
# allows `promotion_code`. The discount then shows on the invoices until its duration ends.
#
# Where an app finds the coupon depends on the API version: before 2025-03-31.basil
# `subscription.discount.coupon` holds it; basil removed `subscription.discount` (the
# `discounts` list holds discount ids); 2025-09-30.clover replaced the discount's embedded
# `coupon` with `source.coupon`, an id
# ([changelog](https://docs.stripe.com/changelog/clover/2025-09-30/add-discount-source-property)).

# %%
import harness
from harness.display import CaseView, EventTable, Table, Timeline

scenario = harness.get_scenario("retention_coupon_accepted")
scenario

# %%
sim = harness.Simulator(scenario, "2025-09-30.clover")
segments = sim.run()
events = [harness.Event.from_sim(e, sim.api_version, sim.catalog)
          for seg in segments for e in seg.events]
EventTable(events, checkpoints=[seg.checkpoint for seg in segments])

# %% [markdown]
# The invoices the renewals bill: half price within the coupon's month, full price after.

# %%
invoices = {e.object_id: e.payload["data"]["object"] for e in events
            if e.type == "invoice.paid"}
Table([{"invoice": i["id"], "billing_reason": i["billing_reason"], "subtotal": i["subtotal"],
        "discount": sum(d["amount"] for d in i["total_discount_amounts"]), "total": i["total"],
        "amount_paid": i["amount_paid"]} for i in invoices.values()])

# %% [markdown]
# ## The same discount in three API versions
#
# The subscription as `customer.subscription.updated` shows it once the offer is accepted:

# %%
def discount_fields(version: str) -> dict:
    sim = harness.Simulator(scenario, version)
    segs = sim.run()
    accepted = next(e for e in segs[1].events if e.type == "customer.subscription.updated")
    created = next(e for e in segs[1].events if e.type == "customer.discount.created")
    sub = harness.Event.from_sim(accepted, version, sim.catalog).payload["data"]["object"]
    disc = harness.Event.from_sim(created, version, sim.catalog).payload["data"]["object"]
    legacy = sub.get("discount")
    return {"version": version,
            "subscription.discount": (f"{{coupon: {{id: {legacy['coupon']['id']}, ...}}}}"
                                      if legacy else "(absent)"),
            "subscription.discounts": sub["discounts"],
            "discount.coupon": disc["coupon"]["id"] if "coupon" in disc else "(absent)",
            "discount.source": disc.get("source", "(absent)")}


Table([discount_fields(v) for v in ("2024-06-20", "2025-03-31.basil", "2025-09-30.clover")])

# %% [markdown]
# The reference app re-fetches the subscription with `expand[]=discounts` and reads the coupon
# from whichever shape the version has. Against it, with deliveries shuffled:

# %%
runner = harness.Runner(harness.ReferenceTarget())
result = runner.run_case(harness.Case(scenario, "2025-09-30.clover", "shuffled", seed=3))
CaseView(result)

# %%
Timeline(result)

# %% [markdown]
# ## The bug this flow catches
#
# A planted defect reads `subscription.discount.coupon.id`, as code written before basil does.
# On a 2024-06-20 endpoint it passes; from basil on the field is gone, the coupon is never
# recorded, and the check `state.coupon` fails:

# %%
flawed = harness.Runner(harness.ReferenceTarget(mutant="reads_subscription_discount"))
result = flawed.run_case(harness.Case(scenario, "2025-09-30.clover", "in_order"))
CaseView(result)
