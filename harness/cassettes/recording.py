"""API cassettes: vcrpy settings that record Stripe test-mode calls with every secret scrubbed.

Gives `vcr_config()` for pytest-recording's `vcr_config` fixture or `vcr.VCR(**...)`, the
request and response scrubbers it installs, and `find_secrets` / `scan_cassettes` to audit
cassette files. Needs the `record` extra (vcrpy): pip install "portal-harness[record]".

The repository's API cassettes (cassettes/api/) replay with record mode "none": no network.
Re-recording is opt-in: `python tests/cassettes/api_flows.py` re-records them from the fake
Stripe; `STRIPE_TEST_KEY=sk_test_... pytest tests/cassettes --live -m live` records the same
calls against Stripe test mode into cassettes/api/live/ (test-mode keys only), then checks them
for secrets and compares their shapes with the fake's.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigError

if TYPE_CHECKING:
    import vcr

REDACTED = "REDACTED"

# Request headers vcrpy drops before recording. vcrpy's `filter_headers` only touches requests
# (vcrpy docs/advanced.rst), so response headers are handled in `scrub_response`. The two
# X-Stripe-Client-* headers are stripe-python's machine description and recent request ids:
# not credentials, but noise that identifies the recording machine.
FILTER_HEADERS = (
    "Authorization",
    "Stripe-Signature",
    "Idempotency-Key",
    "Cookie",
    "Set-Cookie",
    "Stripe-Account",
    "X-Stripe-Client-User-Agent",
    "X-Stripe-Client-Telemetry",
)
# Response headers kept (clients read them) but with a stable placeholder value.
_PLACEHOLDER_HEADERS = MappingProxyType(
    {
        "request-id": "req_REDACTED",
        "original-request": "req_REDACTED",
        "idempotency-key": REDACTED,
        "stripe-account": "acct_REDACTED",
    }
)
_DROPPED_RESPONSE_HEADERS = frozenset({"set-cookie"})

# Fields whose value is a credential wherever they appear: a query or form key (the last
# bracketed part, so `payment_method_data[client_secret]` counts) or a JSON key.
SECRET_FIELDS = frozenset(
    {"api_key", "client_secret", "password", "secret", "signing_secret", "webhook_secret"}
)

# vcrpy's modes, plus pytest-recording's "rewrite".
RECORD_MODES = ("none", "once", "new_episodes", "all", "any", "rewrite")

_NOT_AFTER_WORD = r"(?<![A-Za-z0-9])"
# A slash, JSON-escaped or percent-encoded, so a url inside another value is caught too.
_SLASH = r"(?:/|\\/|%2[Ff])"
_PORTAL_PREFIX = rf"billing\.stripe\.com{_SLASH}p{_SLASH}session{_SLASH}"

# What the scrubber replaces: any length, so nothing shorter than a real key slips through.
_SCRUB_KEY = re.compile(_NOT_AFTER_WORD + r"((?:sk|rk)_(?:test|live)_|whsec_)[A-Za-z0-9]+")
_SCRUB_PORTAL = re.compile(rf"({_PORTAL_PREFIX})((?:test_|live_)?)[A-Za-z0-9_-]+")

# What `find_secrets` reports. Real keys carry 24 to 100+ characters after the prefix and a
# portal session token about 100 (docs example, billing_portal.session 2025-04-30.basil), so a
# 16-character floor flags every real one while placeholders ("sk_test_REDACTED",
# ".../session/test_REDACTED") and obvious fakes ("sk_test_123") pass.
_KEY_BODY = r"(?P<secret>[A-Za-z0-9]{16,})"
_DETECTORS = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("live secret key", _NOT_AFTER_WORD + "sk_live_" + _KEY_BODY),
        ("test secret key", _NOT_AFTER_WORD + "sk_test_" + _KEY_BODY),
        ("live restricted key", _NOT_AFTER_WORD + "rk_live_" + _KEY_BODY),
        ("test restricted key", _NOT_AFTER_WORD + "rk_test_" + _KEY_BODY),
        ("webhook signing secret", _NOT_AFTER_WORD + r"whsec_(?P<secret>[A-Za-z0-9]{20,})"),
        ("portal session url", _PORTAL_PREFIX + r"(?:test_|live_)?(?P<secret>[A-Za-z0-9_-]{16,})"),
    )
)


class SecretMatch(NamedTuple):
    """One thing that looks like a secret: 1-based line, what kind, and a redacted excerpt."""

    line: int
    kind: str
    redacted: str


class SecretFinding(NamedTuple):
    """A `SecretMatch` in a file; prints as `path:line: kind (excerpt)`."""

    path: Path
    line: int
    kind: str
    redacted: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} ({self.redacted})"


def vcr_config(*, record_mode: str | None = "none") -> dict[str, Any]:
    """Keyword arguments for `vcr.VCR(**...)` or pytest-recording's `vcr_config` fixture.

    The default record mode is "none": replay only, no network. pytest-recording lets this dict
    override its `--record-mode` option, so a fixture should pass that option through::

        @pytest.fixture(scope="module")
        def vcr_config(record_mode):  # pytest-recording's fixture for --record-mode
            return harness.cassettes.recording.vcr_config(record_mode=record_mode)

    `record_mode=None` leaves the key out altogether.
    """
    _require_vcr()
    if record_mode is not None and record_mode not in RECORD_MODES:
        raise ConfigError(
            f"record_mode {record_mode!r} is not a vcrpy record mode; use one of "
            + ", ".join(RECORD_MODES)
        )
    config: dict[str, Any] = {
        "filter_headers": list(FILTER_HEADERS),
        # Decompress before the scrubber reads the body; a gzip body would hide its secrets.
        "decode_compressed_response": True,
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
    }
    if record_mode is not None:
        config = {"record_mode": record_mode, **config}
    return config


def make_vcr(
    cassette_library_dir: str | os.PathLike[str] | None = None, **overrides: Any
) -> vcr.VCR:
    """A `vcr.VCR` built from `vcr_config()`, for use outside pytest (notebooks, scripts)."""
    module = _require_vcr()
    config = {**vcr_config(record_mode=overrides.pop("record_mode", "none")), **overrides}
    if config.get("record_mode") == "rewrite":
        raise ConfigError("record_mode 'rewrite' is pytest-recording's; vcr.VCR needs 'all'")
    if cassette_library_dir is not None:
        config["cassette_library_dir"] = os.fspath(cassette_library_dir)
    return module.VCR(**config)


def scrub_text(text: str) -> str:
    """Replace secret keys, webhook secrets and portal session tokens in free text."""
    text = _SCRUB_KEY.sub(lambda m: m.group(1) + REDACTED, text)
    return _SCRUB_PORTAL.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


def scrub_json(value: Any) -> Any:
    """A copy of a parsed JSON value with secret fields and secret-looking strings replaced."""
    if isinstance(value, dict):
        return {
            scrub_text(key): (
                REDACTED
                if key.lower() in SECRET_FIELDS and isinstance(item, str)
                else scrub_json(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item) for item in value]
    return scrub_text(value) if isinstance(value, str) else value


def scrub_request(request: Any) -> Any:
    """vcrpy `before_record_request` hook: scrub the query string, body and header values.

    Takes and returns a `vcr.request.Request` (vcrpy passes a copy, so changing it is safe).
    """
    parts = urlsplit(request.uri)
    if parts.query:
        query = _scrub_form(parts.query)
        if query != parts.query:
            request.uri = urlunsplit(parts._replace(query=query))
    body = _whole_body(request.body)
    if body:
        content_type = request.headers.get("Content-Type") or ""
        scrubbed = _scrub_body(body, content_type, form=True)
        if scrubbed != body:
            request.body = scrubbed
    for name, value in list(request.headers.items()):
        if isinstance(value, str) and scrub_text(value) != value:
            request.headers[name] = scrub_text(value)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy `before_record_response` hook: scrub headers and body, keeping JSON valid.

    Takes and returns vcrpy's response dict: {"status": {...}, "headers": {name: [values]},
    "body": {"string": bytes | str}}. Content-Length is kept true to the new body.
    """
    response = copy.deepcopy(response)
    headers = response.get("headers") or {}
    if any(name.lower() == "content-encoding" for name in headers):
        response = _require_vcr().filters.decode_response(response)
        headers = response["headers"]
    content_type = ""
    cleaned: dict[str, Any] = {}
    for name, values in headers.items():
        lower = name.lower()
        if lower in _DROPPED_RESPONSE_HEADERS:
            continue
        if lower == "content-type":
            content_type = values if isinstance(values, str) else " ".join(values)
        placeholder = _PLACEHOLDER_HEADERS.get(lower)
        scrub = scrub_text if placeholder is None else (lambda _value, p=placeholder: p)
        cleaned[name] = _map_values(values, scrub)
    response["headers"] = cleaned
    body = (response.get("body") or {}).get("string")
    if body:
        scrubbed = _scrub_body(body, content_type, form=False)
        if scrubbed != body:
            response["body"]["string"] = scrubbed
            size = len(scrubbed.encode("utf-8") if isinstance(scrubbed, str) else scrubbed)
            for name in cleaned:
                if name.lower() == "content-length":
                    cleaned[name] = _map_values(cleaned[name], lambda _value: str(size))
    return response


