"""The `portal-harness` command: a thin front over the library.

Commands, one module each: scenarios and events (`scenarios`), run, mutants, fuzz, record and
replay (`cassettes`), serve. This module parses the command line and maps errors to exit codes:
0 all checks pass, 1 the app has a defect (a check failed, or the app crashed), 2 bad usage or
configuration (the message names the file, key or url), 3 the harness could not judge (a
request its fake Stripe API does not serve, or a fault of its own; see harness.checks.faults),
130 Ctrl-C, 128 + N stopped by signal N (143 SIGTERM, 129 SIGHUP) after cleaning up.
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

    from . import cassettes, fuzz, mutants, run, scenarios, serve

    for command in (scenarios, run, mutants, fuzz, cassettes, serve):
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
    portal_configuration_arg(p)
    _common_sim(p)


def portal_configuration_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--portal-configuration", action="append", metavar="[CUSTOMER=]NAME_OR_FILE",
                   help="the billing_portal.configuration the portal uses, over the scenarios' "
                        "own: a built-in name or Stripe's object as JSON, YAML or TOML; "
                        "CUSTOMER=... for one scenario customer (repeatable), as apps route "
                        "customer types to different configurations; scenarios with a step it "
                        "does not offer are skipped")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
