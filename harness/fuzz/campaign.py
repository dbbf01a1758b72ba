"""Fuzzing: a seeded hypothesis campaign of portal flows and delivery plans against one target.

Takes a `Runner` and the campaign's options; gives a `FuzzReport`: the examples run and, for a
failure, the shrunk example as a `CaseResult` with a short timeline, the broken checks and two
replay commands (the example, encoded like hypothesis's blob, and the campaign). Needs `fuzz`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..checks.report import CaseResult
from ..delivery.plan import Planned, Schedule
from ..errors import ConfigError
from ..run import Case, Runner
from ..scenario.files import Scenario, step_name
from ..versions import DEFAULT_VERSIONS, check_version
from . import strategies
from .constants import without_local_constants

MAX_TIMELINE = 16  # delivery attempts shown; the rest are summed up in one line
MAX_PER_CHECK = 2  # violations shown per check

Progress = Callable[[CaseResult, bool], None]
"""Called after every example with its result and whether the campaign is shrinking a failure."""


class _Failed(AssertionError):
    """Raised inside the property so hypothesis keeps shrinking; never escapes `Campaign.run`."""


@dataclass
class FuzzReport:
    """What a campaign did: examples, time, and the shrunk failing example if there is one."""

    seed: int
    target: str
    examples: int = 0  # examples tried before the first failure (or all of them)
    shrink_runs: int = 0  # examples run while shrinking the failure
    duration: float = 0.0
    failure: CaseResult | None = None
    case: Case | None = None
    reproduce: str | None = None  # the encoded example
    campaign: str = ""  # the command that reruns the whole campaign
    flaky: bool = False  # the target did not fail again when the example was replayed
    catalog: Any = field(default=None, repr=False)
    enabled_events: list[str] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def runs(self) -> int:
        return self.examples + self.shrink_runs

    @property
    def examples_per_second(self) -> float:
        return self.runs / self.duration if self.duration else 0.0

    def summary_line(self) -> str:
        verdict = ("no failure" if self.ok else
                   "1 failure (flaky: it passed when replayed)" if self.flaky else
                   "1 failure (shrunk)")
        shrink = f" + {self.shrink_runs} while shrinking" if self.shrink_runs else ""
        examples = f"{self.examples} example{'' if self.examples == 1 else 's'}"
        return (f"{verdict}: {examples}{shrink} in {self.duration:.2f} s "
                f"({self.examples_per_second:.1f} per second, seed {self.seed})")

    def failure_text(self) -> str:
        """Like hypothesis's "Falsifying example": the flow as scenario steps (paste them into a
        scenario file), the plan, one line per delivery attempt, the broken checks, then the
        command that replays this example and the one that reruns the campaign."""
        if self.failure is None or self.case is None:
            return ""
        case, res = self.case, self.failure
        mode = (f"{case.billing_mode} billing mode" if case.billing_mode
                else f"{res.billing_mode} billing mode (the version's default)")
        lines = [f"Falsifying example (example {self.examples}, shrunk in {self.shrink_runs} "
                 f"runs, seed {self.seed}):",
                 f"  API version {case.api_version}, {mode}",
                 f"  scenario {case.scenario.name!r}, steps:"]
        lines += [f"    - {_step_yaml(s)}" for s in case.scenario.steps]
        if case.schedule is not None:
            lines.append(f"  plan (event numbers; | between checkpoints, + a repeat): "
                         f"{strategies.plan_text(case.schedule)}")
            types = strategies.segment_event_types(
                case.scenario, case.api_version, case.billing_mode, catalog=self.catalog,
                enabled_events=self.enabled_events)
            changes = departures(case.schedule, types, case.scenario.checkpoints)
            lines.append("  departures from Stripe's order:" if changes
                         else "  delivered in Stripe's order")
            lines += [f"    {c}" for c in changes]
        timeline = res.failure_text(max_lines=MAX_TIMELINE).splitlines()
        end = timeline.index("Broken checks:") if "Broken checks:" in timeline else len(timeline)
        lines += timeline[1:end]
        lines.append("Broken checks:")
        shown: dict[str, int] = {}
        for v in res.violations:
            shown[v.check] = shown.get(v.check, 0) + 1
            if shown[v.check] > MAX_PER_CHECK:
                continue
            where = f"[{v.checkpoint}] " if v.checkpoint else ""
            lines.append(f"  {v.check}: {where}{v.message}")
            lines.append(f"      expected {v.expected!r}, app has {v.actual!r}")
            lines.append(f"      defect: {v.defect}")
        for check, n in shown.items():
            if n > MAX_PER_CHECK:
                lines.append(f"  ... and {n - MAX_PER_CHECK} more {check} (--json lists all)")
        lines.append(f"Replay this example: {res.replay}")
        lines.append(f"Rerun the campaign: {self.campaign}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok, "seed": self.seed, "target": self.target,
            "examples": self.examples, "shrink_runs": self.shrink_runs, "flaky": self.flaky,
            "duration_s": round(self.duration, 3),
            "examples_per_second": round(self.examples_per_second, 2),
            "campaign": self.campaign,
            "results": [self.failure.to_dict()] if self.failure else [],
        }
        if self.case is not None and self.failure is not None:
            out["example"] = {
                "api_version": self.case.api_version, "billing_mode": self.failure.billing_mode,
                "steps": [{step_name(s): s.model_dump(exclude_defaults=True)}
                          for s in self.case.scenario.steps],
                "plan": strategies.plan_text(self.case.schedule) if self.case.schedule else None,
                "reproduce": self.reproduce,
            }
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def _repr_markdown_(self) -> str:
        if self.ok:
            return f"**fuzz**: {self.summary_line()}"
        return f"**fuzz**: {self.summary_line()}\n\n```\n{self.failure_text()}\n```"

    def __str__(self) -> str:
        return self.summary_line()


@dataclass
class Campaign:
    """A fuzz campaign: generated portal flows (or the given scenarios) under generated
    delivery plans, across API versions and billing modes; the same seed gives the same run.

    `settings` is a hypothesis settings object to start from (a profile); the campaign always
    turns off the example database, deadlines and derandomization, so its seed alone says which
    examples run, and `examples` overrides the profile's max_examples.
    """

    runner: Runner
    examples: int = 100
    seed: int = 0
    scenarios: Sequence[Scenario] | None = None
    api_versions: Sequence[str] = DEFAULT_VERSIONS
    billing_mode: str | None = None
    customers: Sequence[str] = ("alice",)
    max_actions: int = 12
    settings: Any = None
    command: str = "portal-harness fuzz"  # the words that choose the target (--mutant, --config)
    options: str = ""  # the words that choose scenarios, versions and billing mode
    portal: Any = None  # a PortalOverride: the portal configurations generated flows play under

    def strategy(self) -> Any:
        return strategies.cases(
            scenarios_from=self.scenarios, versions=tuple(self.api_versions),
            modes=(self.billing_mode,) if self.billing_mode else None,
            catalog=self.runner.catalog, enabled_events=self.runner.enabled_events,
            customers=self.customers, max_actions=self.max_actions, seed=self.seed,
            portal=self.portal)

    def campaign_command(self) -> str:
        parts = [self.command, self.options, f"--seed {self.seed}", f"--examples {self.examples}"]
        return " ".join(p for p in parts if p)

    def run(self, progress: Progress | None = None) -> FuzzReport:
        import hypothesis
        from hypothesis import HealthCheck, Phase, Verbosity

        for v in self.api_versions:
            check_version(v)
        report = FuzzReport(self.seed, self.runner.target.name,
                            campaign=self.campaign_command(), catalog=self.runner.catalog,
                            enabled_events=self.runner.enabled_events)
        found: list[tuple[Case, CaseResult]] = []

        played: set[int] = set()

        def prop(case: Case) -> None:
            # hypothesis may draw one example twice; an app kept between examples already
            # holds the first one's objects, so a repeat plays under fresh ids
            while case.world_seed in played:
                case = dataclasses.replace(case, seed=case.seed + 1)
            played.add(case.world_seed)
            result = self.runner.run_case(case)
            if found:
                report.shrink_runs += 1
            else:
                report.examples += 1
            if progress:
                progress(result, bool(found))
            if not result.ok and not result.skipped:
                found.append((case, result))
                raise _Failed(result.label)

        base = self.settings if self.settings is not None else hypothesis.settings()
        chosen = hypothesis.settings(
            base, max_examples=self.examples, database=None, deadline=None, derandomize=False,
            report_multiple_bugs=False, verbosity=Verbosity.quiet, print_blob=False,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck))
        test = chosen(hypothesis.given(self.strategy())(prop))
        test = hypothesis.seed(self.seed)(test)
        started = time.perf_counter()
        try:
            with without_local_constants():
                test()
        except (_Failed, hypothesis.errors.Flaky) as exc:
            # hypothesis replays the shrunk example last, so the last failure is the minimal one;
            # a target that stops failing on that replay (Flaky) still reports what failed
            report.flaky = not isinstance(exc, _Failed)
            case, result = found[-1]
            report.case, report.failure = case, result
            report.reproduce = encode_case(case)
            result.replay = f"{self.command} --reproduce {report.reproduce}"
        finally:
            report.duration = time.perf_counter() - started
        return report

    def reproduce(self, blob: str) -> FuzzReport:
        """Run one encoded example (from a failure's replay line) and report it like a campaign."""
        case = decode_case(blob)
        report = FuzzReport(case.seed, self.runner.target.name, examples=1,
                            campaign=f"{self.command} --reproduce {blob}",
                            catalog=self.runner.catalog,
                            enabled_events=self.runner.enabled_events)
        started = time.perf_counter()
        result = self.runner.run_case(case)
        report.duration = time.perf_counter() - started
        if not result.ok and not result.skipped:
            report.case, report.failure, report.reproduce = case, result, blob
            result.replay = f"{self.command} --reproduce {blob}"
        return report


def fuzz(runner: Runner, *, examples: int = 100, seed: int = 0,
         progress: Progress | None = None, **options: Any) -> FuzzReport:
    """Run a campaign against `runner`'s target; keyword options are `Campaign` fields."""
    return Campaign(runner, examples=examples, seed=seed, **options).run(progress)


# -- how a plan reads -----------------------------------------------------------------------------


def departures(schedule: Schedule, types: Sequence[Sequence[str]],
               checkpoints: Sequence[str]) -> list[str]:
    """How a schedule departs from Stripe's natural order, one short phrase per change.

    `types` is `strategies.segment_event_types()` for the same run. Events outside a longest
    run kept in Stripe's order count as moved; each is named with the delivery it came after.
    """
    names = [t for seg in types for t in seg]
    owner = {e: i for i, seg in enumerate(_numbered(types)) for e in seg}
    first: list[tuple[int, int]] = []  # (event, segment) in first-hand delivery order
    seen: set[int] = set()
    out: list[str] = []
    for i, seg in enumerate(schedule.segments):
        for p in seg:
            if p.event in seen:
                out.append(f"#{p.event} {names[p.event]} delivered again")
                continue
            seen.add(p.event)
            first.append((p.event, i))
            if p.fate != "deliver":
                what = {"lost": "lost on the way", "timeout": "answered but the answer lost",
                        "fault": "hit a database failure"}[p.fate]
                out.append(f"#{p.event} {names[p.event]}: first attempt {what}")
    kept = _longest_increasing([e for e, _ in first])
    moved = []
    for k, (e, seg_i) in enumerate(first):
        late = seg_i > owner[e] and owner[e] < len(checkpoints)
        past = f"past checkpoint {checkpoints[owner[e]]!r}" if late else ""
        if e not in kept:
            after = f"after #{first[k - 1][0]} {names[first[k - 1][0]]}" if k else "first"
            moved.append(f"#{e} {names[e]} delivered {after}{', ' + past if past else ''}")
        elif late:
            moved.append(f"#{e} {names[e]} delivered {past}")
    return moved + out


def _numbered(types: Sequence[Sequence[str]]) -> list[list[int]]:
    out, n = [], 0
    for seg in types:
        out.append(list(range(n, n + len(seg))))
        n += len(seg)
    return out


def _longest_increasing(seq: Sequence[int]) -> set[int]:
    """The values of a longest increasing subsequence; among equals, the one that keeps the
    events delivered early, so the ones reported as moved are the ones that arrived late."""
    import bisect

    rev = [-x for x in reversed(seq)]  # a longest decreasing run read from the end
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(rev)
    for i, x in enumerate(rev):
        j = bisect.bisect_left(tails, x)
        if j == len(tails):
            tails.append(x)
            tail_at.append(i)
        else:
            tails[j] = x
            tail_at[j] = i
        back[i] = tail_at[j - 1] if j else -1
    out: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        out.add(-rev[i])
        i = back[i]
    return out



# -- the example codec ------------------------------------------------------------------------


def encode_case(case: Case) -> str:
    """A fuzz case as one shell-safe word: version, billing mode, seed, steps and plan."""
    sc = case.scenario
    data = {
        "v": case.api_version, "b": case.billing_mode, "s": case.seed, "n": sc.name,
        "c": [c.model_dump(exclude_none=True) for c in sc.customers],
        "t": [{step_name(s): s.model_dump(exclude_defaults=True)} for s in sc.steps],
        "r": sc.requires or None, "g": sc.portal_configuration,
        "p": [[p.event if p.fate == "deliver" else [p.event, p.fate] for p in seg]
              for seg in (case.schedule.segments if case.schedule else [])],
    }
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_case(blob: str) -> Case:
    """The case `encode_case` wrote; a damaged blob is a ConfigError."""
    try:
        # Bounded: a blob is a few hundred bytes; a crafted one must not inflate without limit.
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)),
                                 1024 * 1024)
        if inflate.unconsumed_tail:
            raise ValueError("the example is larger than 1 MiB")
        data = json.loads(raw)
        scenario = Scenario.model_validate({
            "name": data["n"], "description": "a fuzzed example", "customers": data["c"],
            "steps": data["t"], "requires": data.get("r") or {},
            "portal_configuration": data.get("g")})
        segments = [[Planned(*p) if isinstance(p, list) else Planned(p) for p in seg]
                    for seg in data["p"]]
        version = check_version(data["v"])
    except (ValueError, KeyError, TypeError, zlib.error, RecursionError) as exc:
        raise ConfigError(f"--reproduce: not an example this version of portal-harness "
                          f"wrote ({type(exc).__name__}: {str(exc)[:200]})") from None
    schedule = Schedule(segments, mode="explicit")
    return Case(scenario, version, strategies.FUZZ_DELIVERY, seed=int(data["s"]),
                billing_mode=data["b"], schedule=schedule)


def _step_yaml(step: Any) -> str:
    params = step.model_dump(exclude_defaults=True)
    inner = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in params.items())
    return f"{step_name(step)}: {{{inner}}}"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, str) and value[:1].isalpha() and ":" not in value:
        return value
    return json.dumps(value)  # YAML reads JSON scalars and flow mappings as they are