def find_secrets(text: str) -> list[SecretMatch]:
    """Everything in `text` that looks like a Stripe secret, in reading order.

    Finds live and test secret keys (sk_), restricted keys (rk_), webhook signing secrets
    (whsec_ and 20+ characters) and bearer portal session urls; the scrubber's placeholders
    are not reported. The excerpt keeps only the first characters of each match.
    """
    matches = []
    for number, line in enumerate(text.split("\n"), start=1):
        found = []
        for kind, pattern in _DETECTORS:
            for match in pattern.finditer(line):
                excerpt = line[match.start() : match.start("secret") + 4] + "…"
                found.append((match.start(), SecretMatch(number, kind, excerpt)))
        matches.extend(match for _start, match in sorted(found))
    return matches


def scan_cassettes(root: str | os.PathLike[str]) -> list[SecretFinding]:
    """`find_secrets` over every file under `root`, recursively, in path order."""
    folder = Path(root)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such cassette folder")
    findings = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        # Secrets are ASCII, so undecodable bytes are replaced rather than skipped.
        text = path.read_bytes().decode("utf-8", errors="replace")
        findings.extend(SecretFinding(path, *match) for match in find_secrets(text))
    return findings


def _require_vcr():
    try:
        import vcr
        import vcr.filters
    except ImportError as exc:
        raise ImportError(
            'Recording API cassettes needs vcrpy: pip install "portal-harness[record]"'
        ) from exc
    return vcr


