"""`portal-harness record` and `portal-harness replay`: event-stream cassettes from the shell.

record writes a scenario's events, checkpoints and expected state to a cassette (atomically,
never over an existing file without --force); replay plays a cassette, or what `stripe listen`
or GET /v1/events produced, at a target and reports as `run` does (exit 0, 1 or 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..delivery.plan import DEFAULT_MODES, MODES
from ..errors import ConfigError, ScenarioError
from ..versions import DEFAULT_VERSIONS, KNOWN_VERSIONS

# harness.cassettes.streams.IMPORT_FORMATS (a test keeps them equal), named here so that
# building the command line does not import the cassette modules for every command.
IMPORT_FORMATS = ("cassette", "print-json", "jsonl", "events-api", "array")


def register(sub: argparse._SubParsersAction, matrix_args: Callable,
             common_sim: Callable) -> None:
    r = sub.add_parser(
        "record", help="record a scenario's events and expected state as a cassette",
        description="Record a scenario's webhook events, its checkpoints and the state a "
                    "correct app holds at each, as a portal-harness/events@1 cassette.")
    r.add_argument("scenario", nargs="?", help="a built-in scenario name or a scenario file")
    r.add_argument("-o", "--output", metavar="FILE", help="the cassette to write")
    r.add_argument("--all", metavar="DIR", dest="all_dir",
                   help="record every built-in scenario for each API version into DIR as "
                        "SCENARIO@VERSION.events.json (default versions: "
                        f"{', '.join(DEFAULT_VERSIONS)})")
    r.add_argument("--api-version", action="append", metavar="V", choices=KNOWN_VERSIONS,
                   help=f"the endpoint's API version (default {DEFAULT_VERSIONS[-1]}; "
                        "repeatable with --all)")
    r.add_argument("--force", action="store_true", help="overwrite existing files")
    common_sim(r)
    r.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "replay", help="play a recorded event stream at a target and check it",
        description="Play a cassette (or `stripe listen` output, or a GET /v1/events body) "
                    "at a target, re-signing each event with the target's secret, and check "
                    "what the stream supports: the expected state at each recorded checkpoint; "
                    "otherwise that every event is accepted, none is answered 5xx, and "
                    "delivering every event again changes nothing.")
    p.add_argument("cassette", help="the event stream file")
    p.add_argument("--config", metavar="FILE", help="a target file (TOML) for an app over "
                   "HTTP; default: the built-in reference app")
    p.add_argument("--delivery", action="append", metavar="MODE", choices=MODES,
                   help=f"{', '.join(MODES)} (repeatable; default: all but chaos)")
    p.add_argument("--seed", type=int, default=0, help="seed for the delivery plans")
    p.add_argument("--format", choices=("auto", *IMPORT_FORMATS), default="auto",
                   help="the file's shape (default: detected)")
    p.add_argument("--mutant", help="replay at the reference app with a planted defect")
    p.add_argument("--catalog", help="a catalog file (YAML or TOML) replacing the default")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--allow-live-keys", action="store_true",
                   help="accept a live Stripe key (sk_live_, rk_live_) in the target file; "
                        "refused by default, the harness never needs one")
    p.set_defaults(func=cmd_replay)


def cmd_record(args: argparse.Namespace) -> int:
    from ..cassettes.replay import record_stream, stream_file_name
    from ..scenario.catalog import default_catalog, load_catalog
    from ..scenario.files import get_scenario, list_scenarios

    catalog = load_catalog(args.catalog) if args.catalog else default_catalog()
    if args.all_dir:
        if args.scenario or args.output:
            raise ConfigError("record: give SCENARIO -o FILE, or --all DIR, not both")
        folder = Path(args.all_dir)
        folder.mkdir(parents=True, exist_ok=True)
        jobs = [(folder / stream_file_name(sc.name, v, args.billing_mode), sc, v)
                for sc in list_scenarios() for v in args.api_version or DEFAULT_VERSIONS]
    else:
        if not (args.scenario and args.output):
            raise ConfigError("record: give SCENARIO -o FILE (or --all DIR)")
        versions = args.api_version or [DEFAULT_VERSIONS[-1]]
        if len(versions) > 1:
            raise ConfigError("record: one --api-version per file (repeat it only with --all)")
        jobs = [(Path(args.output), get_scenario(args.scenario), versions[0])]
    # Everything is recorded before anything is written, so a refusal leaves no half-done set.
    streams = []
    for path, sc, version in jobs:
        try:
            stream = record_stream(sc, version, seed=args.seed, billing_mode=args.billing_mode,
                                   catalog=catalog)
        except ScenarioError as exc:
            if not args.all_dir or "cannot run here" not in str(exc):
                raise
            print(f"skipped {sc.name} ({version}): {str(exc).split(': ', 1)[1]}")
            continue
        text = stream.to_json()
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old is not None and old != text and not args.force:
            raise ConfigError(f"{path}: already exists (and differs); pass --force to "
                              "overwrite it")
        if path.exists() and not path.is_file():
            raise ConfigError(f"{path}: exists and is not a file")
        streams.append((path, stream, old == text))
    for path, stream, unchanged in streams:
        if not unchanged:
            stream.dump(path)
        verb = "unchanged" if unchanged else "recorded"
        print(f"{verb} {stream.scenario} ({stream.api_version}, {stream.billing_mode} billing, "
              f"seed {stream.seed}): {len(stream.events)} events, "
              f"{len(stream.checkpoints)} checkpoints -> {path}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from ..cassettes.replay import replay_file
    from .console import print_report, progress

    deliveries = args.delivery or list(DEFAULT_MODES)
    with progress(len(deliveries), enabled=not args.json) as tick:
        report = replay_file(args.cassette, config=args.config, mutant=args.mutant,
                             deliveries=deliveries, seed=args.seed,
                             format=None if args.format == "auto" else args.format,
                             catalog=args.catalog, progress=tick,
                             allow_live_keys=args.allow_live_keys)
    if args.json:
        print(report.to_json())
    else:
        print_report(report)
    return report.exit_code
