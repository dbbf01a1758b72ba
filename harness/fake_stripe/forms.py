"""Decode Stripe's form encoding: bracket keys into nested dicts and lists.

Takes a query string or an `application/x-www-form-urlencoded` body
(`flow_data[subscription_update_confirm][items][0][id]=si_1`, `expand[]=customer`), gives plain
nested dicts and lists of strings, as Stripe's servers read them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_form(text: str) -> dict[str, Any]:
    """Nested params from a form string; a dict whose keys are all indices becomes a list."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        _insert(root, parts, value, key)
    return {k: _listify(v) for k, v in root.items()}


def _insert(node: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    for depth, part in enumerate(parts):
        if part == "":  # `expand[]=a&expand[]=b`: append
            part = str(sum(1 for k in node if k.isdigit()))
        last = depth == len(parts) - 1
        if last:
            if isinstance(node.get(part), dict):
                raise invalid(f"Invalid hash: {key} was given both a value and sub-keys", key)
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid hash: {key} was given both a value and sub-keys", key)
        node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v) for k, v in node.items()}
    if out and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out
