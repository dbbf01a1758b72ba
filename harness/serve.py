"""Serve: the fake Stripe API as a long-running local service, for apps you start yourself.

Takes a catalog, an API version, a webhook url and its secret; gives `StripeService`: the fake on
a loopback port, the environment to give the app, and control routes: POST /_harness/play plays
a scenario and forwards its signed events to the webhook url, answering the case's report;
POST /_harness/reset starts over; GET /_harness/events lists what was delivered. Requests
must come to a loopback Host and not from a web page; control routes need the per-run token;
plays deliver only to loopback or to hosts allowed when the service starts (serve_access.py).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from .delivery.plan import MODES
from .errors import ConfigError, HarnessError, TargetError
from .fake_stripe import Call, FakeStripe, LocalServer
from .masking import mask_secret
from .run import Case, Runner
from .scenario.catalog import Catalog, default_catalog
from .scenario.files import Scenario, builtin_scenarios_dir, load_scenario
from .serve_access import TOKEN_ENV, TOKEN_HEADER, ServeAccess, new_token
from .sim import World
from .targets.files import DEFAULT_SECRET
from .targets.inprocess import CaseContext
from .versions import PINNED_VERSION, check_version

PLAY_PATH = "/_harness/play"
_PLAY_FIELDS = ("scenario", "api_version", "seed", "delivery", "webhook_url", "billing_mode")
_SCENARIO_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class ForwardTarget:
    """A Target that only forwards deliveries to a webhook url (or keeps them, without one).

    It cannot read the app's database, so a play checks what deliveries show: every valid event
    accepted (2xx), no server errors, tampered copies refused. Each delivery is logged.
    """

    name = "webhook url"

    def __init__(self, url: str | None, secret: str, log: list[dict[str, Any]],
                 events: dict[str, Any], timeout: float = 10) -> None:
        self.url = url
        self.secret = secret
        self.log = log
        self.events = events
        self._http = httpx.Client(timeout=timeout)

    def start_case(self, ctx: CaseContext) -> None:
        pass

    def seed(self, user_id: str, email: str, customer_id: str | None) -> None:
        pass  # an app started by hand has its own users; nothing to create

    def state(self, customer_id: str) -> dict[str, Any]:
        return {}  # nothing reported, so no state check applies

    def deliver(self, body: bytes, headers: Mapping[str, str]) -> int:
        status = 200
        if self.url is not None:
            try:
                status = self._http.post(self.url, content=body,
                                         headers=dict(headers)).status_code
            except httpx.TimeoutException:
                status = 504
            except httpx.HTTPError as exc:
                raise TargetError(f"webhook_url {self.url} is unreachable: {exc}") from None
        self._record(body, headers, status)
        return status

    def _record(self, body: bytes, headers: Mapping[str, str], status: int) -> None:
        import stripe

        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        try:
            stripe.WebhookSignature.verify_header(body.decode("utf-8", "replace"),
                                                  headers.get("Stripe-Signature", ""),
                                                  self.secret, tolerance=300)
            genuine = True
        except stripe.SignatureVerificationError:
            genuine = False  # one of the tampered copies the security check sends
        event_id = payload.get("id")
        if genuine and event_id and event_id not in self.events:
            self.events[event_id] = payload
        self.log.append({"id": event_id, "type": payload.get("type"), "url": self.url,
                         "status": status, "genuine": genuine})

    def close(self) -> None:
        self._http.close()


class StripeService:
    """The fake Stripe API on a loopback port plus the /_harness control routes.

    Use as a context manager, or call start() and stop().
    """

    def __init__(self, *, catalog: Catalog | None = None, api_version: str = PINNED_VERSION,
                 webhook_url: str | None = None, webhook_secret: str = DEFAULT_SECRET,
                 seed: int = 0, billing_mode: str | None = None, host: str = "127.0.0.1",
                 port: int = 0, token: str | None = None,
                 scenario_dirs: Iterable[str | Path] = (),
                 allow_webhook_hosts: Iterable[str] = ()) -> None:
        if not webhook_secret.startswith("whsec_"):
            raise ConfigError(f"--webhook-secret {mask_secret(webhook_secret)}: a webhook "
                              "secret starts with whsec_")
        self.token = token or new_token()
        self.scenario_dirs = [Path(d) for d in scenario_dirs]
        for folder in self.scenario_dirs:
            if not folder.is_dir():
                raise ConfigError(f"--scenario-dir {folder}: not a folder")
        allowed = list(allow_webhook_hosts)
        if webhook_url:  # the url given when the service starts is allowed by the user
            allowed.append(urlsplit(webhook_url).hostname or "")
        self.access = ServeAccess(self.token, port, allowed)
        if webhook_url:
            self.access.check_webhook_url(webhook_url)
        self.catalog = catalog or default_catalog()
        self.api_version = check_version(api_version)
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.seed = seed
        self.billing_mode = billing_mode
        self.host = host
        self.port = port
        self.fake = FakeStripe(self._new_world())
        self.fake.add_route("POST", r"/_harness/reset", self._reset)
        self.fake.add_route("GET", r"/_harness/events", self._events)
        self.deliveries: list[dict[str, Any]] = []
        self.events: dict[str, Any] = {}
        self._play_lock = threading.Lock()
        self._server: LocalServer | None = None

    def _new_world(self) -> World:
        return World(self.catalog, self.api_version, seed=self.seed,
                     billing_mode=self.billing_mode)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> StripeService:
        if self._server is None:
            # werkzeug exits the process when the port is taken; find out first, and say so.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
                try:
                    probe.bind((self.host, self.port))
                except OSError as exc:
                    raise ConfigError(f"--port {self.port}: cannot listen on {self.host}: "
                                      f"{exc.strerror or exc}") from None
            self._server = LocalServer(self._dispatch, self.host, self.port)
            self.access.port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> StripeService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the service is not started")
        return self._server.url

    def environment(self) -> dict[str, str]:
        """What to give the app so it talks to this fake and verifies its webhooks."""
        return {"STRIPE_API_BASE": self.url, "STRIPE_SECRET_KEY": self.fake.api_key,
                "STRIPE_WEBHOOK_SECRET": self.webhook_secret, TOKEN_ENV: self.token}

    @property
    def token_header(self) -> dict[str, str]:
        """The header a control request sends: {"X-Harness-Token": token}."""
        return {TOKEN_HEADER: self.token}

    # -- requests ------------------------------------------------------------------------------

    def _dispatch(self, method: str, path: str, query: str, headers: Mapping[str, str],
                  body: bytes) -> tuple[int, dict[str, str], bytes]:
        refused = self.access.refusal(path, headers)
        if refused is not None:
            status, message = refused
            return status, {"Content-Type": "application/json"}, json.dumps(
                _error(message)).encode()
        # A play calls the app, and the app calls back into the fake while the play waits;
        # the fake's routes run under its lock, so a play is answered here, outside it.
        if path == PLAY_PATH and method.upper() == "POST":
            status, payload = self._play_request(query, headers, body)
            return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()
        return self.fake.dispatch(method, path, query, headers, body)

    def _play_request(self, query: str, headers: Mapping[str, str], body: bytes
                      ) -> tuple[int, dict[str, Any]]:
        try:
            fields = _fields(query, headers, body)
            return 200, self.play(**fields)
        except TargetError as exc:
            return 502, _error(str(exc))
        except HarnessError as exc:
            return 400, _error(str(exc))

    def play(self, scenario: str | Scenario, *, api_version: str | None = None,
             seed: int | str | None = None, delivery: str = "in_order",
             webhook_url: str | None = None, billing_mode: str | None = None) -> dict[str, Any]:
        """Play one scenario now and forward its signed events; gives the case's report."""
        if delivery not in MODES:
            raise ConfigError(f"delivery {str(delivery)[:40]!r}: choose from {', '.join(MODES)}")
        try:
            seed = self.seed if seed in (None, "") else int(seed)
        except (ValueError, TypeError):
            raise ConfigError(f"seed {str(seed)[:40]!r} is not a whole number") from None
        url = webhook_url or self.webhook_url
        if url is not None:
            self.access.check_webhook_url(url)
        chosen = scenario if isinstance(scenario, Scenario) else self.scenario(scenario)
        case = Case(chosen, check_version(api_version or self.api_version),
                    delivery, seed=seed, billing_mode=billing_mode or self.billing_mode)
        with self._play_lock:
            target = ForwardTarget(url, self.webhook_secret, self.deliveries, self.events)
            try:
                runner = Runner(target, self.catalog, webhook_secret=self.webhook_secret,
                                fake=self.fake, check_security=url is not None,
                                check_portal=False)
                result = runner.run_case(case)
            finally:
                target.close()
        result.replay = (f"curl -s -X POST {self.url}{PLAY_PATH} -H '{TOKEN_HEADER}: "
                         f"${TOKEN_ENV}' -d scenario={case.scenario.name}"
                         f" -d api_version={case.api_version} -d delivery={delivery}"
                         f" -d seed={seed}" + (f" -d webhook_url={url}" if url else ""))
        report = result.to_dict()
        report["timeline"] = [a.line() for a in result.timeline]
        return report

    def scenario(self, name: str) -> Scenario:
        """A scenario by name, from the folders given at start, then the built-ins; never a
        path, and an error never quotes a file's text."""
        if not isinstance(name, str) or not _SCENARIO_NAME.fullmatch(name):
            raise ConfigError(f"scenario {str(name)[:80]!r}: a scenario name (lowercase letters,"
                              " digits, _), not a path; see `portal-harness scenarios`")
        folders = [*self.scenario_dirs, builtin_scenarios_dir()]
        for folder in folders:
            for suffix in (".yaml", ".yml", ".toml"):
                path = folder / f"{name}{suffix}"
                if path.is_file():
                    try:
                        return load_scenario(path)
                    except ConfigError:
                        raise ConfigError(
                            f"scenario {name!r} ({path}) is not a valid scenario file; "
                            f"`portal-harness scenarios --dir {folder}` says why") from None
        known = sorted({p.stem for folder in folders for p in folder.glob("*.y*ml")}
                       | {p.stem for folder in folders for p in folder.glob("*.toml")})
        raise ConfigError(f"no scenario named {name!r}; known: {', '.join(known)}")

    def _reset(self, call: Call) -> dict[str, Any]:
        """POST /_harness/reset: a new, empty World; forget requests and deliveries."""
        self.fake.reset(self._new_world())
        self.deliveries.clear()
        self.events.clear()
        return {"ok": True}

    def _events(self, call: Call) -> dict[str, Any]:
        """GET /_harness/events: each event as first delivered, and every delivery attempt."""
        return {"events": list(self.events.values()), "deliveries": list(self.deliveries)}


def _fields(query: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The play request's fields: JSON or form body, or the query string."""
    fields: dict[str, Any] = dict(parse_qsl(query))
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if body.strip():
        if content_type.startswith("application/json") or body.lstrip()[:1] == b"{":
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise ConfigError(f"the request body is not valid JSON: {exc}") from None
            except RecursionError:
                raise ConfigError("the request body is nested too deeply") from None
            if not isinstance(data, dict):
                raise ConfigError("the request body must be a JSON object")
            wrong = [k for k, v in data.items() if not isinstance(v, str | int | type(None))]
            if wrong:
                raise ConfigError(f"field {str(wrong[0])[:40]!r} must be a string")
            fields.update(data)
        else:
            fields.update(parse_qsl(body.decode("utf-8", "replace")))
    unknown = sorted(set(fields) - set(_PLAY_FIELDS))
    if unknown:
        raise ConfigError(f"unknown field {unknown[0][:40]!r}; known: {', '.join(_PLAY_FIELDS)}")
    if not fields.get("scenario"):
        raise ConfigError("the field 'scenario' is required (see `portal-harness scenarios`)")
    return fields


def _error(message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "message": message}}
