"""API cassettes: vcrpy settings and the scrubbers that keep secrets out of recordings."""

from __future__ import annotations

import gzip
import json
import sys

import pytest
import vcr
from vcr.request import Request

from harness.cassettes.recording import (
    REDACTED,
    find_secrets,
    make_vcr,
    scan_cassettes,
    scrub_request,
    scrub_response,
    vcr_config,
)
from harness.errors import ConfigError


def fake(prefix: str, length: int = 99) -> str:
    """A secret-shaped value, assembled at run time so no scanner flags this file."""
    alphabet = "51HqLyjWDarjtT1zdp7dcZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ"
    return prefix + (alphabet * 3)[:length]


# Built, not written out, so no live-key-shaped literal sits in the repository.
LIVE_PREFIX = "sk_" + "live_"
SK_LIVE = fake("sk_" + "live_")
SK_TEST = fake("sk_" + "test_")
RK_LIVE = fake("rk_" + "live_")
RK_TEST = fake("rk_" + "test_")
WHSEC = fake("wh" + "sec_", 32)
PORTAL_TOKEN = fake("test_", 100)
PORTAL_URL = "https://billing.stripe.com/p/session/" + PORTAL_TOKEN
ALL_SECRETS = (SK_LIVE, SK_TEST, RK_LIVE, RK_TEST, WHSEC, PORTAL_TOKEN)


def recorded_request(request: Request) -> Request:
    """The request as vcrpy would store it, through the whole configured hook chain."""
    return vcr.VCR(**vcr_config()).get_merged_config()["before_record_request"](request)


def recorded_response(response: dict) -> dict:
    return vcr.VCR(**vcr_config()).get_merged_config()["before_record_response"](response)


def response(body: bytes | str, **headers: str) -> dict:
    """A response dict shaped the way vcrpy hands it to `before_record_response`."""
    size = len(body.encode() if isinstance(body, str) else body)
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Content-Type": ["application/json"],
            "Content-Length": [str(size)],
            "Stripe-Version": ["2025-08-27.basil"],
            **{name.replace("_", "-"): [value] for name, value in headers.items()},
        },
        "body": {"string": body},
    }


def assert_no_secret(text: str | bytes) -> None:
    text = text.decode() if isinstance(text, bytes) else text
    for secret in ALL_SECRETS:
        assert secret not in text
    assert find_secrets(text) == []


# -- configuration ----------------------------------------------------------------------------


def test_vcr_config_replays_only_and_filters_the_credential_headers():
    config = vcr_config()

    assert config["record_mode"] == "none"
    assert {h.lower() for h in config["filter_headers"]} >= {
        "authorization",
        "stripe-signature",
        "idempotency-key",
        "cookie",
        "set-cookie",
        "stripe-account",
    }
    assert config["decode_compressed_response"] is True
    assert config["before_record_request"] is scrub_request
    assert config["before_record_response"] is scrub_response
    vcr.VCR(**config)  # every key is one vcr.VCR accepts


def test_a_chosen_record_mode_is_passed_and_none_leaves_it_out():
    assert vcr_config(record_mode="once")["record_mode"] == "once"
    assert "record_mode" not in vcr_config(record_mode=None)


def test_an_unknown_record_mode_lists_the_valid_ones():
    with pytest.raises(
        ConfigError,
        match="'sometimes' is not a vcrpy record mode; use one of "
        "none, once, new_episodes, all, any, rewrite",
    ):
        vcr_config(record_mode="sometimes")


def test_make_vcr_builds_a_replay_only_vcr(tmp_path):
    recorder = make_vcr(tmp_path)
    assert recorder.record_mode == "none"
    assert recorder.cassette_library_dir == str(tmp_path)


def test_without_vcrpy_the_error_names_the_record_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vcr", None)
    with pytest.raises(ImportError, match=r'pip install "portal-harness\[record\]"'):
        vcr_config()


# -- requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Authorization", f"Bearer {SK_TEST}"),
        ("Stripe-Account", "acct_1MrSjzLkdIwHu7ix"),
        ("Idempotency-Key", "e6ba3e40-a96e-49f4-944c-f79e40cc0bac"),
        ("Cookie", "__stripe_mid=abc; machine_identifier=def"),
        ("Stripe-Signature", "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff53"),
    ],
)
def test_credential_request_headers_are_not_recorded(header, value):
    request = Request(
        "POST",
        "https://api.stripe.com/v1/billing_portal/sessions",
        b"customer=cus_NciAYcXfLnqBoz",
        {header: value, "Stripe-Version": "2025-08-27.basil"},
    )

    recorded = recorded_request(request)

    assert header not in recorded.headers
    assert recorded.headers["Stripe-Version"] == "2025-08-27.basil"
    assert value in request.headers[header]  # vcrpy scrubs a copy; the live request is intact


