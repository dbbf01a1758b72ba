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

# A number token with a fraction or exponent in orjson's indented output: a float, which orjson
# may write in another form than Python's repr (0.00001 vs 1e-05). Such a body takes the pure
# path. The match must end at a line end, which only happens outside strings (a string's
# newlines are escaped), and no string can span from a match's start to its end.
_FLOAT = re.compile(rb" -?[0-9]+[.eE][-+0-9.eE]*,?\n")


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
            if not _FLOAT.search(out):
                return out
    return _pretty(event, "").encode("utf-8")


_ORJSON_OPTIONS = (0 if orjson is None else
                   orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS)


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
