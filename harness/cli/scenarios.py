"""`portal-harness scenarios` and `portal-harness events`: the built-in flows, and the events of
one as its endpoint would receive them."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from ..versions import DEFAULT_VERSIONS


def register(sub: argparse._SubParsersAction, matrix_args: Callable,
             common_sim: Callable) -> None:
    s = sub.add_parser("scenarios", help="list the scenarios")
    s.add_argument("--dir", help="a directory of scenario files instead of the built-ins")
    s.set_defaults(func=cmd_scenarios)

    e = sub.add_parser("events", help="print a scenario's events as a JSON array, as delivered")
    e.add_argument("scenario", help="a built-in scenario name or a scenario file")
    e.add_argument("--clock-start", metavar="WHEN",
                   help="the virtual clock's start: fixed (default), now, a unix or ISO time")
    e.add_argument("--api-version", default=DEFAULT_VERSIONS[-1], metavar="V",
                   help=f"the endpoint's API version (default {DEFAULT_VERSIONS[-1]})")
    from .main import portal_configuration_arg

    portal_configuration_arg(e)
    common_sim(e)
    e.set_defaults(func=cmd_events)


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

    scenario = get_scenario(args.scenario)
    if args.portal_configuration:
        from ..sim.portal_override import PortalOverride

        scenario = PortalOverride.parse(args.portal_configuration).apply([scenario])[0]
    sim = Simulator(scenario, args.api_version, catalog,
                    billing_mode=args.billing_mode, seed=args.seed,
                    start=resolve_start(args.clock_start))
    payloads = [Event.from_sim(e, args.api_version, catalog).payload
                for seg in sim.segments() for e in seg.events]
    sys.stdout.write(json.dumps(payloads, indent=2, ensure_ascii=False) + "\n")
    return 0
