"""Concurrent cases against one app instance over HTTP (`run --concurrency N`).

Takes a `Runner` whose target is one running app and whose fake Stripe API was built by
`routed_fake`; gives the results of playing the cases N at a time, in matrix order, with the
seeds and verdicts of playing them one by one.

Why it is sound: each case has its own World, customers and ids (`Case.world_seed`), each
checkpoint reads only its own customers' state, and a case waits for each of its deliveries, so
the only thing cases share is the fake Stripe API. `RoutedFake` serves every case's World at
once: a request is answered from the World that holds the ids it names (the path, the query or
the form: `/v1/subscriptions/sub_...`, `customer=cus_...`); a request naming no id of any World
(prices, products) is answered from any of them, since they share the catalog.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .checks.report import CaseResult, RunReport
from .fake_stripe import FakeStripe
from .run import Case, Runner
from .sim import World
from .sim.simulator import SimCustomer

DEFAULT_CONCURRENCY = 4

# Stripe ids as they appear in paths, queries and forms: prefix, underscore, alphanumerics.
_ID = re.compile(r"\b[a-z]{2,6}(?:_[a-z]+)?_[A-Za-z0-9]{8,}\b")

# The World collections an id can be found in.
_COLLECTIONS = ("customers", "subscriptions", "invoices", "payment_methods", "invoice_items",
                "checkout_sessions", "setup_intents", "portal_sessions")


class RoutedFake(FakeStripe):
    """A FakeStripe serving the Worlds of several concurrent cases (see the module docstring).

    `world = w` (as `Runner.run_case` does) adds `w` for the calling thread's case;
    `release()` drops the calling thread's World when its case is over.
    """

    def __init__(self, world: World, **kw: Any) -> None:
        self._worlds: dict[int, World] = {}
        self._fallback = world
        super().__init__(world, **kw)

    @property  # type: ignore[override]
    def world(self) -> World:
        return self._fallback

    @world.setter
    def world(self, value: World) -> None:
        with self.lock:
            self._worlds[threading.get_ident()] = value
            self._fallback = value

    def release(self) -> None:
        with self.lock:
            self._worlds.pop(threading.get_ident(), None)

    def world_for(self, path: str, query: str, body: bytes) -> World | None:
        """The World holding an id the request names, if any."""
        worlds = list(self._worlds.values())
        if len(worlds) < 2:
            return None
        text = f"{path}?{query}&{body.decode('latin-1')}" if query or body else path
        for found in _ID.findall(text):
            for w in worlds:
                if any(found in getattr(w, name) for name in _COLLECTIONS):
                    return w
        return None

    def dispatch(self, method: str, path: str, query: str, headers: Mapping[str, str],
                 body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self.lock:  # re-entrant: FakeStripe.dispatch takes it again
            world = self.world_for(path, query, body)
            if world is not None:
                self._fallback = world
            return super().dispatch(method, path, query, headers, body)


@dataclasses.dataclass
class _CaseRunner(Runner):
    """A Runner for one of the concurrent slots. Scenarios name their app users after the
    customer ("user_alice"), the same in every case; cases that overlap in one app need their
    own users, so each case's users get the case's tag (user ids, emails and the checkout's
    client_reference_id); Stripe's side (ids, events) is unchanged."""

    def begin_case(self, api_version: str, customers: Sequence[SimCustomer], *,
                   label: str = "") -> None:
        tag = f"{zlib.crc32(label.encode()):08x}"
        for c in customers:
            if not c.user_id.endswith(tag):
                c.user_id = f"{c.user_id}_{tag}"
                local, at, domain = c.email.partition("@")
                c.email = f"{local}+{tag}{at}{domain}"
        super().begin_case(api_version, customers, label=label)


def run_concurrently(runner: Runner, cases: Sequence[Case], concurrency: int, *, seed: int,
                     progress: Callable[[CaseResult], None] | None = None) -> RunReport:
    """Play `cases` `concurrency` at a time at `runner`'s target; results in matrix order."""
    import concurrent.futures

    report = RunReport(seed=seed, target=runner.target.name)
    started = time.perf_counter()
    fake = runner.fake
    local = threading.local()

    def play(case: Case) -> CaseResult:
        # One Runner per thread: a case's bookkeeping lives on its Runner between stages.
        mine = getattr(local, "runner", None)
        if mine is None:
            fields = {f.name: getattr(runner, f.name) for f in dataclasses.fields(runner)}
            mine = local.runner = _CaseRunner(**fields)
        try:
            return mine.run_case(case)
        finally:
            if isinstance(fake, RoutedFake):
                fake.release()

    with concurrent.futures.ThreadPoolExecutor(concurrency,
                                               thread_name_prefix="harness-case") as pool:
        futures = [pool.submit(play, case) for case in cases]
        try:
            for number, fut in enumerate(futures):  # matrix order; later cases run meanwhile
                res = fut.result()
                report.results.append(res)
                if progress:
                    progress(res)
                if res.stopped:  # the app is gone: as one at a time, the rest count as unplayed
                    report.stopped = (f"the app exited during {res.label}; the other "
                                      f"{len(futures) - number - 1} cases were not played")
                    for later in futures:
                        later.cancel()
                    break
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    report.duration = time.perf_counter() - started
    return report