@pytest.mark.parametrize(
    ("uri", "body", "content_type", "secret"),
    [
        pytest.param(
            "https://api.stripe.com/v1/payment_intents/pi_1?client_secret=pi_1_secret_2",
            None,
            None,
            "pi_1_secret_2",
            id="query-client_secret",
        ),
        pytest.param(
            "https://api.stripe.com/v1/payment_intents/pi_1/confirm",
            b"client_secret=pi_1_secret_2&payment_method=pm_card_visa",
            "application/x-www-form-urlencoded",
            "pi_1_secret_2",
            id="form-client_secret",
        ),
        pytest.param(
            "https://api.stripe.com/v1/customers",
            f"metadata[note]={SK_LIVE}&email=jenny%40example.com".encode(),
            "application/x-www-form-urlencoded",
            SK_LIVE,
            id="form-live-key",
        ),
        pytest.param(
            "https://api.stripe.com/v1/customers",
            f"metadata[signing_secret]={WHSEC}".encode(),
            "application/x-www-form-urlencoded",
            WHSEC,
            id="form-secret-field",
        ),
        pytest.param(
            f"https://api.stripe.com/v1/customers?expand[]=x&key={RK_TEST}",
            None,
            None,
            RK_TEST,
            id="query-restricted-key",
        ),
        pytest.param(
            "https://api.stripe.com/v2/core/event_destinations",
            json.dumps(
                {
                    "webhook_endpoint": {"url": "https://x.test/w"},
                    "metadata": {"k": RK_LIVE, "portal": PORTAL_URL},
                }
            ).encode(),
            "application/json",
            RK_LIVE,
            id="json-body",
        ),
    ],
)
def test_secrets_in_query_strings_and_bodies_are_replaced(uri, body, content_type, secret):
    headers = {"Content-Type": content_type} if content_type else {}
    recorded = recorded_request(Request("POST", uri, body, headers))

    assert secret not in recorded.uri
    assert secret not in (recorded.body or b"").decode()
    assert_no_secret(recorded.uri + (recorded.body or b"").decode())
    assert recorded.path == Request("POST", uri, body, headers).path


def test_a_json_request_body_stays_valid_json_with_other_fields_untouched():
    body = {
        "metadata": {"k": RK_LIVE, "plan": "pro"},
        "client_secret": "seti_1_secret_2",
        "amount": 2990,
    }
    recorded = recorded_request(
        Request(
            "POST",
            "https://api.stripe.com/v2/x",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
    )
    assert json.loads(recorded.body) == {
        "metadata": {"k": "rk_live_" + REDACTED, "plan": "pro"},
        "client_secret": REDACTED,
        "amount": 2990,
    }


def test_a_request_without_secrets_is_recorded_byte_for_byte():
    uri = "https://api.stripe.com/v1/subscriptions?customer=cus_1&expand%5B%5D=data.latest_invoice"
    body = b"customer=cus_NciAYcXfLnqBoz&return_url=https%3A%2F%2Fexample.com%2Faccount"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Stripe-Version": "x"}

    recorded = recorded_request(Request("POST", uri, body, headers))

    assert (recorded.uri, recorded.body) == (uri, body)


def test_a_file_like_request_body_is_scrubbed_too():
    import io

    request = Request(
        "POST",
        "https://api.stripe.com/v1/customers",
        io.BytesIO(f"metadata[k]={SK_TEST}".encode()),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    recorded = scrub_request(request)
    assert recorded.body.read() == b"metadata%5Bk%5D=sk_test_REDACTED"


# -- responses --------------------------------------------------------------------------------

PORTAL_SESSION = {
    "id": "bps_1MrSjzLkdIwHu7ixex0IvU9b",
    "object": "billing_portal.session",
    "configuration": "bpc_1MAhNDLkdIwHu7ixckACO1Jq",
    "created": 1680210639,
    "customer": "cus_NciAYcXfLnqBoz",
    "flow": None,
    "livemode": False,
    "locale": None,
    "on_behalf_of": None,
    "return_url": "https://example.com/account",
    "url": PORTAL_URL,
}


def test_the_portal_session_url_becomes_a_stable_placeholder():
    body = json.dumps(PORTAL_SESSION, indent=2).encode()

    recorded = recorded_response(response(body, Request_Id="req_nb1lXAkxNgpGtW"))

    session = json.loads(recorded["body"]["string"])
    assert session["url"] == "https://billing.stripe.com/p/session/test_REDACTED"
    assert {k: v for k, v in session.items() if k != "url"} == {
        k: v for k, v in PORTAL_SESSION.items() if k != "url"
    }
    assert recorded["headers"]["Content-Length"] == [str(len(recorded["body"]["string"]))]
    assert_no_secret(recorded["body"]["string"])


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        pytest.param(
            {
                "id": "seti_1",
                "object": "setup_intent",
                "client_secret": "seti_1NG8Du2eZvKYlo2C9XMqbR0x_secret_O2CdhLwGFh2Aej7bC",
            },
            ["client_secret"],
            REDACTED,
            id="client_secret",
        ),
        pytest.param(
            {"id": "cs_1", "object": "checkout.session", "client_secret": None},
            ["client_secret"],
            None,
            id="null-client_secret",
        ),
        pytest.param(
            {"id": "we_1", "object": "webhook_endpoint", "secret": WHSEC},
            ["secret"],
            REDACTED,
            id="webhook-secret",
        ),
        pytest.param(
            {"id": "cus_1", "object": "customer", "metadata": {"k": SK_LIVE}},
            ["metadata", "k"],
            LIVE_PREFIX + REDACTED,
            id="live-key",
        ),
        pytest.param(
            {"object": "list", "data": [{"id": "x", "note": f"use {RK_TEST} here"}]},
            ["data", 0, "note"],
            "use rk_test_REDACTED here",
            id="restricted-key",
        ),
        pytest.param(
            {
                "id": "bps_1",
                "flow": {
                    "after_completion": {"redirect": {"return_url": PORTAL_URL + "/subscriptions"}}
                },
            },
            ["flow", "after_completion", "redirect", "return_url"],
            "https://billing.stripe.com/p/session/test_REDACTED/subscriptions",
            id="nested-url",
        ),
    ],
)
def test_secret_fields_and_values_in_response_bodies_are_replaced(body, path, expected):
    recorded = recorded_response(response(json.dumps(body, indent=2).encode()))

    value = json.loads(recorded["body"]["string"])
    for key in path:
        value = value[key]
    assert value == expected
    assert_no_secret(recorded["body"]["string"])


