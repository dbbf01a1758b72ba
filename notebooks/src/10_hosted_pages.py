# Source of notebooks/10_hosted_pages.ipynb,
# written by `python notebooks/build.py 10`. A cell's last expression is what it displays, so:
# ruff: noqa: B018

# %% [markdown]
# # 10. Stripe's hosted pages, locally: Checkout and the portal in a real browser
#
# A billing journey starts in your app ("Upgrade", "Manage billing") and continues on pages
# Stripe hosts: [Checkout](https://docs.stripe.com/payments/checkout) and the
# [customer portal](https://docs.stripe.com/customer-management). Stripe advises against
# automating its hosted pages in tests, and they need a network and an account anyway. The
# harness serves local stand-ins instead (`harness.hosted`): plain pages on the fake Stripe's
# port that accept Stripe's [test cards](https://docs.stripe.com/testing#cards) and follow the
# portal configuration. Every click calls the simulator verb a scenario step calls, so the app
# receives the same signed webhooks; here the reference app, in process.
#
# The browser is Chromium from the operating system (`apt-get install chromium`), driven by
# Playwright's async API (a notebook kernel already runs an event loop). Screenshots vary with
# the fonts installed, so their cells are not compared when the notebooks are checked.

# %%
import os
import shutil

import yaml
from IPython.display import Image
from playwright.async_api import async_playwright

import harness
from harness.display import CaseView, StateTable, Table, Timeline
from harness.fake_stripe import FakeStripe
from harness.hosted import HostedPages
from harness.scenario import default_catalog
from harness.sim import World
from harness.targets import CaseContext

VERSION = "2026-10-28.endive"
SECRET = "whsec_notebook_hosted_pages_secret"
world = World(default_catalog(), VERSION)
fake = FakeStripe(world).start()
app = harness.ReferenceTarget()
app.start_case(CaseContext(VERSION, SECRET, world.catalog, fake))
pages = HostedPages(fake, webhook=app, webhook_secret=SECRET).install()

alice = world.create_customer("alice@example.test", "Alice").id  # the app signs Alice up
app.seed("user_alice", "alice@example.test", alice)

pw = await async_playwright().start()
browser = await pw.chromium.launch(
    executable_path=os.environ.get("PORTAL_HARNESS_CHROMIUM") or shutil.which("chromium"),
    args=["--no-sandbox"] if os.geteuid() == 0 else [])
page = await browser.new_page(viewport={"width": 720, "height": 560})
# The reference app's own pages are not served here; its urls answer with a stand-in.
await page.route("https://app.example.test/**", lambda route: route.fulfill(
    content_type="text/html", body="<h1>Back in the app</h1>"))
"ready"

# %% [markdown]
# ## Checkout
#
# The app's "Upgrade" button creates a Checkout session for the signed-in user and sends the
# browser to its `url`, which now opens the local page.

# %%
session = fake.stripe_client().v1.checkout.sessions.create({
    "mode": "subscription", "customer": alice, "client_reference_id": "user_alice",
    "line_items": [{"price": "price_basic_monthly"}],
    "success_url": "https://app.example.test/billing?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://app.example.test/pricing"})
await page.goto(session.url)


async def pay(number):
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Expiration (MM/YY)").fill("12/34")
    await page.get_by_label("CVC").fill("123")
    await page.get_by_role("button", name="Subscribe").click()


await pay("4000000000000002")  # Stripe's "generic decline" test card
await page.get_by_role("alert").inner_text()

# %% tags=["volatile-output"]
Image(data=await page.screenshot())

# %% [markdown]
# A declined card changes nothing at Stripe and sends no event. The card that always
# succeeds subscribes Alice and returns the browser to the app's `success_url`:

# %%
await pay("4242 4242 4242 4242")
await page.wait_for_url("https://app.example.test/billing?session_id=*")
Table([{"event": d.type, "object": d.object_id, "the app answered": d.status}
       for d in pages.deliveries], title="Sent to the app's webhook as Alice paid")

# %% [markdown]
# ## The portal
#
# "Manage billing" goes through the app's own portal-session route, which redirects to the
# session url.

# %%
answer = app.portal("user_alice")
await page.goto(answer.location)
await page.get_by_role("heading").first.inner_text()

# %% tags=["volatile-output"]
Image(data=await page.screenshot(full_page=True))

# %% [markdown]
# Alice upgrades. Before she confirms, the page previews the proration exactly as the switch
# will bill it (the configuration's `proration_behavior`; here `create_prorations`, so the
# amounts go on her next invoice).

# %%
await page.get_by_role("link", name="Update subscription").click()
await page.get_by_role("link", name="Select Pro, $29.00 per month").click()
await page.get_by_role("table", name="Proration preview").inner_text()

# %% tags=["volatile-output"]
Image(data=await page.screenshot())

# %%
await page.get_by_role("button", name="Confirm").click()
await page.get_by_text("Your plan was updated.").wait_for()
StateTable(expected={alice: world.expected_state(alice)}, actual={alice: app.state(alice)},
           title="after the upgrade: Stripe and the app's database")

# %% [markdown]
# Then she cancels at the end of the period, giving a reason from the configuration's list;
# the portal now offers to renew instead.

# %%
await page.get_by_role("link", name="Cancel subscription").click()
await page.get_by_label("Some features are missing").check()

# %% tags=["volatile-output"]
Image(data=await page.screenshot())

# %%
await page.get_by_role("button", name="Cancel subscription").click()
await page.get_by_role("button", name="Renew subscription").wait_for()
StateTable(expected={alice: world.expected_state(alice)}, actual={alice: app.state(alice)},
           title="after the cancellation: Stripe and the app's database")

# %% [markdown]
# ## The journey as a scenario
#
# What Alice did is a scenario the harness can play in any delivery mode, here shuffled: the
# clicks of one afternoon become a regression test.

# %%
print(pages.journey_yaml("alice_upgrades_then_cancels"))

# %%
scenario = harness.Scenario.model_validate(
    yaml.safe_load(pages.journey_yaml("alice_upgrades_then_cancels")))
replay_target = harness.ReferenceTarget()
result = harness.Runner(replay_target).run_case(harness.Case(scenario, VERSION, "shuffled"))
CaseView(result)

# %%
Timeline(result)

# %%
await browser.close()
await pw.stop()
pages.uninstall()
fake.stop()
app.close()
replay_target.close()
