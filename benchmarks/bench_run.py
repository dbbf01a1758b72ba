"""Benchmark: the full default run and one case (wall and CPU, with start-up), delivered events
per second through the reference app in-process and over HTTP on loopback, and the reference
app's default matrix over HTTP (the harness's own CPU per delivery, cases one at a time and
overlapping).

    python benchmarks/bench_run.py            # every figure
    python benchmarks/bench_run.py --quick    # in-process figures only
    python benchmarks/bench_run.py --repeat 3 # ranges over three measurements

Prints figures under the machine they ran on; asserts nothing. Deliveries are signed at send
time, as in a real run. CPU seconds are given beside wall seconds because a shared machine
stretches wall time; CPU time is what the code costs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import httpx
from machine import describe

from harness import ReferenceTarget, default_catalog, list_scenarios
from harness.delivery.signing import sign_payload
from harness.fake_stripe import FakeStripe
from harness.render.events import Event
from harness.run import DEFAULT_WEBHOOK_SECRET
from harness.sim.simulator import Simulator
from harness.targets.inprocess import CaseContext

VERSION = "2025-03-31.basil"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Commands run as an installed package runs: with its modules' bytecode cached (an environment
# that sets PYTHONDONTWRITEBYTECODE would otherwise compile every changed module on each run).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def command_time(*argv: str) -> tuple[float, float, str]:
    """(wall s, CPU s, last output line) of `portal-harness run ARGV` in a fresh process."""
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", *argv],
                          capture_output=True, text=True, env=_ENV)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"portal-harness run failed:\n{proc.stdout[-2000:]}{proc.stderr}")
    return elapsed, _children_cpu() - cpu, proc.stdout.strip().splitlines()[-1]


def _cases(rounds: int):
    """Every built-in scenario, simulated and rendered ahead of the timed delivery loop."""
    catalog = default_catalog()
    for r in range(rounds):
        for scenario in list_scenarios():
            sim = Simulator(scenario, VERSION, catalog, seed=r)
            segments = sim.run()
            events = [Event.from_sim(e, VERSION, catalog) for s in segments for e in s.events]
            for e in events:
                _ = e.body  # serialize outside the timed loop
            yield sim, events


def in_process(rounds: int = 5) -> tuple[int, float, float]:
    catalog = default_catalog()
    target = ReferenceTarget()
    delivered, spent, cpu = 0, 0.0, 0.0
    fake = FakeStripe(Simulator(list_scenarios()[0], VERSION, catalog).world)
    for sim, events in _cases(rounds):
        fake.world = sim.world
        target.start_case(CaseContext(VERSION, DEFAULT_WEBHOOK_SECRET, catalog, fake))
        for c in sim.customers.values():
            target.seed(c.user_id, c.email, c.customer_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        for e in events:
            status = target.deliver(e.body, {"Stripe-Signature": sign_payload(
                e.body, DEFAULT_WEBHOOK_SECRET), "Content-Type": "application/json"})
            assert status == 200, (status, e.type)
        spent += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        delivered += len(events)
    target.close()
    return delivered, spent, cpu


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def over_http(rounds: int = 2) -> tuple[int, float, float]:
    catalog = default_catalog()
    fake = FakeStripe(Simulator(list_scenarios()[0], VERSION, catalog).world).start()
    port = _free_port()
    plans = {p: [x.id for x in catalog.prices_of(p)] for p in catalog.plans}
    app = subprocess.Popen(
        [sys.executable, "-m", "harness.reference_app", "--port", str(port), "--api-base",
         fake.url, "--api-key", fake.api_key, "--webhook-secret", DEFAULT_WEBHOOK_SECRET,
         "--api-version", VERSION, "--plans", json.dumps(plans)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    delivered, spent, cpu = 0, 0.0, 0.0
    try:
        app.stdout.readline()  # "reference app ready on ..."
        with httpx.Client(base_url=base) as http:
            for sim, events in _cases(rounds):
                with fake.lock:
                    fake.world = sim.world
                for c in sim.customers.values():
                    http.post("/__test/users", json={"id": c.user_id, "email": c.email,
                                                     "stripe_customer_id": c.customer_id})
                started, cpu_started = time.perf_counter(), time.process_time()
                for e in events:
                    r = http.post("/webhooks/stripe", content=e.body, headers={
                        "Stripe-Signature": sign_payload(e.body, DEFAULT_WEBHOOK_SECRET),
                        "Content-Type": "application/json"})
                    assert r.status_code == 200, (r.status_code, r.text, e.type)
                spent += time.perf_counter() - started
                cpu += time.process_time() - cpu_started
                delivered += len(events)
    finally:
        app.terminate()
        app.wait(timeout=10)
        fake.stop()
    return delivered, spent, cpu


REFERENCE_OVER_HTTP = Path(__file__).resolve().parents[1] / "examples/reference-app/harness.toml"
FASTAPI_APP = Path(__file__).resolve().parent / "fastapi_app" / "harness.toml"


def matrix_over_http(config: Path, concurrency: int) -> tuple[int, float, float, float]:
    """(deliveries, wall s, harness CPU s, app CPU s) of `run --config` in this process: the
    harness CPU is this process's (simulator, renderer, signing, HTTP client, the fake Stripe
    API answering the app, state reads, checks), the app's is its process's."""
    from harness.cli import main as cli

    cpu, app_cpu = time.process_time(), _children_cpu()
    started = time.perf_counter()
    with redirect_stdout(io.StringIO()) as out:
        code = cli(["run", "--config", str(config), "--json", "--concurrency", str(concurrency)])
    elapsed = time.perf_counter() - started
    report = json.loads(out.getvalue())
    if code not in (0, 1):
        raise SystemExit(f"run --config {config} failed")
    return (report["attempts"], elapsed, time.process_time() - cpu, _children_cpu() - app_cpu)


def _spread(values: list[float], digits: int = 2) -> str:
    """'1.23' or '1.23 to 1.45': the range of repeated measurements."""
    low, high = min(values), max(values)
    fmt = f"{{:,.{digits}f}}"
    return fmt.format(low) if fmt.format(low) == fmt.format(high) else (
        f"{fmt.format(low)} to {fmt.format(high)}")


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="in-process figures only")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="measure the run and in-process figures N times; print ranges")
    args = parser.parse_args()
    print(describe())
    if not args.quick:
        command_time("--scenario", "upgrade", "--delivery", "in_order")  # bytecode cached
        commands = [
            ("full default `portal-harness run`, with start-up", ()),
            ("the same in one process (--jobs 1)", ("--jobs", "1")),
            ("one case (upgrade, basil, in_order), with start-up",
             ("--scenario", "upgrade", "--api-version", "2025-03-31.basil", "--delivery",
              "in_order")),
        ]
        for what, argv in commands:
            runs = [command_time(*argv) for _ in range(args.repeat)]
            print(f"{what}: {_spread([r[0] for r in runs])} s wall, "
                  f"{_spread([r[1] for r in runs])} s CPU (all processes; "
                  f"{args.repeat} run{'s' * (args.repeat > 1)}, {_load()})")
            if not argv:
                print(f"  {runs[-1][2]}")
    rates = [in_process() for _ in range(args.repeat)]
    n = rates[0][0]
    print(f"in-process deliveries to the reference app: {n} events, "
          f"{_spread([r[0] / r[1] for r in rates], 0)} events/s wall, "
          f"{_spread([r[0] / r[2] for r in rates], 0)} events per CPU second ({_load()})")
    if not args.quick:
        n, t, c = over_http()
        print(f"HTTP deliveries to the reference app (uvicorn, loopback): {n} events in "
              f"{t:.2f} s = {n / t:,.0f} events/s, harness CPU {c / n * 1e3:.2f} ms/delivery")
        apps = [("reference app", REFERENCE_OVER_HTTP)]
        try:
            import fastapi  # noqa: F401

            apps.append(("FastAPI + SQLite app", FASTAPI_APP))
        except ImportError:
            print("(pip install fastapi for the FastAPI + SQLite app's figures)")
        for name, config in apps:
            for concurrency in (1, 4):
                n, wall, cpu, app = matrix_over_http(config, concurrency)
                print(f"{name}'s default matrix over HTTP, --concurrency {concurrency}: "
                      f"{n} deliveries in {wall:.2f} s wall incl. start-up; harness CPU "
                      f"{cpu / n * 1e3:.2f} ms per delivery (all of its work), app CPU "
                      f"{app / n * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
