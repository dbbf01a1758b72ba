"""The `portal-harness fuzz` command: a seeded hypothesis campaign against the reference app
(or a mutant of it, or any target file), with a progress bar; on failure it prints the shrunk
example's timeline, the broken checks and the commands that replay it."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..versions import KNOWN_VERSIONS


def register(sub: argparse._SubParsersAction, matrix_args: Callable,
             common_sim: Callable) -> None:
    f = sub.add_parser(
        "fuzz", help="search portal flows and delivery plans for a failure, then shrink it",
        description="Generate portal flows (or take --scenario files) and delivery plans "
                    "(permutations, duplicates, drops Stripe retries, delays past checkpoints, "
                    "5xx from a failing database), run them at the target, and shrink the "
                    "first failure toward Stripe's natural order and fewer actions.")
    f.add_argument("--config", metavar="FILE", help="a target file (TOML) for an app over HTTP; "
                   "default: the built-in reference app")
    f.add_argument("--mutant", help="the reference app with a planted defect "
                   "(see `portal-harness mutants`)")
    f.add_argument("--examples", type=int, default=100, metavar="N",
                   help="examples to try before declaring success (default 100)")
    f.add_argument("--scenario", action="append", metavar="NAME",
                   help="fuzz delivery plans over this scenario (repeatable) instead of "
                        "generated portal flows")
    f.add_argument("--api-version", action="append", metavar="V", choices=KNOWN_VERSIONS,
                   help="repeatable; default: the run command's default versions")
    f.add_argument("--max-actions", type=int, default=12, metavar="N",
                   help="longest generated flow, in portal actions (default 12)")
    f.add_argument("--customers", type=int, default=1, choices=(1, 2, 3),
                   help="customers in a generated flow (default 1)")
    f.add_argument("--policy", choices=("not_ended", "active_only"), default=None,
                   help="which subscriptions grant the plan (default: not_ended)")
    f.add_argument("--reproduce", metavar="EXAMPLE",
                   help="run one example from a failure's replay line instead of a campaign")
    f.add_argument("--json", action="store_true", help="print the report as JSON")
    f.add_argument("--allow-live-keys", action="store_true",
                   help="accept a live Stripe key (sk_live_, rk_live_) in the target file; "
                        "refused by default, the harness never needs one")
    from .main import portal_configuration_arg

    portal_configuration_arg(f)
    common_sim(f)
    f.set_defaults(func=cmd_fuzz)


def cmd_fuzz(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..fuzz.campaign import Campaign
    from ..session import Session

    if args.examples < 1:
        raise ConfigError("--examples must be at least 1")
    if args.max_actions < 0:
        raise ConfigError("--max-actions must not be negative")
    session = Session.create(config=args.config, scenarios=args.scenario,
                             api_versions=args.api_version, deliveries=["in_order"],
                             seed=args.seed, billing_mode=args.billing_mode,
                             catalog=args.catalog, policy=args.policy, mutant=args.mutant,
                             security=False, allow_live_keys=args.allow_live_keys,
                             portal_configuration=args.portal_configuration if args.scenario
                             else None)
    with session:
        runner = session.runner
        versions = list(dict.fromkeys(c.api_version for c in session.cases))
        fixed = list({c.scenario.name: c.scenario for c in session.cases}.values())
        campaign = Campaign(
            runner, examples=args.examples, seed=args.seed,
            scenarios=fixed if args.scenario else None, api_versions=versions,
            billing_mode=args.billing_mode, max_actions=args.max_actions,
            customers=("alice", "bob", "carol")[:args.customers],
            command=runner.replay_prefix.replace("portal-harness run", "portal-harness fuzz", 1),
            options=_options(args), portal=_portal(args))
        if args.reproduce:
            report = campaign.reproduce(args.reproduce)
        else:
            with _progress(args.examples, enabled=not args.json) as tick:
                report = campaign.run(progress=tick)
    if args.json:
        print(report.to_json())
    else:
        _print(report)
    return 0 if report.ok else 1


def _portal(args: argparse.Namespace) -> Any:
    if not args.portal_configuration or args.scenario:
        return None  # --scenario files: the session already put the configurations in place
    from ..sim.portal_override import PortalOverride

    portal = PortalOverride.parse(args.portal_configuration)
    names = ("alice", "bob", "carol")[:args.customers]
    if unknown := sorted(set(portal.per_customer) - set(names)):
        from ..errors import ConfigError

        raise ConfigError(f"--portal-configuration: generated flows have the customers "
                          f"{', '.join(names)}, not {', '.join(unknown)}")
    return portal


def _options(args: argparse.Namespace) -> str:
    words = [f"--scenario {s}" for s in args.scenario or []]
    words += [f"--api-version {v}" for v in args.api_version or []]
    if not args.scenario:  # with --scenario the session's replay words carry them
        words += [f"--portal-configuration {p}" for p in args.portal_configuration or []]
    if args.billing_mode:
        words.append(f"--billing-mode {args.billing_mode}")
    if args.max_actions != 12:
        words.append(f"--max-actions {args.max_actions}")
    if args.customers != 1:
        words.append(f"--customers {args.customers}")
    return " ".join(words)


@contextlib.contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[Any, bool], None]]:
    """A bar on stderr (when it is a terminal): examples tried, then shrinking runs."""
    if not enabled or not sys.stderr.isatty():
        yield lambda result, shrinking: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .console import _console

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True, console=_console(stderr=True)) as bar:
        task = bar.add_task("fuzzing", total=total)
        shrinks = 0

        def tick(result: Any, shrinking: bool) -> None:
            nonlocal shrinks
            if shrinking:
                shrinks += 1
                bar.update(task, description=f"shrinking a failure ({shrinks} runs)")
            else:
                bar.update(task, advance=1, description=f"fuzzing {result.api_version}")

        yield tick


def _print(report: Any) -> None:
    from .console import _console

    console = _console()
    if not report.ok:
        console.print(report.failure_text(), markup=False)
        console.print()
    colour = "green" if report.ok else "red"
    console.print(f"[{colour}]{report.summary_line()}[/]")
