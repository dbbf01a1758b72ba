"""Serialization: the exact body bytes of a Stripe webhook delivery.

Takes a rendered event dict; gives pretty-printed JSON (two-space indent, UTF-8 as is) byte for
byte as Stripe writes it. Bodies are fixed when the event is created; only signatures change.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any


def serialize(event: dict[str, Any]) -> bytes:
    """The body bytes of a webhook delivery, as Stripe writes them.

    Stripe sends pretty-printed JSON: two-space indent, `"key": value`, non-ASCII characters
    unescaped, no trailing newline (the form of every captured payload); Python's default
    json.dumps form (one line, `\\u` escapes) differs byte for byte.
    """
    return _pretty(event, "").encode("utf-8")


def _pretty(value: Any, indent: str) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False), several times as fast: C string
    escaping, and strings, booleans and nulls (most values) written without a call."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "  "
        sep = ",\n" + inner
        return ("{\n" + inner
                + sep.join(encode_basestring(k) + ": " + _scalar_or_pretty(v, inner)
                           for k, v in value.items())
                + "\n" + indent + "}")
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = indent + "  "
        sep = ",\n" + inner
        return ("[\n" + inner + sep.join(_scalar_or_pretty(v, inner) for v in value)
                + "\n" + indent + "]")
    return _scalar_or_pretty(value, indent)


def _scalar_or_pretty(value: Any, indent: str) -> str:
    if value.__class__ is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value.__class__ is int:
        return int.__repr__(value)
    if isinstance(value, (dict, list)):
        return _pretty(value, indent)
    if isinstance(value, str):
        return encode_basestring(value)
    return json.dumps(value)
