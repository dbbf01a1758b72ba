"""Check a decoded request against the SDK's parameter shape, as Stripe's API refuses bad input.

Takes the decoded params and the `Shape` of the SDK method that calls the endpoint; raises the
`StripeApiError` Stripe sends for the first problem: "Received unknown parameter: a[b]" (400,
parameter_unknown), "Missing required param: a[b]." (400, parameter_missing), or an invalid
hash/array. Nested names are written as Stripe writes them: `line_items[0][price]`.
"""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .sdk_spec import Shape


def check_params(params: dict[str, Any], shape: Shape) -> None:
    """Raise on the first unknown parameter, then on the first missing required one."""
    _unknown(params, shape, "")
    _missing(params, shape, "")


def _name(prefix: str, key: str | int) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def _unknown(value: Any, shape: Shape, prefix: str) -> None:
    if isinstance(value, dict):
        if shape.free:
            return
        if shape.keys is None:
            if shape.item is not None:
                raise errors.invalid("Invalid array", prefix)
            raise errors.invalid(f"Invalid {'string' if shape.scalar else 'value'}: "
                                 f"{prefix} was given sub-keys", prefix)
        for key, child in value.items():
            if key not in shape.keys:
                raise errors.unknown(_name(prefix, key))
            _unknown(child, shape.keys[key][1], _name(prefix, key))
    elif isinstance(value, list):
        if shape.item is not None:
            for i, child in enumerate(value):
                _unknown(child, shape.item, _name(prefix, i))
        elif shape.free:
            return  # metadata[0]=x decodes as a list; a free hash takes any keys
        elif shape.keys is not None:
            raise errors.invalid("Invalid hash", prefix)
        else:
            raise errors.invalid("Invalid string: expected a string, got an array", prefix)
    elif value != "" and not shape.scalar:
        # "" unsets a hash or an array; any other string where a hash or list belongs is refused
        raise errors.invalid("Invalid array" if shape.item is not None else "Invalid hash",
                             prefix)
    elif value != "":
        _check_scalar(value, shape, prefix)


_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def _check_scalar(value: str, shape: Shape, name: str) -> None:
    """A string against the SDK's type: an enum's values, an integer, a boolean."""
    kinds = shape.kinds
    if "any" in kinds or "str" in kinds:
        return
    if shape.literals and value in shape.literals:
        return
    if "int" in kinds and _INTEGER.fullmatch(value):
        return
    if "float" in kinds and _DECIMAL.fullmatch(value):
        return
    if "bool" in kinds and value in ("true", "false"):
        return
    if shape.literals and not kinds:
        raise errors.not_one_of(name, shape.literals)
    if "int" in kinds:
        raise errors.invalid(f"Invalid integer: {value}", name)
    if "float" in kinds:
        raise errors.invalid(f"Invalid decimal: {value}", name)
    if "bool" in kinds:
        raise errors.invalid(f"Invalid boolean: {value}", name)


def _missing(value: Any, shape: Shape, prefix: str) -> None:
    if isinstance(value, dict) and shape.keys is not None and not shape.free:
        for key in shape.required:
            if key not in value:
                raise errors.missing(_name(prefix, key))
        for key, child in value.items():
            _missing(child, shape.keys[key][1], _name(prefix, key))
    elif isinstance(value, list) and shape.item is not None:
        for i, child in enumerate(value):
            _missing(child, shape.item, _name(prefix, i))
