"""Reading the files a user hands the harness, with limits on size, nesting and YAML aliases.

Takes a path (scenario, catalog, target file, cassette or capture) and what it is for; gives its
parsed content, or a `ConfigError` / `StreamError` that names the file and the limit. A file
that exceeds a limit is refused before it is fully built, so a hostile file costs time and
memory in proportion to its size, never more; no error quotes more than a few of its bytes.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

# Text files a person writes (scenario, catalog, target file): far below these limits.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_DEPTH = 32
# A YAML alias stands for a copy of its anchor's node; the copies may not add up to more nodes
# than this (a nine-level "billion laughs" file would expand to 387 million).
MAX_YAML_NODES = 100_000
# Event streams are recorded output: larger, and Stripe objects nest deeper (expanded objects).
MAX_STREAM_BYTES = 256 * 1024 * 1024
MAX_JSON_DEPTH = 64


def read_text(path: Path, *, what: str, limit: int, error: type[Exception] = ConfigError,
              encoding: str | None = "utf-8") -> Any:
    """The file's text (bytes when encoding is None); refuses files larger than `limit` bytes."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise error(f"{path}: the {what} is larger than {_size(limit)}; "
                    "this is not a file the harness reads")
    if encoding is None:
        return raw
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}: is not UTF-8 text (byte 0x{raw[exc.start]:02x} at line "
                    f"{line})") from None


def load_yaml(text: str, name: str, *, max_depth: int = MAX_CONFIG_DEPTH,
              max_nodes: int = MAX_YAML_NODES) -> Any:
    """safe_load, after one linear pass over the parse events that bounds nesting and the
    number of nodes the aliases expand to (so the document is never built when too big)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_yaml_events(yaml.parse(text, Loader=loader), name, max_depth, max_nodes)
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # PyYAML >= 6.0.4 refuses deep flow nesting itself
            raise ConfigError(f"{name}: nested more than PyYAML's nesting depth allows "
                              f"(this harness allows {max_depth} levels)") from None
        raise ConfigError(f"{name}: not valid YAML: {_short(str(exc))}") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{name}: a value cannot be read: {_short(str(exc), 120)}") from None
    except RecursionError:  # belt and braces: the pass above already bounds depth
        raise ConfigError(f"{name}: nested too deeply") from None


def _check_yaml_events(events: Any, name: str, max_depth: int, max_nodes: int) -> None:
    # Each open collection counts the nodes it holds once aliases are expanded; an anchor
    # remembers its node's count, so an alias costs what a copy would.
    stack: list[list[Any]] = []  # [anchor, expanded node count]
    sizes: dict[str, int] = {}
    total = 0

    def done(anchor: str | None, size: int) -> None:
        nonlocal total
        if anchor is not None:
            sizes[anchor] = size
        if stack:
            stack[-1][1] += size
        else:
            total += size
        if (stack[-1][1] if stack else total) > max_nodes:
            raise ConfigError(f"{name}: YAML aliases expand to more than {max_nodes:,} nodes "
                              "(an alias bomb?); write the values out or use fewer aliases")

    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > max_depth:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise ConfigError(f"{name}: line {line}: nested more than {max_depth} levels "
                                  "deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            done(anchor, size)
        elif isinstance(event, yaml.ScalarEvent):
            done(event.anchor, 1)
        elif isinstance(event, yaml.AliasEvent):
            done(None, sizes.get(event.anchor, 1))
        elif isinstance(event, yaml.DocumentEndEvent):
            sizes.clear()


def load_toml(text: str, name: str, *, max_depth: int = MAX_CONFIG_DEPTH) -> Any:
    """tomllib.loads with a bound on nesting; errors name the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {_short(str(exc))}") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply (more than {max_depth} levels)") from None
    check_depth(data, name, max_depth)
    return data


def load_json(text: str, name: str, *, max_depth: int = MAX_JSON_DEPTH,
              error: type[Exception] = ConfigError) -> Any:
    """json.loads with a bound on nesting; errors name the file, line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{name}: line {exc.lineno}, column {exc.colno}: not valid JSON: "
                    f"{exc.msg}") from None
    except RecursionError:
        raise error(f"{name}: nested more than {max_depth} levels deep") from None
    check_depth(data, name, max_depth, error=error)
    return data


def check_depth(data: Any, name: str, max_depth: int, *,
                error: type[Exception] = ConfigError) -> None:
    """Refuse a value of dicts and lists nested deeper than max_depth (an iterative walk)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            raise error(f"{name}: nested more than {max_depth} levels deep")
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))


def read_structured(path: Path, *, what: str) -> Any:
    """A YAML or TOML file (by suffix), within the config limits."""
    text = read_text(path, what=what, limit=MAX_CONFIG_BYTES)
    if path.suffix == ".toml":
        return load_toml(text, str(path))
    return load_yaml(text, str(path))


def _short(message: str, limit: int = 300) -> str:
    """A parser's message, cut so it never carries a large piece of the file."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit] + "…"


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"
