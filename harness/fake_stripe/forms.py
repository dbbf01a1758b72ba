"""Decode Stripe's form encoding: bracket keys into nested dicts and lists.

Takes a query string or an `application/x-www-form-urlencoded` body
(`flow_data[subscription_update_confirm][items][0][id]=si_1`, `expand[]=customer`), gives plain
nested dicts and lists of strings, as Stripe's servers read them. Decoding is linear in the
input and bounded (see the limits below): hostile input gets a 400 naming the parameter.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

# Stripe documents no limit on parameters or nesting; these follow Rack's defaults (4096
# parameters, 32 levels), and Stripe's strings are at most 5000 characters in its OpenAPI spec.
# FIDELITY.md section 6 lists them as inferred.
MAX_PARAMS = 4096
MAX_DEPTH = 32
MAX_ARRAY_ITEMS = 1000
MAX_KEY_LENGTH = 500
MAX_VALUE_LENGTH = 5000
MAX_BODY_BYTES = 1024 * 1024  # a larger body is answered 413 before it is decoded

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_INDEX_DIGITS = len(str(MAX_ARRAY_ITEMS))


class _Hash(dict):
    """A decoded hash that counts its integer-like keys, so `key[]=v` appends in O(1)."""

    __slots__ = ("digits",)

    def __init__(self) -> None:
        super().__init__()
        self.digits = 0


def decode_form(text: str) -> dict[str, Any]:
    """Nested params from a form string; a dict whose keys are all indices becomes a list."""
    if text.count("&") >= MAX_PARAMS:  # counted before parse_qsl builds them all
        raise invalid(f"Too many parameters: a request may send at most {MAX_PARAMS}.")
    root = _Hash()
    for key, value in parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_PARAMS):
        if len(key) > MAX_KEY_LENGTH:
            raise invalid(f"Invalid parameter name: longer than {MAX_KEY_LENGTH} characters "
                          f"({_clip(key)})", _clip(key))
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", key)
        if len(value) > MAX_VALUE_LENGTH:
            raise invalid(f"Invalid {key}: must be at most {MAX_VALUE_LENGTH} characters", key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        if len(parts) > MAX_DEPTH:
            raise invalid(f"Invalid parameter name: {_clip(key)} is nested more than "
                          f"{MAX_DEPTH} levels deep", _clip(key))
        _insert(root, parts, value, key)
    return {k: _listify(v, k) for k, v in root.items()}


def _insert(node: _Hash, parts: list[str], value: str, key: str) -> None:
    last = len(parts) - 1
    for depth, part in enumerate(parts):
        if part == "":  # `expand[]=a&expand[]=b`: append
            part = str(node.digits)
        if part.isdigit() and part.isascii() and part not in node:
            node.digits += 1
            if node.digits > MAX_ARRAY_ITEMS:
                raise invalid(f"Invalid array: {_clip(key)} has more than {MAX_ARRAY_ITEMS} "
                              "items", _clip(key))
        if depth == last:
            if isinstance(node.get(part), dict):
                raise invalid(f"Invalid hash: {key} was given both a value and sub-keys", key)
            node[part] = value
            return
        child = node.get(part)
        if child is None:
            child = node[part] = _Hash()
        elif not isinstance(child, dict):
            raise invalid(f"Invalid hash: {key} was given both a value and sub-keys", key)
        node = child


def _listify(node: Any, where: str) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v, f"{where}[{k}]") for k, v in node.items()}
    if out and len(out) == node.digits:  # every key is an index: a list, in index order
        if any(len(k) > _INDEX_DIGITS or int(k) >= MAX_ARRAY_ITEMS for k in out):
            raise invalid(f"Invalid array index in {_clip(where)}: indexes go from 0 to "
                          f"{MAX_ARRAY_ITEMS - 1}", _clip(where))
        return [out[k] for k in sorted(out, key=int)]
    return out


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
