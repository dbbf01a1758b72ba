"""HttpTarget: any app, in any language, reached over real HTTP as its target file says.

Starts the app (when [app] is given) in its own process group, waits for ready_url, delivers
signed webhooks to [webhook].url, seeds users through [seed], reads state by SQL, HTTP or a
Python callable, and always stops the whole process group, on failure and on Ctrl-C too.
Every error names the key, url or query of the target file it comes from.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ..errors import AppExitedError, ConfigError, TargetError
from ..masking import mask_text, mask_url
from .clock import app_clock_for
from .inprocess import PORTAL_BODY_LIMIT, CaseContext, PortalAnswer

LOG_TAIL_LINES = 30


def fill(value: Any, values: Mapping[str, str]) -> Any:
    """Replace {placeholders} in strings, recursively through lists and dicts."""
    if isinstance(value, str):
        out = value
        for k, v in values.items():
            out = out.replace("{" + k + "}", str(v))
        return out
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


class HttpTarget:
    """The Target protocol over HTTP, configured by a TargetFile. Use it as a context manager:
    entering starts the app and checks the webhook url; leaving stops the app's process group."""

    def __init__(self, target_file: Any, fake: Any) -> None:
        self.file = target_file
        self.spec = target_file.spec
        self.fake = fake
        self.name = target_file.name
        self._tmp = tempfile.TemporaryDirectory(prefix="portal-harness-")
        self.values = target_file.placeholders(fake, self._tmp.name)
        self.clock = app_clock_for(target_file, self._tmp.name)
        self.checkout_url = (fill(self.spec.checkout.url, self.values)
                             if self.spec.checkout is not None else None)
        self.webhook_url = fill(self.spec.webhook.url, self.values)
        self._proc: subprocess.Popen[bytes] | None = None
        self._logfile: Any = None
        self._log_path = Path(self._tmp.name) / "app.log"
        self._http = httpx.Client(timeout=self.spec.webhook.timeout, follow_redirects=False)
        self._engine: Any = None
        self._state_fn: Any = None

    @property
    def pid(self) -> int | None:
        """The app's process id (also its process group id) while it runs."""
        return self._proc.pid if self._proc is not None else None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> HttpTarget:
        try:
            if self.spec.app is not None:
                self._start_app()
            self._check_webhook_url()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_app(self) -> None:
        app = self.spec.app
        where = f"{self.file.path}: [app]"
        cwd = self.file.folder
        if not cwd.is_dir():
            raise ConfigError(f"{where}.cwd {app.cwd!r} is not a directory ({cwd})")
        url = fill(app.ready_url, self.values)
        if self._answers(url, timeout=0.5, any_status=True):
            # Our app could not bind its port, and the answers would come from another program.
            raise TargetError(f"{where}.ready_url {url} answers before the app is started: "
                              "another program (an earlier copy of the app?) holds that port")
        env = {**os.environ, **fill(app.env, self.values)}
        if self.clock is not None:
            self.clock.set(self.file.clock_start_seconds())
            env.update(self.clock.env())
        command = fill(app.command, self.values)
        self._logfile = open(self._log_path, "wb")  # noqa: SIM115 - closed in close()
        try:
            # A new session, so the app and everything it spawns form one process group that
            # close() can stop at once, and a Ctrl-C in the terminal reaches the harness only.
            self._proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._logfile,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        except OSError as exc:
            raise TargetError(f"{where}.command {self.masked(repr(command))} cannot start: "
                              f"{exc}") from None
        deadline = time.monotonic() + app.ready_timeout
        while True:
            if self._proc.poll() is not None:
                # The filled command may carry the webhook secret or a key: never printed whole.
                raise TargetError(f"{where}.command: the app exited with code "
                                  f"{self._proc.returncode} before {url} answered.\n"
                                  f"  command: {self.masked(shlex.join(command))}\n"
                                  f"{self.log_tail()}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetError(f"{where}.ready_url {url} did not answer within "
                                  f"{app.ready_timeout:g} s (raise [app].ready_timeout if the "
                                  f"app is slow to start).\n{self.log_tail()}")
            if self._answers(url, timeout=min(2.0, max(left, 0.05))):
                return
            time.sleep(min(0.05, max(left, 0)))

    def _answers(self, url: str, timeout: float, *, any_status: bool = False) -> bool:
        """Whether url answers (ready: with a status below 500)."""
        try:
            status = self._http.get(url, timeout=timeout).status_code
        except httpx.HTTPError:
            return False
        return any_status or status < 500

    def _check_webhook_url(self) -> None:
        """An unsigned POST must reach the app; 404 or 405 means the path is wrong."""
        url = self.webhook_url
        try:
            r = self._http.post(url, content=b"{}", headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            self._crash_check(grace=0.5)
            raise TargetError(f"{self.file.path}: [webhook].url {url} is unreachable: "
                              f"{_reason(exc)}{self._tail_if_app()}") from None
        if r.status_code in (404, 405):
            raise TargetError(f"{self.file.path}: [webhook].url {url} answered {r.status_code} "
                              "to a test POST: no webhook route at that path?")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines the app wrote to stdout and stderr."""
        if self._logfile is not None:
            with contextlib.suppress(ValueError, OSError):
                self._logfile.flush()
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no app log)"
        tail = text.splitlines()[-lines:]
        if not tail:
            return "app log: (empty)"
        return "app log (last lines):\n" + "\n".join(f"  | {self.masked(t)}" for t in tail)

    def masked(self, text: str) -> str:
        """text with this run's secrets, any key-shaped token and url passwords masked."""
        return mask_text(text, (self.values["webhook_secret"], self.values["stripe_secret_key"]))

    def _tail_if_app(self) -> str:
        return f"\n{self.log_tail()}" if self._proc is not None else ""

    def close(self) -> None:
        """Stop the app's whole process group (TERM, then KILL after stop_timeout); idempotent."""
        proc, self._proc = self._proc, None
        # Drop keep-alive connections first: an app shutting down gracefully waits for them.
        self._http.close()
        if proc is not None:
            timeout = self.spec.app.stop_timeout if self.spec.app else 10
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=timeout)
            # Whatever is left in the group (the app itself if it ignored TERM, or children
            # it spawned and did not stop) is killed.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if self._logfile is not None:
            self._logfile.close()
            self._logfile = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._tmp.cleanup()

    # -- the Target protocol ------------------------------------------------------------------

    def start_case(self, ctx: CaseContext) -> None:
        self._crash_check()
        if self.spec.seed and self.spec.seed.reset_url:
            url = fill(self.spec.seed.reset_url, self.values)
            r = self._post(url, "[seed].reset_url")
            if r.status_code >= 300:
                self._crash_check(grace=0.2)
                raise TargetError(f"{self.file.path}: [seed].reset_url {url} answered "
                                  f"{r.status_code}: {r.text[:200]}{self._tail_if_app()}")

    def _crash_check(self, grace: float = 0.0) -> None:
        """Raise with the app's log if it has exited; after a failed request, wait `grace`
        seconds for it to finish dying, so the error says "exited", not "unreachable"."""
        if self._proc is not None and grace:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=grace)
        if self._proc is not None and self._proc.poll() is not None:
            tail = self.log_tail()
            raise AppExitedError(f"{self.file.path}: [app].command: the app exited with code "
                                 f"{self._proc.returncode} during the run.\n{tail}",
                                 returncode=self._proc.returncode, log_tail=tail)

    def _post(self, url: str, key: str, method: str = "POST", **kw: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            self._crash_check(grace=0.5)
            raise TargetError(f"{self.file.path}: {key} {url} is unreachable: "
                              f"{_reason(exc)}") from None

    def seed(self, user_id: str, email: str, customer_id: str | None) -> None:
        if self.spec.seed is None:
            return
        values = {**self.values, "user_id": user_id, "email": email,
                  "customer_id": customer_id or ""}
        body = fill(self.spec.seed.json_body, values)
        if customer_id is None:
            body = {k: (None if v == "" else v) for k, v in body.items()}
        url = fill(self.spec.seed.url, values)
        r = self._post(url, "[seed].url", json=body, headers=fill(self.spec.seed.headers, values))
        if r.status_code >= 300:
            self._crash_check(grace=0.2)
            raise TargetError(f"{self.file.path}: [seed].url {url} answered {r.status_code}: "
                              f"{r.text[:200]}{self._tail_if_app()}")

    def deliver(self, body: bytes, headers: Mapping[str, str]) -> int:
        url = self.webhook_url
        try:
            return self._http.post(url, content=body, headers=dict(headers)).status_code
        except httpx.TimeoutException:
            return 504  # as Stripe sees it: no answer in time, so it retries
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            # The app took the request and dropped the connection (some servers do when a
            # handler raises): Stripe sees a failed delivery and retries; if the app died
            # doing it, that is a crash.
            self._crash_check(grace=0.5)
            return 502
        except httpx.HTTPError as exc:
            self._crash_check(grace=0.5)
            raise TargetError(f"{self.file.path}: [webhook].url {url} is unreachable: "
                              f"{_reason(exc)}") from None

    def state(self, customer_id: str) -> dict[str, Any]:
        spec = self.spec.state
        if spec.callable:
            return self._callable()(customer_id)
        if spec.url:
            return self._url_state(customer_id)
        return self._sql_state(customer_id)

    def _url_state(self, customer_id: str) -> dict[str, Any]:
        values = {**self.values, "customer_id": customer_id}
        url = fill(self.spec.state.url, values)
        try:
            r = self._http.get(url, headers=fill(self.spec.state.headers, values))
        except httpx.HTTPError as exc:
            self._crash_check(grace=0.5)
            raise TargetError(f"{self.file.path}: [state].url {url} is unreachable: "
                              f"{_reason(exc)}") from None
        if r.status_code != 200:
            self._crash_check(grace=0.2)
            raise TargetError(f"{self.file.path}: [state].url {url} answered {r.status_code}: "
                              f"{r.text[:200]}{self._tail_if_app()}")
        try:
            data = r.json()
        except (json.JSONDecodeError, RecursionError):
            raise TargetError(f"{self.file.path}: [state].url {url} did not answer JSON it can "
                              f"read (invalid or nested too deeply): {r.text[:200]!r}") from None
        if not isinstance(data, dict):
            raise TargetError(f"{self.file.path}: [state].url {url} answered a JSON "
                              f"{type(data).__name__}, not an object")
        return data

    def _callable(self) -> Any:
        if self._state_fn is None:
            ref = self.spec.state.callable
            module, _, func = ref.partition(":")
            try:
                self._state_fn = getattr(importlib.import_module(module), func)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ConfigError(f"{self.file.path}: [state].callable {ref!r} cannot be "
                                  f"imported: {exc}") from None
        return self._state_fn

    def _database_url(self) -> str:
        """[state].database with placeholders filled; a relative SQLite path is taken from the
        app's folder ([app].cwd), where the app itself would resolve it."""
        url = fill(self.spec.state.database, self.values)
        prefix = "sqlite:///"
        if url.startswith(prefix):
            path = url[len(prefix):]
            if path and path != ":memory:" and not path.startswith("/"):
                url = prefix + str(self.file.folder / path)
        return url

    def _sql_state(self, customer_id: str) -> dict[str, Any]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError

        spec = self.spec.state
        where = f"{self.file.path}: [state]"
        url = self._database_url()
        if self._engine is None:
            try:
                self._engine = create_engine(url)
            except Exception as exc:  # any bad URL becomes a config error
                raise ConfigError(f"{where}.database {mask_url(url)!r}: "
                                  f"{self.masked(str(exc))}") from None
        out: dict[str, Any] = {}
        params = {"customer_id": customer_id}
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise ConfigError(f"{where}.database {mask_url(url)!r} cannot be opened: "
                              f"{self.masked(_sql_reason(exc))}") from None
        with conn:
            for key in ("plan", "subscriptions", "paid_invoices"):
                query = getattr(spec, key)
                if not query:
                    continue
                try:
                    rows = conn.execute(text(query), params).mappings().all()
                except SQLAlchemyError as exc:
                    raise ConfigError(f"{where}.{key} failed: {self.masked(_sql_reason(exc))}"
                                      f"\n  query: {query}\n  database: {mask_url(url)}"
                                      ) from None
                if key == "plan":
                    out["plan"] = next(iter(rows[0].values())) if rows else "free"
                elif key == "subscriptions":
                    if rows and "id" not in rows[0]:
                        raise ConfigError(f"{where}.subscriptions must select an id column "
                                          f"(got {', '.join(rows[0].keys())})\n  query: {query}")
                    out["subscriptions"] = {str(r["id"]): dict(r) for r in rows}
                else:
                    out["paid_invoices"] = [next(iter(r.values())) for r in rows]
        return out


class HttpPortalTarget(HttpTarget):
    """An HttpTarget whose target file has [portal]: the portal-route contract is checked too."""

    @property
    def portal_url(self) -> str:
        return fill(self.spec.portal.url, {**self.values, "user_id": "user"})

    @property
    def portal_channels(self) -> tuple[str, ...]:
        """Where a request to the portal route can carry values: a GET route only in its query."""
        return ("query",) if self.spec.portal.method == "GET" else ("json", "form", "query")

    def portal(self, user_id: str | None, *, form: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None,
               json: Mapping[str, Any] | None = None) -> PortalAnswer:
        spec = self.spec.portal
        headers = {}
        values = self.values
        if user_id is not None:
            values = {**self.values, "user_id": user_id}
            headers = fill(spec.headers, values)
        url = fill(spec.url, values)
        body: dict[str, Any] = {}
        if json is not None:
            body["json"] = dict(json)
        elif form:
            body["data"] = dict(form)
        r = self._post(url, "[portal].url", spec.method, params=dict(query or {}),
                       headers=headers, **(body if spec.method == "POST" else {}))
        return PortalAnswer(r.status_code, r.headers.get("location"),
                            r.text[:PORTAL_BODY_LIMIT])


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _sql_reason(exc: Any) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
