"""API keys the fake Stripe accepts: shaped like Stripe's own, so libraries that check a key's
format (dj-stripe: `^(pk|sk|rk)_(test|live)_[a-zA-Z0-9]{24,}$`) take them.

The default key is fixed (deterministic runs, nothing to configure); a target file may name
another in `[stripe].api_key`. Live keys are refused: the harness never stands in for live mode.
"""

from __future__ import annotations

import re

# sk_test_ and 29 letters and digits; assembled so it reads as what it is, a fake.
DEFAULT_API_KEY = "sk_test_" + "portalharness" + "0" * 16

KEY_SHAPE = re.compile(r"(sk|rk)_test_[A-Za-z0-9]{24,}")


def check_api_key(key: str) -> str:
    """`key` if it is shaped like a Stripe test secret or restricted key, else ValueError."""
    if re.fullmatch(r"(sk|rk|pk)_live_.*", key):
        raise ValueError("a live-mode key; the fake Stripe API takes test keys only "
                         "(sk_test_ or rk_test_)")
    if not KEY_SHAPE.fullmatch(key):
        raise ValueError("not shaped like a Stripe test key: sk_test_ or rk_test_ followed by "
                         "24 or more letters and digits (libraries such as dj-stripe refuse "
                         "any other shape)")
    return key
