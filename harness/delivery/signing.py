"""Signing: the `Stripe-Signature` header over a delivery's body bytes.

Takes the body bytes (harness.render.serialize) and an endpoint secret; gives
`t=<unix>,v1=<hex>` where v1 is HMAC-SHA256(secret, "<t>.<body>"). The timestamp is wall-clock
time at each delivery attempt, because apps check it against their own clock with a 300 s
tolerance (stripe-python _webhook.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time

DEFAULT_WEBHOOK_SECRET = "whsec_portalharness0000000000000000000"


def compute_signature(body: bytes, secret: str, timestamp: int) -> str:
    """The hex v1 signature of `body` at `timestamp` with the endpoint `secret`."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_payload(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `body`, dated now unless `timestamp` is given."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={compute_signature(body, secret, t)}"


def tampered_deliveries(body: bytes, secret: str, *,
                        now: int | None = None) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Deliveries a correct app must refuse (4xx, nothing changed), by what is wrong with them.

    forged_signature: a v1 that is not an HMAC of the body; wrong_secret: signed with another
    endpoint's secret; body_changed: one byte of the body altered after signing; stale_timestamp:
    correctly signed 10 minutes ago (beyond the 300 s tolerance); missing_header: no header.
    `now` is the app's time (default: the wall clock).
    """
    now = int(time.time()) if now is None else now
    header = sign_payload(body, secret, timestamp=now)
    changed = bytearray(body)
    idx = body.find(b'"livemode": false')
    if idx >= 0:  # flip a meaningful value rather than whitespace
        changed[idx:idx + 17] = b'"livemode": true '
    else:
        changed[-2] = ord(" ") if changed[-2] != ord(" ") else ord("\t")
    return {
        "forged_signature": (body, {"Stripe-Signature": f"t={now},v1={'0' * 64}"}),
        "wrong_secret": (body, {"Stripe-Signature": sign_payload(
            body, "whsec_" + "x" * 32, timestamp=now)}),
        "body_changed": (bytes(changed), {"Stripe-Signature": header}),
        "stale_timestamp": (body, {"Stripe-Signature": sign_payload(
            body, secret, timestamp=now - 600)}),
        "missing_header": (body, {}),
    }
