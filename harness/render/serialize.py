"""Serialization: the exact body bytes of a Stripe webhook delivery.

Takes a rendered event dict; gives pretty-printed JSON (two-space indent, UTF-8 as is) byte for
byte as Stripe writes it. Bodies are fixed when the event is created; only signatures change.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

try:  # a C encoder whose 2-space indent matches json.dumps(indent=2) byte for byte
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the pure path still works
    orjson = None

# orjson and Python write a float the same way except where Python's repr takes an exponent
# (|x| < 1e-4 or >= 1e16): there orjson writes 0.00001 or 1e16 where Python writes 1e-05 or
# 1e+16. orjson's output holds such a float only as "0.0000..." or a digit, "e" and a digit
# or "-"; a candidate "e" counts when it sits in a number token outside strings.
_EXPONENT = re.compile(rb"e[-0-9]")  # a literal first: C-speed scanning
_NUMBER_CHARS = frozenset(b"0123456789.-+e")


def serialize(event: dict[str, Any]) -> bytes:
    """The body bytes of a webhook delivery, as Stripe writes them.

    Stripe sends pretty-printed JSON: two-space indent, `"key": value`, non-ASCII characters
    unescaped, no trailing newline (the form of every captured payload); Python's default
    json.dumps form (one line, `\\u` escapes) differs byte for byte. Written by orjson where
    its bytes are json.dumps(indent=2, ensure_ascii=False)'s, else by `_pretty`; a NaN or an
    infinity (not JSON; Stripe never sends one) is written as null where orjson is installed.
    """
    if orjson is not None:
        try:
            # Passthrough: what is not plain JSON data goes to the pure path, which judges it
            # as json.dumps does.
            out = orjson.dumps(event, option=_ORJSON_OPTIONS)
        except TypeError:  # an integer over 64 bits, a non-str key, a lone surrogate
            pass
        else:
            if not _python_writes_otherwise(out):
                return out
    return _pretty(event, "").encode("utf-8")


_ORJSON_OPTIONS = (0 if orjson is None else
                   orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _python_writes_otherwise(out: bytes) -> bool:
    """Whether orjson's `out` may hold a float that json.dumps writes in another form."""
    if b"0.0000" in out:
        return True  # or a string holding it: the pure path is then merely slower
    for m in _EXPONENT.finditer(out):
        start = m.start()
        if not out[start - 1:start].isdigit():
            continue
        # A number token ends at ",\n" or "\n", which no string holds (its newlines are
        # escaped): inside a string the token runs into other characters first.
        end = m.end()
        while end < len(out) and out[end] in _NUMBER_CHARS:
            end += 1
        if out[end:end + 1] == b"\n" or out[end:end + 2] == b",\n":
            return True
    return False


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
