"""The keep-alive client the deliveries use: one connection reused, a connection the server
dropped is replaced without losing the request, timeouts and refusals are told apart."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.targets.keepalive import KeepAlive, RequestTimeout


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        if body == b"slow":
            time.sleep(1.0)
        answer = f"{self.server.connections}".encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        if self.server.drop_after_answer:
            self.close_connection = True  # closes without saying so: a stale keep-alive

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.bodies: list[bytes] = []
        self.drop_after_answer = False

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # the timed-out client is gone when the slow answer is written

    def get_request(self):  # type: ignore[no-untyped-def]
        self.connections += 1
        return super().get_request()


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_one_connection_serves_many_requests(server):
    client = KeepAlive(timeout=5)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    answers = [client.request("POST", url, body=f"{i}".encode()) for i in range(5)]
    assert [status for status, _, _ in answers] == [201] * 5
    assert server.connections == 1
    assert server.bodies == [b"0", b"1", b"2", b"3", b"4"]
    client.close()


def test_a_connection_the_server_dropped_is_replaced_and_the_request_arrives_once(server):
    client = KeepAlive(timeout=5)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    server.drop_after_answer = True
    for i in range(3):
        status, _, _ = client.request("POST", url, body=f"{i}".encode())
        assert status == 201
        time.sleep(0.05)  # let the server's close reach us
    assert server.bodies == [b"0", b"1", b"2"]  # each once: never sent twice
    assert server.connections == 3
    client.close()


def test_no_answer_in_time_is_a_timeout(server):
    client = KeepAlive(timeout=0.2)
    with pytest.raises(RequestTimeout):
        client.request("POST", f"http://127.0.0.1:{server.server_port}/hook", body=b"slow")
    # the timed-out connection is dropped; the next request gets a fresh one
    status, _, _ = KeepAlive(timeout=5).request(
        "POST", f"http://127.0.0.1:{server.server_port}/hook", body=b"ok")
    assert status == 201


def test_nothing_listening_is_a_connection_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError):
        KeepAlive(timeout=2).request("POST", f"http://127.0.0.1:{port}/hook", body=b"x")
