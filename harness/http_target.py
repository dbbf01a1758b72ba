"""HttpTarget: any app, in any language, reached over real HTTP as its target file says.

Starts the app (when [app] is given) in its own process group, waits for ready_url, delivers
signed webhooks to [webhook].url, seeds users through [seed], reads state by SQL, HTTP or a
Python callable, and always stops the whole process group, on failure and on Ctrl-C too.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from .errors import ConfigError, TargetError
from .targets import CaseContext, PortalAnswer


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
    """The Target protocol over HTTP, configured by a TargetFile."""

    def __init__(self, target_file: Any, fake: Any) -> None:
        self.file = target_file
        self.spec = target_file.spec
        self.fake = fake
        self.name = target_file.name
        self._tmp = tempfile.TemporaryDirectory(prefix="portal-harness-")
        self.values = target_file.placeholders(fake, self._tmp.name)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: deque[str] = deque(maxlen=40)
        self._log_path = Path(self._tmp.name) / "app.log"
        self._http = httpx.Client(timeout=self.spec.webhook.timeout, follow_redirects=False)
        self._engine: Any = None
        self._state_fn: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> HttpTarget:
        try:
            if self.spec.app is not None:
                self._start_app()
            self._check_reachable()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_app(self) -> None:
        app = self.spec.app
        cwd = (self.file.path.parent / app.cwd).resolve()
        if not cwd.is_dir():
            raise ConfigError(f"{self.file.path}: [app].cwd {app.cwd!r} is not a directory")
        env = {**os.environ, **fill(app.env, self.values)}
        command = fill(app.command, self.values)
        log = open(self._log_path, "wb")  # noqa: SIM115 - closed in close()
        try:
            self._proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        except OSError as exc:
            log.close()
            raise TargetError(f"{self.file.path}: [app].command {command!r} cannot start: "
                              f"{exc}") from None
        self._logfile = log
        url = fill(app.ready_url, self.values)
        deadline = time.monotonic() + app.ready_timeout
        while True:
            if self._proc.poll() is not None:
                raise TargetError(f"the app exited with code {self._proc.returncode} before "
                                  f"{url} answered.\n{self.log_tail()}")
            try:
                if self._http.get(url, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TargetError(f"[app].ready_url {url} did not answer within "
                                  f"{app.ready_timeout:g} s.\n{self.log_tail()}")
            time.sleep(0.1)

    def _check_reachable(self) -> None:
        url = self.spec.webhook.url
        try:
            self._http.post(url, content=b"{}", headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            raise TargetError(f"[webhook].url {url} is unreachable: {exc}") from None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no app log)"
        tail = text.splitlines()[-lines:]
        return "app log (last lines):\n" + "\n".join(f"  | {t}" for t in tail)

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=self.spec.app.stop_timeout if self.spec.app else 10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self._proc is not None:
            with _quiet():
                os.killpg(self._proc.pid, signal.SIGKILL)  # children left behind, if any
            self._logfile.close()
            self._proc = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self._http.close()
        self._tmp.cleanup()

    # -- the Target protocol ------------------------------------------------------------------

    def start_case(self, ctx: CaseContext) -> None:
        self._crash_check()
        if self.spec.seed and self.spec.seed.reset_url:
            self._http.post(fill(self.spec.seed.reset_url, self.values))

    def _crash_check(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise TargetError(f"the app exited with code {self._proc.returncode} during the "
                              f"run.\n{self.log_tail()}")

    def seed(self, user_id: str, email: str, customer_id: str | None) -> None:
        if self.spec.seed is None:
            return
        values = {**self.values, "user_id": user_id, "email": email,
                  "customer_id": customer_id or ""}
        body = fill(self.spec.seed.json_body, values)
        if customer_id is None:
            body = {k: (None if v == "" else v) for k, v in body.items()}
        url = fill(self.spec.seed.url, values)
        try:
            r = self._http.post(url, json=body, headers=fill(self.spec.seed.headers, values))
        except httpx.HTTPError as exc:
            raise TargetError(f"[seed].url {url} is unreachable: {exc}") from None
        if r.status_code >= 300:
            raise TargetError(f"[seed].url {url} answered {r.status_code}: {r.text[:200]}")

    def deliver(self, body: bytes, headers: Mapping[str, str]) -> int:
        url = self.spec.webhook.url
        try:
            return self._http.post(url, content=body, headers=dict(headers)).status_code
        except httpx.TimeoutException:
            return 504
        except httpx.HTTPError as exc:
            self._crash_check()
            raise TargetError(f"[webhook].url {url} is unreachable: {exc}") from None

    def portal(self, user_id: str | None, *, form: Mapping[str, str] | None = None,
               query: Mapping[str, str] | None = None) -> PortalAnswer:
        spec = self.spec.portal
        headers = {}
        if user_id is not None:
            headers = fill(spec.headers, {**self.values, "user_id": user_id})
        r = self._http.post(fill(spec.url, self.values), data=dict(form or {}),
                            params=dict(query or {}), headers=headers)
        return PortalAnswer(r.status_code, r.headers.get("location"), r.text[:200])

    def state(self, customer_id: str) -> dict[str, Any]:
        spec = self.spec.state
        values = {**self.values, "customer_id": customer_id}
        if spec.callable:
            return self._callable()(customer_id)
        if spec.url:
            url = fill(spec.url, values)
            try:
                r = self._http.get(url)
                r.raise_for_status()
                return r.json()
            except (httpx.HTTPError, json.JSONDecodeError) as exc:
                raise TargetError(f"[state].url {url} failed: {exc}") from None
        return self._sql_state(customer_id)

    def _callable(self) -> Any:
        if self._state_fn is None:
            ref = self.spec.state.callable
            module, _, func = ref.partition(":")
            try:
                self._state_fn = getattr(importlib.import_module(module), func)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ConfigError(f"[state].callable {ref!r} cannot be imported: {exc}") from None
        return self._state_fn

    def _sql_state(self, customer_id: str) -> dict[str, Any]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError

        spec = self.spec.state
        if self._engine is None:
            url = fill(spec.database, self.values)
            try:
                self._engine = create_engine(url)
            except Exception as exc:  # noqa: BLE001 - any bad URL becomes a config error
                raise ConfigError(f"[state].database {url!r}: {exc}") from None
        out: dict[str, Any] = {}
        params = {"customer_id": customer_id}
        with self._engine.connect() as conn:
            for key in ("plan", "subscriptions", "paid_invoices"):
                query = getattr(spec, key)
                if not query:
                    continue
                try:
                    rows = conn.execute(text(query), params).mappings().all()
                except SQLAlchemyError as exc:
                    msg = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
                    raise ConfigError(f"[state].{key} failed: {msg}\n  query: {query}") from None
                if key == "plan":
                    out["plan"] = next(iter(rows[0].values())) if rows else "free"
                elif key == "subscriptions":
                    out["subscriptions"] = {str(r["id"]): dict(r) for r in rows}
                else:
                    out["paid_invoices"] = [next(iter(r.values())) for r in rows]
        return out


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True
