"""A lean keep-alive HTTP/1.1 client for the delivery hot path (webhook POSTs, state reads).

Takes http:// urls; gives (status, headers, body). One connection per thread and host, kept
open between requests, so concurrent cases (`run --concurrency`) never share a socket. The
profile of a run over HTTP put httpx's request building and h11 parsing at about half of the
harness's own CPU per delivery; the standard library's http.client does the same exchange for
a fraction of it. Other schemes (https) stay with httpx.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


class RequestTimeout(OSError):
    """No answer within the timeout."""


class Dropped(ConnectionError):
    """The app took the request and closed the connection without an answer."""


class KeepAlive:
    """Per-thread persistent connections to plain-HTTP hosts."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    @staticmethod
    def handles(url: str) -> bool:
        """A plain-HTTP url with nothing to escape (others go by httpx)."""
        return url.startswith("http://") and all(32 < ord(c) < 127 for c in url)

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = parts.netloc
        for attempt in (1, 2):
            conn, reused = self._connection(key, parts.hostname or "127.0.0.1", parts.port or 80)
            try:
                conn.request(method, target, body=body, headers=dict(headers or {}))
                response = conn.getresponse()
                data = response.read()
            except TimeoutError:
                self._drop(key)
                raise RequestTimeout(f"no answer within {self.timeout:g} s") from None
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as exc:
                self._drop(key)
                # A kept-alive connection the server closed meanwhile: the request never
                # reached it, so sending it once more on a fresh connection is safe.
                if reused and attempt == 1:
                    continue
                raise Dropped(str(exc) or type(exc).__name__) from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop(key)
                raise ConnectionError(str(exc) or type(exc).__name__) from None
            if response.will_close:
                self._drop(key)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")  # pragma: no cover

    def get_text(self, url: str, headers: Mapping[str, str], *,
                 fallback: Any = None) -> tuple[int, str]:
        """(status, text) of a GET; urls this client does not handle go to `fallback`, an
        httpx.Client."""
        if not self.handles(url) and fallback is not None:
            r = fallback.get(url, headers=headers)
            return r.status_code, r.text
        status, _, body = self.request("GET", url, headers=headers)
        return status, body.decode("utf-8", "replace")

    def _connection(self, key: str, host: str, port: int,
                    ) -> tuple[http.client.HTTPConnection, bool]:
        conns: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "conns", {})
        conn = conns.get(key)
        if conn is not None:
            return conn, True
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        conns[key] = conn
        with self._lock:
            self._all.append(conn)
        return conn, False

    def _drop(self, key: str) -> None:
        conn = self._local.__dict__.get("conns", {}).pop(key, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def first_line(exc: BaseException) -> str:
    """An error's first line (a database error's driver error's), or its type's name."""
    exc = getattr(exc, "orig", None) or exc
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