def _is_secret_field(key: str) -> bool:
    parts = re.findall(r"[^\[\]]+", key)
    return bool(parts) and parts[-1].lower() in SECRET_FIELDS


def _scrub_form(text: str) -> str:
    """A query string or form body with secret fields and secret-looking values replaced."""
    pairs = parse_qsl(text, keep_blank_values=True)
    scrubbed = [(k, REDACTED if _is_secret_field(k) else scrub_text(v)) for k, v in pairs]
    return text if scrubbed == pairs else urlencode(scrubbed)


def _scrub_body(body: bytes | str, content_type: str, *, form: bool) -> bytes | str:
    """Scrub a body as JSON, a form or text by its content type; bytes stay bytes."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        return body  # binary (a PDF, an image): nothing text-shaped to scrub
    scrubbed = text
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except ValueError:
            scrubbed = scrub_text(text)
        else:
            clean = scrub_json(data)
            if clean != data:  # re-serialize only when something changed, as Stripe indents
                indent = 2 if "\n" in text else None
                separators = None if indent else (",", ":")
                scrubbed = json.dumps(
                    clean, indent=indent, separators=separators, ensure_ascii=False
                )
    elif form and "x-www-form-urlencoded" in content_type:
        scrubbed = _scrub_form(text)
    else:
        scrubbed = scrub_text(text)
    if scrubbed == text:
        return body
    return scrubbed.encode("utf-8") if isinstance(body, bytes) else scrubbed


def _whole_body(body: Any) -> bytes | str | None:
    """vcrpy keeps a file or iterator body re-readable; read it whole."""
    if body is None or isinstance(body, bytes | str):
        return body
    if hasattr(body, "getvalue"):
        return body.getvalue()
    return b"".join(body)


def _map_values(values: Any, change: Callable[[str], str]) -> Any:
    if isinstance(values, list):
        return [change(value) if isinstance(value, str) else value for value in values]
    return change(values) if isinstance(values, str) else values