def test_request_and_idempotency_headers_get_placeholders_and_cookies_go():
    recorded = recorded_response(
        response(
            b"{}",
            Request_Id="req_nb1lXAkxNgpGtW",
            Idempotency_Key="e6ba3e40-a96e-49f4-944c-f79e40cc0bac",
            Original_Request="req_abc",
            Set_Cookie="sid=1",
        )
    )
    headers = recorded["headers"]

    assert headers["Request-Id"] == ["req_REDACTED"]
    assert headers["Original-Request"] == ["req_REDACTED"]
    assert headers["Idempotency-Key"] == [REDACTED]
    assert "Set-Cookie" not in headers
    assert headers["Stripe-Version"] == ["2025-08-27.basil"]
    assert recorded["body"]["string"] == b"{}"


def test_a_response_without_secrets_keeps_its_exact_bytes():
    body = json.dumps(
        {
            "id": "cus_1",
            "object": "customer",
            "email": "jenny@example.com",
            "invoice_prefix": "M8V0KX57",
            "name": "Jenny Rosen",
        },
        indent=2,
    ).encode()
    original = response(body)
    assert recorded_response(original)["body"] == {"string": body}


def test_a_gzip_body_is_decompressed_then_scrubbed():
    raw = json.dumps(PORTAL_SESSION, indent=2).encode()
    compressed = response(gzip.compress(raw), Content_Encoding="gzip")

    for recorded in (recorded_response(compressed), scrub_response(compressed)):
        assert "Content-Encoding" not in recorded["headers"]
        assert json.loads(recorded["body"]["string"])["url"].endswith("/test_REDACTED")


def test_text_bodies_are_scrubbed_and_binary_bodies_left_alone():
    text = scrub_response(response(f"key={SK_LIVE}\n", Content_Type="text/plain"))
    binary = scrub_response(response(b"%PDF-1.4\xff\xfe\x00" + SK_LIVE.encode()))

    assert text["body"]["string"] == f"key={LIVE_PREFIX}{REDACTED}\n"  # str stays str
    assert binary["body"]["string"].endswith(SK_LIVE.encode())


def test_scrubbing_twice_changes_nothing_more_and_leaves_the_input_alone():
    original = response(json.dumps(PORTAL_SESSION, indent=2).encode(), Request_Id="req_1")
    once = scrub_response(original)
    assert scrub_response(once) == once
    assert original["body"]["string"] == json.dumps(PORTAL_SESSION, indent=2).encode()


