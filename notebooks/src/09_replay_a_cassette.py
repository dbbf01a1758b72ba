# Source of notebooks/09_replay_a_cassette.ipynb,
# written by `python notebooks/build.py 09`. A cell's last expression is what it displays, so:
# ruff: noqa: B015, B018

# %% [markdown]
# # 9. Replaying a cassette
#
# A cassette is a recorded stream of Stripe events, kept byte for byte: the harness records
# one from a scenario (with the state a correct app holds at each checkpoint), and it also reads
# what Stripe's own tools capture, `stripe listen --print-json` or a `GET /v1/events` listing,
# so a sequence that broke production can be replayed against a fix. Stripe renders every event
# in the API version the endpoint is pinned to, so a cassette holds exactly one version's
# shapes ([webhook versioning](https://docs.stripe.com/webhooks/versioning)); replaying it
# re-signs each event with your endpoint's secret at each attempt, in order or in any of the
# delivery modes, and Stripe's documented delivery habits (duplicates, retries, no ordering
# guarantee) apply to a replay too
# ([undelivered events](https://docs.stripe.com/webhooks/process-undelivered-events)).

# %%
from pathlib import Path

import harness
from harness.cassettes.replay import record_stream, replay_stream
from harness.cassettes.streams import load_stream
from harness.display import CaseView, EventTable, StateTable, Table, Timeline

cassette = Path("../cassettes/streams/upgrade@2025-03-31.basil.events.json")
stream = load_stream(cassette)
Table([{"source": stream.source, "scenario": stream.scenario,
        "API version": stream.api_version, "billing mode": stream.billing_mode,
        "seed": stream.seed, "events": len(stream.events),
        "checkpoints": ", ".join(f"{cp.name} (after event {cp.after})"
                                 for cp in stream.checkpoints)}])

# %% [markdown]
# The recorded events, exactly as an endpoint on 2025-03-31.basil received them, grouped by
# the checkpoint they precede:

# %%
def segment_of(index):
    return sum(index > cp.after for cp in stream.checkpoints)


events = [harness.Event.from_payload(payload, segment=segment_of(i))
          for i, payload in enumerate(stream.events)]
EventTable(events, checkpoints=[cp.name for cp in stream.checkpoints])

# %% [markdown]
# And what the cassette says a correct app holds at its second checkpoint:

# %%
upgraded = stream.checkpoints[1]
StateTable({cid: state.model_dump() for cid, state in upgraded.expected.items()},
           title=f"expected after event {upgraded.after} ({upgraded.name})")

# %% [markdown]
# ## Recording is reproducible
#
# A cassette records the scenario played with a seed, so recording again gives the same bytes.
# The committed cassettes are checked this way (`portal-harness record upgrade -o FILE
# --api-version 2025-03-31.basil` writes one from a terminal):

# %%
record_stream("upgrade", "2025-03-31.basil").to_json() == cassette.read_text()

# %% [markdown]
# ## Replaying
#
# `replay_stream` plays the cassette at a target (by default the reference app), once per
# delivery mode. When the app asks Stripe for an object, the fake Stripe API answers with the
# newest snapshot of it in the stream so far, as it stood at that point of the recording.

# %%
report = replay_stream(stream, deliveries=["in_order", "shuffled", "duplicated", "retried"])
report

# %%
retried = report.results[-1]
CaseView(retried)

# %%
Timeline(retried)

# %% [markdown]
# ## A cassette pins an API version's shapes
#
# Replayed at a handler written for older API versions, which reads the subscription's
# `current_period_end` (gone since basil), the same cassette fails: the app refuses every
# subscription event (it answers 400), Stripe's retries change nothing, and the app never
# records the subscription the customer pays for.

# %%
old_code = harness.ReferenceTarget(mutant="reads_subscription_current_period_end")
broken = replay_stream(stream, old_code, deliveries=["in_order"])
old_code.close()
Table([{"check": v.check, "checkpoint": v.checkpoint or "-", "what": v.message}
       for v in broken.results[0].violations])

# %% [markdown]
# ## Events captured with the Stripe CLI
#
# The harness's test fixtures include two real test-mode events, in the shape
# `stripe listen --print-json > FILE` writes them. Such a capture has no expected state, so a
# replay checks what it can: every event is accepted, none is answered with a server error, and
# delivering everything a second time changes nothing (the "every event again" checkpoint).

# %%
captured = load_stream("../tests/fixtures/streams/listen_print_json.txt")
EventTable([harness.Event.from_payload(p) for p in captured.events],
           title=f"{captured.source}, API version {captured.api_version}")

# %%
replay_stream(captured, deliveries=["in_order", "shuffled", "duplicated"])
