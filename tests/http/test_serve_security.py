"""`portal-harness serve` is safe to leave running: what reaches loopback cannot drive it.

Attacks: a request without the per-run token, a web page on another origin, a DNS-rebinding
Host, a scenario "name" that is a file path (whose text an error once quoted), and a play aimed
at a non-loopback webhook url. Each is refused with a 4xx and changes nothing.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from harness.errors import ConfigError
from harness.serve import StripeService

pytestmark = pytest.mark.http

SECRET_TEXT = "top-secret-text-of-a-private-file"


@pytest.fixture
def service() -> Iterator[StripeService]:
    with StripeService(api_version="2025-03-31.basil") as svc:
        yield svc


def raw_request(service: StripeService, method: str, path: str, headers: dict[str, str],
                body: bytes = b"") -> tuple[int, dict]:
    """A request with exactly these headers (httpx would set Host itself)."""
    conn = http.client.HTTPConnection("127.0.0.1", int(service.url.rsplit(":", 1)[1]),
                                      timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            conn.putheader(key, value)
        conn.endheaders(body)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize(("method", "path"), [("POST", "/_harness/play"),
                                               ("POST", "/_harness/reset"),
                                               ("GET", "/_harness/events")])
def test_control_routes_need_the_token(service, method, path):
    service.play("checkout")  # something to leak or reset
    for headers in ({}, {"X-Harness-Token": "guess"}):
        r = httpx.request(method, f"{service.url}{path}", headers=headers,
                          data={"scenario": "upgrade"} if method == "POST" else None)
        assert r.status_code == 401
        assert "X-Harness-Token" in r.json()["error"]["message"]
    assert service.events  # nothing was reset
    ok = httpx.request(method, f"{service.url}{path}", headers=service.token_header,
                       data={"scenario": "checkout"} if path.endswith("play") else None)
    assert ok.status_code == 200


def test_the_token_is_new_for_every_run():
    with StripeService() as one, StripeService() as two:
        assert one.token != two.token and len(one.token) >= 32
        assert one.environment()["PORTAL_HARNESS_TOKEN"] == one.token


def test_a_web_page_on_another_origin_is_refused_even_with_the_token(service):
    # A page in the developer's browser can send a "simple" cross-origin POST without CORS.
    port = service.url.rsplit(":", 1)[1]
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}):
        status, body = raw_request(service, "POST", "/_harness/play",
                                   {"Host": f"127.0.0.1:{port}", **service.token_header,
                                    "Content-Type": "application/x-www-form-urlencoded",
                                    **headers}, b"scenario=upgrade")
        assert status == 403, headers
        assert "refused" in body["error"]["message"]
    # the Stripe API itself is closed to pages too (its test key is no secret)
    status, _ = raw_request(service, "GET", "/v1/customers/cus_1",
                            {"Host": f"127.0.0.1:{port}", "Origin": "https://evil.example",
                             "Authorization": f"Bearer {service.fake.api_key}"})
    assert status == 403
    assert service.deliveries == []


def test_a_dns_rebinding_host_is_refused(service):
    # evil.example resolves to 127.0.0.1 after the page loaded: same socket, foreign Host.
    port = service.url.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.nip.io:{port}",
                 f"127.0.0.1:{int(port) + 1}"):
        status, body = raw_request(service, "GET", "/_harness/events",
                                   {"Host": host, **service.token_header})
        assert status == 403, host
        assert "loopback" in body["error"]["message"]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        status, _ = raw_request(service, "GET", "/_harness/events",
                                {"Host": host, **service.token_header})
        assert status == 200, host


@pytest.mark.parametrize("name", ["{path}", "../../{stem}", "{stem}.yaml", "/etc/passwd",
                                  "UPGRADE", "upgrade.yaml"])
def test_a_play_never_opens_a_path(service, tmp_path, name):
    private = tmp_path / "private.yaml"
    private.write_text(f"{SECRET_TEXT}: [unclosed\n")
    name = name.format(path=private, stem=private.with_suffix(""))
    r = httpx.post(f"{service.url}/_harness/play", headers=service.token_header,
                   data={"scenario": name})
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert "not a path" in message or "no scenario named" in message
    assert SECRET_TEXT not in r.text


def test_scenarios_come_from_the_folders_named_at_start(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "my_flow.yaml").write_text(
        "name: my_flow\ndescription: x\ncustomers: [alice]\nsteps:\n"
        "  - checkout: {customer: alice}\n  - checkpoint: end\n")
    (mine / "broken.yaml").write_text(f"{SECRET_TEXT}: [unclosed\n")
    with StripeService(scenario_dirs=[mine]) as svc:
        assert svc.play("my_flow")["ok"]
        assert svc.play("upgrade")["ok"]  # the built-ins too
        r = httpx.post(f"{svc.url}/_harness/play", headers=svc.token_header,
                       data={"scenario": "broken"})
        assert r.status_code == 400 and "is not a valid scenario file" in r.text
        assert SECRET_TEXT not in r.text  # the parse error (which quotes the line) stays home


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data",
                                 "http://example.com/hook", "http://10.0.0.5:8080/hook",
                                 "file:///etc/passwd", "gopher://127.0.0.1:25/"])
def test_plays_deliver_only_to_loopback(service, url):
    r = httpx.post(f"{service.url}/_harness/play", headers=service.token_header,
                   data={"scenario": "checkout", "webhook_url": url})
    assert r.status_code == 400
    assert "webhook_url" in r.json()["error"]["message"]
    assert service.deliveries == []


def test_a_webhook_host_allowed_at_start_is_accepted(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    url = httpserver.url_for("/hook").replace("localhost", "127.0.0.1")
    with StripeService(allow_webhook_hosts=["app.internal"]) as svc:
        assert svc.access.check_webhook_url("http://app.internal:3000/hook")
        with pytest.raises(ConfigError, match=r"--allow-webhook-host other\.internal"):
            svc.access.check_webhook_url("http://other.internal/hook")
        assert svc.play("checkout", webhook_url=url)["events"] > 0


def test_a_deeply_nested_json_play_body_is_a_400(service):
    r = httpx.post(f"{service.url}/_harness/play", headers={
        **service.token_header, "Content-Type": "application/json"},
        content=b"[" * 100_000 + b"]" * 100_000)
    assert r.status_code == 400


@pytest.mark.parametrize("body", [
    {"scenario": {"nested": True}}, {"scenario": "checkout", "webhook_url": ["x"]},
    {"scenario": "checkout", "seed": "9" * 5000},
    {"scenario": "checkout", "api_version": "v" * 5000},
    {"scenario": "checkout", "delivery": "d" * 5000}, {"x" * 5000: 1},
])
def test_wrong_play_fields_are_400s_that_do_not_echo_them(service, body):
    r = httpx.post(f"{service.url}/_harness/play", headers=service.token_header, json=body)
    assert r.status_code == 400
    assert not re.search(r"(.)\1{99}", r.json()["error"]["message"])  # never echoed whole
