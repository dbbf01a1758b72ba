"""The `portal-harness` command: a thin front over the library.

Commands: scenarios, events, run, fuzz, record, replay, serve. Exit codes: 0 all checks pass,
1 the app has a defect (a check failed, or the app crashed), 2 bad usage or configuration (the
message names the file, key or url), 3 the harness could not judge (a request its fake Stripe
API does not serve, or a fault of its own; see harness.checks.faults), 130 Ctrl-C, 128 + N
stopped by signal N (143 SIGTERM, 129 SIGHUP) after cleaning up.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ..errors import HarnessError
from ..masking import mask_text
from ..termination import Terminated, stop_on_signals
from ..versions import DEFAULT_VERSIONS, KNOWN_VERSIONS


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with stop_on_signals():
            return args.func(args)
    except HarnessError as exc:
        print(f"portal-harness: error: {mask_text(str(exc))}", file=sys.stderr)
        if getattr(args, "json", False):  # a JSON reader learns it too, and whose fault it is
            print(json.dumps({"ok": False, "exit_code": 2, "fault": "target_file",
                              "error": mask_text(str(exc))}, indent=2))
        return 2
    except Terminated as exc:
        print(f"portal-harness: stopped by {exc.name}; the app and temporary files were "
              "cleaned up", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("portal-harness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # a fault of the harness itself: say so, with what to report
        import traceback

        print(mask_text(traceback.format_exc()), file=sys.stderr, end="")
        print("portal-harness: internal error (a fault of the harness, not of your app or "
              "your files); please report it with the traceback above", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="portal-harness",
        description="Play Stripe Customer Portal flows at a billing integration as signed "
                    "webhooks and check that its database stays in sync with Stripe.")
    sub = p.add_subparsers(metavar="COMMAND")

    s = sub.add_parser("scenarios", help="list the scenarios")
    s.add_argument("--dir", help="a directory of scenario files instead of the built-ins")
    s.set_defaults(func=cmd_scenarios)

    e = sub.add_parser("events", help="print a scenario's events as a JSON array, as delivered")
    e.add_argument("scenario", help="a built-in scenario name or a scenario file")
    e.add_argument("--clock-start", metavar="WHEN",
                   help="the virtual clock's start: fixed (default), now, a unix or ISO time")
    e.add_argument("--api-version", default=DEFAULT_VERSIONS[-1], metavar="V",
                   help=f"the endpoint's API version (default {DEFAULT_VERSIONS[-1]})")
    _common_sim(e)
    e.set_defaults(func=cmd_events)

    r = sub.add_parser("run", help="play every scenario x version x delivery mode at a target")
    _matrix_args(r)
    _scale_args(r)
    r.set_defaults(func=cmd_run)

    from . import cassettes, fuzz, mutants, serve

    for command in (mutants, fuzz, cassettes, serve):
        command.register(sub, _matrix_args, _common_sim)
    return p


def _common_sim(p: argparse.ArgumentParser) -> None:
    p.add_argument("--billing-mode", choices=("classic", "flexible"),
                   help="default: flexible from 2025-09-30.clover, classic before")
    p.add_argument("--seed", type=int, default=0, help="seed for ids and delivery plans")
    p.add_argument("--catalog", help="a catalog file (YAML or TOML) replacing the default")


def _matrix_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="a target file (TOML) for an app over HTTP; "
                   "default: the built-in reference app")
    p.add_argument("--scenario", action="append", metavar="NAME",
                   help="scenario name or file (repeatable; default: all built-in)")
    p.add_argument("--api-version", action="append", metavar="V", choices=KNOWN_VERSIONS,
                   help=f"repeatable; default: {', '.join(DEFAULT_VERSIONS)}")
    p.add_argument("--delivery", action="append", metavar="MODE",
                   help="in_order, shuffled, duplicated, retried, delayed or chaos "
                        "(repeatable; default: all but chaos)")
    p.add_argument("--policy", choices=("not_ended", "active_only"), default=None,
                   help="which subscriptions grant the plan (default: not_ended)")
    p.add_argument("--mutant", help="run against the reference app with a planted defect "
                   "(see `portal-harness mutants`)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--matrix", choices=("default", "full"), default="default",
                   help="which endpoint-version x billing-mode pairs to add: default, the "
                        "basil endpoint with flexible subscriptions (in order, shuffled); full, "
                        "every version with the other billing mode in every delivery mode "
                        "(ignored with --billing-mode)")
    p.add_argument("--allow-live-keys", action="store_true",
                   help="accept a live Stripe key (sk_live_, rk_live_) in the target file; "
                        "refused by default, the harness never needs one")
    p.add_argument("--clock-start", metavar="WHEN",
                   help="the virtual clock's start: fixed (default: 2026-01-01T09:00:00Z), now, "
                        "a unix time or an ISO time; overrides [clock].start")
    _common_sim(p)


def _scale_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes for the built-in reference app and its mutants "
                        "(default: all cores; 1: this process only); results, seeds and "
                        "output order are the same whatever N")
    p.add_argument("--concurrency", type=int, default=None, metavar="N",
                   help="cases at once against an app over HTTP (--config; default 4, capped "
                        "by the target file's [webhook].concurrency; 1 if it has a "
                        "[seed].reset_url)")
    p.add_argument("--shard", metavar="I/N",
                   help="play only the I-th of N deterministic slices of the matrix, e.g. "
                        "--shard 2/4 on the second of four CI runners")


def cmd_scenarios(args: argparse.Namespace) -> int:
    from ..scenario.files import list_scenarios

    for sc in list_scenarios(args.dir):
        first = " ".join(sc.description.split())
        print(f"{sc.name:<26} {first}")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from ..render.events import Event
    from ..scenario.catalog import default_catalog, load_catalog
    from ..scenario.files import get_scenario
    from ..sim.simulator import Simulator
    from ..versions import check_version

    check_version(args.api_version)
    catalog = load_catalog(args.catalog) if args.catalog else default_catalog()
    from ..targets.clock import resolve_start

    sim = Simulator(get_scenario(args.scenario), args.api_version, catalog,
                    billing_mode=args.billing_mode, seed=args.seed,
                    start=resolve_start(args.clock_start))
    payloads = [Event.from_sim(e, args.api_version, catalog).payload
                for seg in sim.segments() for e in seg.events]
    sys.stdout.write(json.dumps(payloads, indent=2, ensure_ascii=False) + "\n")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ..session import Session
    from .console import print_report, progress

    session = Session.from_args(args)
    # Progress goes to stderr, so it also shows in CI logs of a --json run; stdout stays JSON.
    with session, progress(session.total) as tick:
        report = session.run(progress=tick)
    if args.json:
        print(report.to_json())
    else:
        print_report(report)
    return report.exit_code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
