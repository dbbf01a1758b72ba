"""Replay: record a scenario as an event stream, and play a recorded stream at a target.

Takes a Scenario (to record) or an `EventStream` (to replay) and a target; gives the stream with
the expected state at each checkpoint, or a `RunReport`: each event re-signed per attempt and
delivered by a named plan over the stream's checkpoints, then checked against what the stream
supports (the expected state if recorded; else all accepted, no 5xx, duplicates change nothing).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checks.invariants import Violation, normalize_state
from ..checks.report import CaseResult, CheckpointResult, RunReport
from ..delivery.plan import DEFAULT_MODES, MODES, Planned, plan
from ..errors import ConfigError, StreamError
from ..render.events import Event, matches
from ..run import Runner
from ..scenario.catalog import Catalog, default_catalog
from ..scenario.files import Scenario, get_scenario
from ..sim.simulator import Segment, Simulator
from ..targets.inprocess import Target
from ..versions import KNOWN_VERSIONS, PINNED_VERSION
from .snapshots import SnapshotStore, stream_api_version, stream_customers
from .streams import Checkpoint, EventStream

END_OF_STREAM = "end of stream"
REDELIVERED = "every event again"


# -- record --------------------------------------------------------------------------------------


def record_stream(scenario: Scenario | str, api_version: str, *, seed: int = 0,
                  billing_mode: str | None = None, catalog: Catalog | None = None
                  ) -> EventStream:
    """Play `scenario` and keep what Stripe would send: every event rendered for `api_version`,
    oldest first, and a checkpoint with each customer's expected state where the scenario has one.

    The same arguments always give the same stream (ids come from `seed`, time is virtual).
    """
    catalog = catalog or default_catalog()
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    sim = Simulator(sc, api_version, catalog, billing_mode=billing_mode, seed=seed)
    events: list[dict[str, Any]] = []
    checkpoints: list[Checkpoint] = []
    for seg in sim.segments():
        events += [Event.from_sim(e, api_version, catalog).payload for e in seg.events]
        if events:  # a checkpoint before the first event has nothing to be "after"
            checkpoints.append(Checkpoint.model_validate(
                {"name": seg.checkpoint, "after": len(events) - 1, "expected": seg.expected},
                strict=False))
    return EventStream(source="scenario", api_version=api_version, scenario=sc.name, seed=seed,
                       billing_mode=sim.billing_mode, events=events, checkpoints=checkpoints)


def stream_file_name(scenario: str, api_version: str, billing_mode: str | None = None) -> str:
    """`upgrade@2025-03-31.basil.events.json`; an explicit billing mode adds `@flexible`."""
    mode = f"@{billing_mode}" if billing_mode else ""
    return f"{scenario}@{api_version}{mode}.events.json"


def _changes(before: dict[str, Any], after: dict[str, Any]
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as {"plan": ..., "subscriptions.sub_1.status": ...} pairs."""
    flat = [{**{k: v for k, v in state.items() if k != "subscriptions"},
             **{f"subscriptions.{sid}.{k}": v for sid, sub in state["subscriptions"].items()
                for k, v in sub.items()}} for state in (before, after)]
    keys = [k for k in dict.fromkeys([*flat[0], *flat[1]]) if flat[0].get(k) != flat[1].get(k)]
    return {k: flat[0].get(k) for k in keys}, {k: flat[1].get(k) for k in keys}


# -- replay --------------------------------------------------------------------------------------


@dataclass
class _Part:
    """A stretch of the stream: its events, and the checkpoint (if any) that closes it."""

    name: str
    events: list[int]
    last: int  # stream index the API stands at while this part is delivered
    expected: dict[str, dict[str, Any]] | None


