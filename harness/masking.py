"""Secrets never printed whole: keys, webhook secrets and passwords in urls are masked.

Takes a secret, a url or any text about to be printed, shown in a notebook or written to a
report; gives it with each secret cut to its prefix and last four characters (`whsec_…abcd`,
`sk_test_…abcd`) and each url password replaced by `***`. Also finds live Stripe keys, which
the harness refuses unless told otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_")
SECRET_PATTERN = re.compile(r"\b(sk_test_|sk_live_|rk_test_|rk_live_|whsec_)([A-Za-z0-9_]+)")
LIVE_KEY_PATTERN = re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]+")
# scheme://user:password@host: the password is the part between the first ':' and the '@'
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)(@)")


def mask_secret(secret: str) -> str:
    """whsec_abcdefgh1234 -> whsec_…1234; a short or unknown secret keeps no characters."""
    prefix = next((p for p in _PREFIXES if secret.startswith(p)), "")
    rest = secret[len(prefix):]
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 12 else f"{prefix}…"


def mask_url(url: str) -> str:
    """postgresql://app:s3cret@db/app -> postgresql://app:***@db/app."""
    return _URL_PASSWORD.sub(r"\1***\3", url)


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret-shaped token, every given secret and url passwords masked."""
    for secret in sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True):
        text = text.replace(secret, mask_secret(secret))
    text = SECRET_PATTERN.sub(lambda m: mask_secret(m.group(0)), text)
    return mask_url(text)


def live_keys(data: Any, where: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(dotted key path, masked key) for each live secret or restricted key in nested data."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from live_keys(value, (*where, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from live_keys(value, (*where, str(index)))
    elif isinstance(data, str):
        for found in LIVE_KEY_PATTERN.findall(data):
            yield ".".join(where), mask_secret(found)