# -- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "kind", "shown"),
    [
        (SK_LIVE, "live secret key", "sk_live_51Hq…"),
        (SK_TEST, "test secret key", "sk_test_51Hq…"),
        (RK_LIVE, "live restricted key", "rk_live_51Hq…"),
        (RK_TEST, "test restricted key", "rk_test_51Hq…"),
        (WHSEC, "webhook signing secret", "whsec_51Hq…"),
        (PORTAL_URL, "portal session url", "billing.stripe.com/p/session/test_51Hq…"),
        (
            PORTAL_URL.replace("/", "\\/"),
            "portal session url",
            "billing.stripe.com\\/p\\/session\\/test_51Hq…",
        ),
        (
            PORTAL_URL.replace("/", "%2F"),
            "portal session url",
            "billing.stripe.com%2Fp%2Fsession%2Ftest_51Hq…",
        ),
    ],
)
def test_find_secrets_reports_line_kind_and_a_redacted_excerpt(secret, kind, shown):
    text = f'interactions:\n- request:\n    body: \'{{"value": "{secret}"}}\'\n'
    assert find_secrets(text) == [(3, kind, shown)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{LIVE_PREFIX}{REDACTED} rk_test_REDACTED whsec_REDACTED", id="placeholders"),
        pytest.param("https://billing.stripe.com/p/session/test_REDACTED/flow", id="url-holder"),
        pytest.param("sk_test_123 whsec_abc sk_test_fake_key", id="short-fakes"),
        pytest.param(fake("pk_" + "live_"), id="publishable-key"),
        pytest.param("https://billing.stripe.com/p/login/test_14k5mC6Jm1rp8Lu000", id="login"),
        pytest.param("ask_" + "live_" + "x" * 30, id="inside-a-word"),
    ],
)
def test_find_secrets_ignores_placeholders_and_non_secrets(text):
    assert find_secrets(text) == []


def test_several_secrets_on_a_line_come_in_reading_order():
    found = find_secrets(f"a {WHSEC} b {SK_TEST}\nclean\n{PORTAL_URL}")
    assert [(m.line, m.kind) for m in found] == [
        (1, "webhook signing secret"),
        (1, "test secret key"),
        (3, "portal session url"),
    ]


def test_scan_cassettes_names_file_and_line(tmp_path):
    (tmp_path / "api" / "test_portal").mkdir(parents=True)
    leaky = tmp_path / "api" / "test_portal" / "creates_session.yaml"
    leaky.write_text(f"interactions:\n- response:\n    body: {SK_LIVE}\n", encoding="utf-8")
    (tmp_path / "clean.yaml").write_text("body: sk_test_REDACTED\n", encoding="utf-8")

    found = scan_cassettes(tmp_path)

    assert [str(f) for f in found] == [f"{leaky}:3: live secret key (sk_live_51Hq…)"]


def test_scan_cassettes_needs_an_existing_folder(tmp_path):
    with pytest.raises(ConfigError, match=rf"^{tmp_path / 'nope'}: no such cassette folder"):
        scan_cassettes(tmp_path / "nope")


# -- a real recording -------------------------------------------------------------------------


def test_a_stripe_client_call_records_a_cassette_with_nothing_secret(httpserver, tmp_path):
    stripe = pytest.importorskip("stripe")
    httpserver.expect_request("/v1/billing_portal/sessions", method="POST").respond_with_data(
        gzip.compress(json.dumps(PORTAL_SESSION, indent=2).encode()),
        headers={
            "Request-Id": "req_nb1lXAkxNgpGtW",
            "Content-Encoding": "gzip",
            "Set-Cookie": "__stripe_orig_props=x",
        },
        content_type="application/json",
    )
    client = stripe.StripeClient(
        SK_TEST, base_addresses={"api": httpserver.url_for("").rstrip("/")}, max_network_retries=0
    )
    params = {"customer": "cus_NciAYcXfLnqBoz", "return_url": "https://example.com/account"}

    with make_vcr(tmp_path, record_mode="once").use_cassette("portal.yaml"):
        live = client.v1.billing_portal.sessions.create(params=params)
    with make_vcr(tmp_path).use_cassette("portal.yaml"):
        replayed = client.v1.billing_portal.sessions.create(params=params)

    cassette = (tmp_path / "portal.yaml").read_text(encoding="utf-8")
    assert live.url == PORTAL_URL
    assert replayed.url == "https://billing.stripe.com/p/session/test_REDACTED"
    assert replayed.customer == "cus_NciAYcXfLnqBoz"
    assert_no_secret(cassette)
    assert "req_nb1lXAkxNgpGtW" not in cassette and "__stripe_orig_props" not in cassette
    assert "Authorization" not in cassette and "X-Stripe-Client-User-Agent" not in cassette
    assert scan_cassettes(tmp_path) == []