class StreamRunner(Runner):
    """A Runner that plays a recorded stream instead of a simulated scenario.

    Deliveries go through `Runner.deliver` (the same signing per attempt, retries and fault
    injection as `run`); the fake Stripe API answers from a `SnapshotStore` of the stream.
    """

    def replay_case(self, stream: EventStream, store: SnapshotStore, delivery: str, *,
                    seed: int = 0, name: str = "stream") -> CaseResult:
        started = time.perf_counter()
        version = stream_api_version(stream)
        result = CaseResult(scenario=name, api_version=version, delivery=delivery,
                            billing_mode=stream.billing_mode, seed=seed, target=self.target.name,
                            replay=f"{self.replay_prefix} --delivery {delivery} --seed {seed}")
        customers = stream_customers(stream)
        parts = self._parts(stream)
        events: list[Event] = []
        by_part: list[list[int]] = []
        for number, part in enumerate(parts):
            kept = [i for i in part.events if matches(stream.events[i]["type"],
                                                      self.enabled_events)]
            by_part.append(list(range(len(events), len(events) + len(kept))))
            events += [Event.from_payload(stream.events[i], number) for i in kept]
        # The app's Stripe client must send a version the fake accepts; the snapshots it gets
        # back are the stream's own rendering either way.
        client_version = version if version in KNOWN_VERSIONS else PINNED_VERSION
        self.begin_case(client_version, customers, label=result.label)
        schedule = plan(delivery, by_part, seed)
        if self.check_security and delivery == "in_order" and events:
            # Tampered copies of a real event must be refused; checked once per stream.
            result.violations += self.security_checks(events)
        for number, part in enumerate(parts):
            store.stand_at(part.last)
            result.timeline += self.deliver(schedule.segments[number], events, number,
                                            part.name)
            pending = bool(schedule.pending_after(number, by_part))
            if part.expected is not None:
                seg = Segment(number, part.name, [], part.expected)
                result.checkpoints.append(self.check_checkpoint(seg, customers, pending))
        store.stand_at(len(stream.events) - 1)
        if not stream.checkpoints:
            result.violations += self._redelivery_checks(events, len(parts), result)
        result.events = len(events)
        return self.finish_case(result, started)

    @staticmethod
    def _parts(stream: EventStream) -> list[_Part]:
        parts: list[_Part] = []
        start = 0
        for cp in stream.checkpoints:
            parts.append(_Part(cp.name, list(range(start, cp.after + 1)), cp.after,
                               {cid: state.model_dump() for cid, state in cp.expected.items()}))
            start = cp.after + 1
        if start < len(stream.events) or not parts:
            parts.append(_Part(END_OF_STREAM, list(range(start, len(stream.events))),
                               len(stream.events) - 1, None))
        return parts

    def _redelivery_checks(self, events: list[Event], number: int,
                           result: CaseResult) -> list[Violation]:
        """With no expected state to compare: deliver every event once more, in stream order;
        a correct app answers 2xx and its state does not move (Stripe delivers at least once)."""
        before = self.states()
        result.checkpoints.append(CheckpointResult(END_OF_STREAM, number - 1, settled=True,
                                                   actual=before))
        firsts: dict[str, int] = {}
        for i, event in enumerate(events):
            firsts.setdefault(event.id, i)
        result.timeline += self.deliver([Planned(i) for i in firsts.values()], events, number,
                                         REDELIVERED)
        after = self.states()
        result.checkpoints.append(CheckpointResult(REDELIVERED, number, settled=True,
                                                   actual=after))
        out = []
        for cid in self._customer_ids:
            old, new = _changes(normalize_state(before[cid]), normalize_state(after[cid]))
            if old != new:
                out.append(Violation(
                    "delivery.duplicate_changed_state", f"delivering every event a second "
                    f"time changed {cid}'s {', '.join(new)}", REDELIVERED, cid, old, new))
            # A capture holds invoice.paid and invoice.payment_succeeded for one payment, so
            # an app can record an invoice twice before anything is delivered twice.
            for checkpoint, state in ((END_OF_STREAM, before[cid]), (REDELIVERED, after[cid])):
                counts = Counter(normalize_state(state)["paid_invoices"] or [])
                twice = {inv: n for inv, n in counts.items() if n > 1}
                out += [Violation("invoices.recorded_once", f"invoice {inv} is recorded {n} "
                                  "times", checkpoint, cid, 1, n) for inv, n in twice.items()]
                if twice:
                    break
        return out


def replay_stream(stream: EventStream, target: Target | None = None, *,
                  deliveries: Sequence[str] = DEFAULT_MODES, seed: int = 0,
                  name: str | None = None, catalog: Catalog | None = None,
                  webhook_secret: str | None = None, enabled_events: list[str] | None = None,
                  replay_prefix: str | None = None,
                  progress: Callable[[CaseResult], None] | None = None) -> RunReport:
    """Play `stream` at `target` (default: the reference app) once per delivery mode.

    Every event is re-signed with `webhook_secret` (default: the harness's) at each attempt;
    the fake Stripe API the app re-fetches from serves the stream's snapshots (`SnapshotStore`).
    """
    name = name or stream.scenario or "stream"
    catalog = catalog or default_catalog()
    store = SnapshotStore(stream.events)
    with contextlib.ExitStack() as stack:
        fake = stack.enter_context(_snapshot_fake(store, catalog, stream, serve=False))
        if target is None:
            from ..targets.inprocess import ReferenceTarget

            target = ReferenceTarget()
            stack.callback(target.close)
        runner = StreamRunner(target, catalog, enabled_events=enabled_events, fake=fake,
                              replay_prefix=replay_prefix or f"portal-harness replay {name}")
        if webhook_secret:
            runner.webhook_secret = webhook_secret
        return _play(runner, stream, store, deliveries, seed, name, progress)


