"""Benchmark: wall time of the full default run, and delivered events per second through the
reference app in-process and over HTTP on loopback.

    python benchmarks/bench_run.py            # all three figures
    python benchmarks/bench_run.py --quick    # in-process only

Prints figures; asserts nothing. Deliveries are signed at send time, as in a real run.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time

import httpx

from harness import ReferenceTarget, default_catalog, list_scenarios
from harness.delivery.signing import sign_payload
from harness.fake_stripe import FakeStripe
from harness.render.events import Event
from harness.run import DEFAULT_WEBHOOK_SECRET
from harness.sim.simulator import Simulator
from harness.targets.inprocess import CaseContext

VERSION = "2025-03-31.basil"


def full_run_wall_time() -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run"], capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"portal-harness run failed:\n{proc.stdout[-2000:]}")
    print(f"  {proc.stdout.strip().splitlines()[-1]}")
    return elapsed


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


def in_process(rounds: int = 5) -> tuple[int, float]:
    catalog = default_catalog()
    target = ReferenceTarget()
    delivered, spent = 0, 0.0
    fake = FakeStripe(Simulator(list_scenarios()[0], VERSION, catalog).world)
    for sim, events in _cases(rounds):
        fake.world = sim.world
        target.start_case(CaseContext(VERSION, DEFAULT_WEBHOOK_SECRET, catalog, fake))
        for c in sim.customers.values():
            target.seed(c.user_id, c.email, c.customer_id)
        started = time.perf_counter()
        for e in events:
            status = target.deliver(e.body, {"Stripe-Signature": sign_payload(
                e.body, DEFAULT_WEBHOOK_SECRET), "Content-Type": "application/json"})
            assert status == 200, (status, e.type)
        spent += time.perf_counter() - started
        delivered += len(events)
    target.close()
    return delivered, spent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def over_http(rounds: int = 2) -> tuple[int, float]:
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
    delivered, spent = 0, 0.0
    try:
        app.stdout.readline()  # "reference app ready on ..."
        with httpx.Client(base_url=base) as http:
            for sim, events in _cases(rounds):
                with fake.lock:
                    fake.world = sim.world
                for c in sim.customers.values():
                    http.post("/__test/users", json={"id": c.user_id, "email": c.email,
                                                     "stripe_customer_id": c.customer_id})
                started = time.perf_counter()
                for e in events:
                    r = http.post("/webhooks/stripe", content=e.body, headers={
                        "Stripe-Signature": sign_payload(e.body, DEFAULT_WEBHOOK_SECRET),
                        "Content-Type": "application/json"})
                    assert r.status_code == 200, (r.status_code, r.text, e.type)
                spent += time.perf_counter() - started
                delivered += len(events)
    finally:
        app.terminate()
        app.wait(timeout=10)
        fake.stop()
    return delivered, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="in-process figure only")
    args = parser.parse_args()
    if not args.quick:
        print("full default `portal-harness run` (220 cases, with start-up):")
        print(f"  wall time: {full_run_wall_time():.2f} s")
    n, t = in_process()
    print(f"in-process deliveries to the reference app: {n} events in {t:.2f} s = "
          f"{n / t:,.0f} events/s")
    if not args.quick:
        n, t = over_http()
        print(f"HTTP deliveries to the reference app (uvicorn, loopback): {n} events in "
              f"{t:.2f} s = {n / t:,.0f} events/s")


if __name__ == "__main__":
    main()
