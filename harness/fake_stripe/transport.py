"""Two ways to reach `FakeStripe.dispatch`: a local HTTP server and a socket-free HTTP client.

`LocalServer` serves dispatch on a werkzeug server in a daemon thread (usable outside pytest);
`DispatchHTTPClient` is a `stripe.HTTPClient` that hands a StripeClient's requests straight to
dispatch, for in-process speed.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import stripe
from requests.structures import CaseInsensitiveDict  # stripe-python depends on requests

from .forms import MAX_BODY_BYTES

Dispatch = Callable[[str, str, str, Mapping[str, str], bytes], tuple[int, dict[str, str], bytes]]


class DispatchHTTPClient(stripe.HTTPClient):
    """A stripe-python HTTP client with no socket: each request is one dispatch() call."""

    name = "portal-harness-dispatch"

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__()
        self._dispatch = dispatch

    def _call(self, method: str, url: str, headers: Mapping[str, str] | None,
              post_data: Any) -> tuple[int, CaseInsensitiveDict[str], bytes]:
        parts = urlsplit(url)
        if isinstance(post_data, str):
            post_data = post_data.encode("utf-8")
        status, headers_out, body = self._dispatch(
            method.upper(), parts.path, parts.query, headers or {}, post_data or b"")
        # stripe-python reads response headers case-insensitively ("request-id"), as
        # requests and httpx give them.
        return status, CaseInsensitiveDict(headers_out), body

    def request(self, method: str, url: str, headers: Mapping[str, str] | None,
                post_data: Any = None, *, _usage: list[str] | None = None,
                ) -> tuple[str, int, Mapping[str, str]]:
        status, headers_out, body = self._call(method, url, headers, post_data)
        return body.decode("utf-8"), status, headers_out

    def request_stream(self, method: str, url: str, headers: Mapping[str, str] | None,
                       post_data: Any = None, *, _usage: list[str] | None = None,
                       ) -> tuple[Any, int, Mapping[str, str]]:
        status, headers_out, body = self._call(method, url, headers, post_data)
        return io.BytesIO(body), status, headers_out

    async def request_async(self, method: str, url: str, headers: Mapping[str, str] | None,
                            post_data: Any = None, *, _usage: list[str] | None = None,
                            ) -> tuple[bytes, int, Mapping[str, str]]:
        status, headers_out, body = self._call(method, url, headers, post_data)
        return body, status, headers_out

    def sleep_async(self, secs: float) -> Any:
        return asyncio.sleep(secs)

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass


def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class _QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # the FakeStripe request log is the record; no access lines on stderr

    return _QuietHandler


class LocalServer:
    """dispatch() on http://host:port, in a daemon thread, until stop(). werkzeug is imported
    here, not with the module: a run in-process never serves HTTP."""

    def __init__(self, dispatch: Dispatch, host: str = "127.0.0.1", port: int = 0) -> None:
        from werkzeug.http import HTTP_STATUS_CODES
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request

        self._dispatch = dispatch
        self._request, self._reasons = Request, HTTP_STATUS_CODES
        try:
            self._server = make_server(host, port, self._app, threaded=True,
                                       request_handler=_quiet_handler())
        except SystemExit:  # werkzeug prints "Address already in use" and exits
            raise OSError(f"{host}:{port} is already in use") from None
        self.host = host
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"fake-stripe-{self.port}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request = self._request(environ)
        # One byte past the limit is enough for dispatch to answer 413; the rest is never read.
        data = request.stream.read(MAX_BODY_BYTES + 1)
        status, headers, body = self._dispatch(
            request.method, request.path, request.query_string.decode("latin-1"),
            request.headers, data)
        reason = self._reasons.get(status, "Unknown")
        start_response(f"{status} {reason}",
                       [*headers.items(), ("Content-Length", str(len(body)))])
        return [body]