def replay_file(path: str | Path, *, config: str | None = None, mutant: str | None = None,
                deliveries: Sequence[str] = DEFAULT_MODES, seed: int = 0,
                format: str | None = None, catalog: str | None = None,
                progress: Callable[[CaseResult], None] | None = None,
                allow_live_keys: bool = False) -> RunReport:
    """`portal-harness replay`: load a cassette or a tool's output and play it.

    `config` is a target file (an app over HTTP), else the reference app (with `mutant`).
    """
    from ..scenario.catalog import load_catalog
    from .streams import load_stream

    if config and mutant:
        raise ConfigError("--mutant applies to the reference app, not to --config")
    stream = load_stream(path, format=format)  # type: ignore[arg-type]
    prefix = " ".join(["portal-harness replay", str(path)] + [
        f"--{flag} {value}" for flag, value in (("config", config), ("mutant", mutant),
                                                ("catalog", catalog), ("format", format))
        if value])
    cat = load_catalog(catalog) if catalog else None
    name = Path(path).name
    if not config:
        from ..targets.inprocess import ReferenceTarget

        if mutant:
            from ..targets.mutants import MUTANTS

            names = [m.name for m in MUTANTS]
            if mutant not in names:
                raise ConfigError(f"unknown mutant {mutant!r}; choose from {', '.join(names)}")
        target = ReferenceTarget(mutant=mutant)
        try:
            return replay_stream(stream, target, deliveries=deliveries, seed=seed, name=name,
                                 catalog=cat, replay_prefix=prefix, progress=progress)
        finally:
            target.close()
    from ..targets.files import load_target_file

    target_file = load_target_file(config, allow_live_keys=allow_live_keys)
    cat = cat or target_file.catalog
    spec = target_file.spec
    # The same events again would be duplicates to an app that saw them once, so each delivery
    # mode needs an app with an empty database: one the harness restarts, or one it can reset.
    resets = bool(spec.seed and spec.seed.reset_url)
    if spec.app is None and not resets and len(deliveries) > 1:
        raise ConfigError(f"{config}: replaying in {len(deliveries)} delivery modes needs a "
                          "fresh app for each: give [app] (the harness restarts it) or "
                          "[seed].reset_url, or pass one --delivery")
    rounds = [list(deliveries)] if resets else [[mode] for mode in deliveries]
    store = SnapshotStore(stream.events)
    report = RunReport(seed=seed, target=target_file.name)
    # An app in another process reaches the fake over a loopback port, whose url goes into
    # its environment before it starts; so the fake is served before the target is built.
    with _snapshot_fake(store, cat, stream, serve=True) as fake:
        for modes in rounds:
            with target_file.build_target(fake) as target:
                runner = StreamRunner(target, cat, webhook_secret=target_file.webhook_secret,
                                      enabled_events=target_file.enabled_events, fake=fake,
                                      replay_prefix=prefix)
                part = _play(runner, stream, store, modes, seed, name, progress)
            report.results += part.results
            report.duration += part.duration
    return report


def _play(runner: StreamRunner, stream: EventStream, store: SnapshotStore,
          deliveries: Sequence[str], seed: int, name: str,
          progress: Callable[[CaseResult], None] | None) -> RunReport:
    for mode in deliveries:
        if mode not in MODES:
            raise ConfigError(f"unknown delivery mode {mode!r}; choose from {', '.join(MODES)}")
    if not stream.events:
        raise StreamError(f"{name}: holds no events")
    report = RunReport(seed=seed, target=runner.target.name)
    started = time.perf_counter()
    for mode in deliveries:
        result = runner.replay_case(stream, store, mode, seed=seed, name=name)
        report.results.append(result)
        if progress:
            progress(result)
    runner.fake.check()
    report.duration = time.perf_counter() - started
    return report


@contextlib.contextmanager
def _snapshot_fake(store: SnapshotStore, catalog: Catalog, stream: EventStream, *,
                   serve: bool) -> Iterator[Any]:
    """A FakeStripe that answers from `store`: its World only lends a clock and error shapes."""
    from ..fake_stripe import FakeStripe
    from ..sim import World

    version = stream_api_version(stream)
    world = World(catalog, version if version in KNOWN_VERSIONS else PINNED_VERSION)
    fake = store.install(FakeStripe(world))
    if serve:
        fake.start()
    try:
        yield fake
    finally:
        fake.stop()
