"""Event-stream cassettes: recorded Stripe v1 events, oldest first, with optional checkpoints.

Takes a cassette file or what Stripe's own tools print (`stripe listen --print-json`,
`stripe listen --format JSON`, the body of GET /v1/events, a JSON array) and gives an
`EventStream`; `EventStream.dump` writes the cassette format back atomically.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo
from pydantic.functional_validators import field_validator, model_validator

from ..errors import StreamError
from ..files import MAX_JSON_DEPTH, MAX_STREAM_BYTES, check_depth, load_json
from .states import TrackedLater

FORMAT = "portal-harness/events@1"
_TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"

ImportFormat = Literal["cassette", "print-json", "jsonl", "events-api", "array"]
IMPORT_FORMATS: tuple[str, ...] = ("cassette", "print-json", "jsonl", "events-api", "array")

# The `source` an import records, per input shape.
_SOURCES = MappingProxyType(
    {"print-json": "stripe-listen", "jsonl": "stripe-listen", "events-api": "events-api"}
)

# `stripe listen --forward-to` prints its own status lines on stdout between the events, e.g.
# "2025-09-26 20:37:38  <--  [200] POST http://localhost:4242/webhook [evt_…]", and its
# "Ready! … signing secret is whsec_…" line lands in the file when stderr is redirected too
# (stripe-cli pkg/cmd/listen.go). They are skipped; anything else that is not JSON is an error.
_CLI_STATUS_LINE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+(?:<--|-->|\[ERROR\])|>?\s*Ready!"
    r"|Getting ready\.\.\.)"
)
# Colours (CSI) and terminal hyperlinks (OSC 8) the CLI adds when writing to a terminal.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SubscriptionState(TrackedLater, _Strict):
    """What the app should believe about one subscription at a checkpoint."""
    status: str
    price_id: str
    current_period_end: int | None
    cancel_at_period_end: bool
    paused: bool
    collection_paused: bool


class BillingState(_Strict):
    """What the app should believe about one customer at a checkpoint."""

    plan: str
    subscriptions: dict[str, SubscriptionState] = Field(default_factory=dict)
    paid_invoices: list[str] = Field(default_factory=list)


class Checkpoint(_Strict):
    """A named point in the stream: after event index `after` (0-based), expect `expected`."""

    name: str
    after: int = Field(ge=0)
    expected: dict[str, BillingState] = Field(default_factory=dict)


class EventStream(_Strict):
    """A recorded stream of Stripe v1 events, oldest first, kept verbatim."""

    format: Literal["portal-harness/events@1"] = FORMAT
    source: str = "scenario"
    api_version: str | None = None
    scenario: str | None = None
    seed: int | None = None
    billing_mode: str | None = None
    events: list[dict[str, Any]] = Field(default_factory=list)
    checkpoints: list[Checkpoint] = Field(default_factory=list)

    @field_validator("events")
    @classmethod
    def _events_are_stripe_events(cls, events: list[dict[str, Any]], info: ValidationInfo):
        for number, event in enumerate(events, start=1):
            check_event(event, where=f"{_where(info)}: events item {number}")
        return events

    @model_validator(mode="after")
    def _checkpoints_point_into_events(self, info: ValidationInfo) -> EventStream:
        names: set[str] = set()
        previous = 0
        for number, checkpoint in enumerate(self.checkpoints, start=1):
            item = f"{_where(info)}: checkpoints item {number} ({checkpoint.name!r})"
            if checkpoint.name in names:
                raise StreamError(f"{item}: field 'name' repeats an earlier checkpoint's")
            names.add(checkpoint.name)
            if checkpoint.after >= len(self.events):
                raise StreamError(
                    f"{item}: field 'after' is {checkpoint.after} but the stream has "
                    f"{len(self.events)} events (indexes 0..{len(self.events) - 1})"
                )
            if checkpoint.after < previous:
                raise StreamError(
                    f"{item}: field 'after' is {checkpoint.after}, before the previous "
                    f"checkpoint's {previous}; checkpoints go in stream order"
                )
            previous = checkpoint.after
        return self

    def unique_events(self) -> list[dict[str, Any]]:
        """One event per id (its first delivery) in stream order; Stripe delivers at least once."""
        first: dict[str, dict[str, Any]] = {}
        for event in self.events:
            first.setdefault(event["id"], event)
        return list(first.values())

    def to_json(self) -> str:
        """The cassette text: pretty-printed, envelope keys in a fixed order, events verbatim."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    def dump(self, path: str | os.PathLike[str]) -> Path:
        """Write the cassette to `path` atomically (temp file, fsync, rename); returns the path."""
        target = Path(path)
        text = self.to_json().encode("utf-8")
        # mkstemp makes 0600 files; keep the mode of the file being replaced, or the usual 0644.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        tmp_name = None
        try:
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )  # same folder: rename is atomic
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, mode)
            os.replace(tmp_name, target)
        except BaseException as exc:
            if tmp_name is not None:
                Path(tmp_name).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise StreamError(f"{target}: cannot write the cassette: {exc}") from exc
            raise
        return target


def check_event(item: object, *, where: str) -> dict[str, Any]:
    """Return `item` if it is a Stripe v1 (snapshot) event object, else raise StreamError.

    `where` starts the message, e.g. "listen.jsonl: item 3 (line 3)".
    """
    if not isinstance(item, dict):
        raise StreamError(f"{where}: expected a Stripe event object, got {_kind(item)}")
    check_depth(item, where, MAX_JSON_DEPTH, error=StreamError)
    if item.get("object") == "v2.core.event":
        raise StreamError(
            f"{where}: is a thin event (object 'v2.core.event'); only snapshot v1 events "
            "carry the object a handler needs, record with a classic webhook endpoint"
        )
    event_id, created, data = item.get("id"), item.get("created"), item.get("data")
    body = data if isinstance(data, dict) else {}
    previous = body.get("previous_attributes")
    rules = (
        ("object", item.get("object") == "event", "'event'"),
        ("id", isinstance(event_id, str) and event_id.startswith("evt_"), "a string 'evt_…'"),
        ("type", isinstance(item.get("type"), str) and item["type"] != "", "a non-empty string"),
        ("created", type(created) is int, "an integer (unix seconds)"),
        ("data", isinstance(data, dict), "an object"),
        ("data.object", isinstance(body.get("object"), dict), "an object"),
        ("data.previous_attributes", previous is None or isinstance(previous, dict), "an object"),
    )
    for field, ok, wanted in rules:
        if not ok:
            value = item
            for key in field.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            named = "" if field in ("object", "id") else f": event {event_id}"
            scalar = isinstance(value, str | int | float | type(None))
            got = repr(value)[:40] if scalar else _kind(value)
            raise StreamError(f"{where}{named}: field '{field}' must be {wanted}, got {got}")
    return item


def load_stream(path: str | os.PathLike[str], *, format: ImportFormat | None = None) -> EventStream:
    """Read a cassette or a tool's output from `path`; `format=None` detects the shape."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_STREAM_BYTES + 1)
    except OSError as exc:
        raise StreamError(f"{file}: cannot read the event stream: {exc.strerror}") from exc
    if len(raw) > MAX_STREAM_BYTES:
        raise StreamError(f"{file}: is larger than {MAX_STREAM_BYTES // 2**20} MiB; split it")
    return parse_stream(_decode(raw, str(file)), name=str(file), format=format)


def parse_stream(
    text: str, *, name: str = "<string>", format: ImportFormat | None = None
) -> EventStream:
    """Like `load_stream`, for text already in memory; `name` stands for the file in errors."""
    if not text.strip():
        raise StreamError(f"{name}: is empty; expected Stripe events or a cassette")
    if format is None:
        format = _detect(text, name)
    elif format not in IMPORT_FORMATS:
        choices = ", ".join(IMPORT_FORMATS)
        raise StreamError(f"{name}: unknown format {format!r}; use one of {choices}")
    if format == "cassette":
        return _from_cassette(_parse_json(text, name), name)
    if format == "print-json":
        items = _parse_concatenated(text, name)
    elif format == "jsonl":
        items = _parse_lines(text, name)
    else:
        items = _parse_listing(_parse_json(text, name), name, format)
    if not items:
        raise StreamError(f"{name}: holds no events")
    events = [check_event(item, where=f"{name}: {label}") for item, label in items]
    if format == "events-api":
        # The list endpoint returns newest first; replay wants oldest first. Reversing before a
        # stable sort keeps events created in the same second in the order Stripe made them.
        events = sorted(reversed(events), key=lambda event: event["created"])
    # `billing_mode` ({"type": "classic" | "flexible"}) is on subscriptions from 2025-06-30.basil.
    objects = [event["data"]["object"] for event in events]
    modes = [
        o["billing_mode"].get("type") for o in objects if isinstance(o.get("billing_mode"), dict)
    ]
    return EventStream(
        source=_SOURCES.get(format, "json-array"),
        api_version=_shared(event.get("api_version") for event in events),
        billing_mode=_shared(modes),
        events=events,
    )


def _detect(text: str, name: str) -> str:
    try:
        whole = json.loads(text)
    except RecursionError:
        raise StreamError(f"{name}: {_TOO_DEEP}") from None
    except json.JSONDecodeError:
        for number, line in enumerate(text.split("\n"), start=1):
            stripped = line.strip()
            if not stripped or _is_cli_status(stripped):
                continue
            if stripped.startswith("["):
                _parse_json(text, name)  # raises, naming where the array breaks
            try:
                json.loads(stripped)
            except (json.JSONDecodeError, RecursionError):
                if stripped.startswith("{"):
                    return "print-json"
                raise StreamError(
                    f"{name}: line {number}: not JSON, so not an event stream: {stripped[:40]!r}"
                ) from None
            return "jsonl"
        raise StreamError(f"{name}: holds no events") from None  # only CLI status lines
    if isinstance(whole, list):
        return "array"
    if isinstance(whole, dict) and "format" in whole:
        return "cassette"
    if isinstance(whole, dict) and whole.get("object") == "list":
        return "events-api"
    if isinstance(whole, dict) and whole.get("object") in ("event", "v2.core.event"):
        return "print-json"
    raise StreamError(f"{name}: is JSON but not an event stream: the top level is {_kind(whole)}")


def _parse_json(text: str, name: str) -> Any:
    return load_json(text, name, max_depth=MAX_JSON_DEPTH, error=StreamError)


def _parse_concatenated(text: str, name: str) -> list[tuple[Any, str]]:
    """Event objects printed one after another (`stripe listen --print-json`), not an array."""
    # Linear: line numbers and line ends are carried forward, never recounted from the start.
    decoder = json.JSONDecoder()
    items: list[tuple[Any, str]] = []
    position = 0
    line, counted, line_end = 1, 0, -1  # `line` is the line number at offset `counted`
    not_space = re.compile(r"\S")
    while True:
        found = not_space.search(text, position)
        if found is None:
            return items
        position = found.start()
        if line_end < position:
            line_end = text.find("\n", position) % (len(text) + 1)  # no newline: len(text)
        line += text.count("\n", counted, position)
        counted = position
        if _is_cli_status(text[position:min(line_end, position + 200)]):  # the line's start
            position = line_end
            continue
        label = f"item {len(items) + 1} (line {line})"
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise StreamError(
                f"{name}: {label}: not valid JSON at line {exc.lineno}, "
                f"column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise StreamError(f"{name}: {label}: {_TOO_DEEP}") from None
        items.append((item, label))


def _parse_lines(text: str, name: str) -> list[tuple[Any, str]]:
    """One compact event per line (`stripe listen --format JSON`)."""
    items: list[tuple[Any, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or _is_cli_status(stripped):
            continue
        label = f"item {len(items) + 1} (line {number})"
        try:
            items.append((json.loads(stripped), label))
        except json.JSONDecodeError as exc:
            raise StreamError(
                f"{name}: {label}: not valid JSON at column {exc.colno}: "
                f"{exc.msg} (JSON Lines holds one whole event per line)"
            ) from None
        except RecursionError:
            raise StreamError(f"{name}: {label}: {_TOO_DEEP}") from None
    return items


def _parse_listing(body: Any, name: str, format: str) -> list[tuple[Any, str]]:
    """The items of a GET /v1/events body or of a plain JSON array, numbered from 1."""
    if format == "array":
        if not isinstance(body, list):
            raise StreamError(f"{name}: expected a JSON array of events, got {_kind(body)}")
        return [(item, f"item {number}") for number, item in enumerate(body, start=1)]
    if not isinstance(body, dict) or body.get("object") != "list":
        raise StreamError(
            f"{name}: expected a GET /v1/events body (object 'list'), got {_kind(body)}"
        )
    if not str(body.get("url", "/v1/events")).startswith("/v1/events"):
        raise StreamError(f"{name}: field 'url' is {body['url']!r}, a list of other objects")
    if not isinstance(body.get("data"), list):
        raise StreamError(f"{name}: field 'data' must be an array, got {_kind(body.get('data'))}")
    return [(item, f"data item {number}") for number, item in enumerate(body["data"], start=1)]


def _from_cassette(body: Any, name: str) -> EventStream:
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        got = repr(body.get("format")) if isinstance(body, dict) else _kind(body)
        raise StreamError(f"{name}: field 'format' is {got}; this version reads {FORMAT!r}")
    try:
        return EventStream.model_validate(body, context={"where": name})
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in exc.errors()
        )
        raise StreamError(f"{name}: {problems}") from None


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StreamError(
            f"{name}: is UTF-16 text, not UTF-8 (Windows PowerShell's `>` writes UTF-16); "
            "save it as UTF-8, e.g. `stripe listen --format JSON | Out-File -Encoding utf8 FILE`"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise StreamError(
            f"{name}: is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}, line {line})"
        ) from None


def _is_cli_status(line: str) -> bool:
    return bool(_CLI_STATUS_LINE.match(_ANSI_ESCAPE.sub("", line).strip()))


def _shared(values: Any) -> str | None:
    """The one string every item has, or None if they differ, are missing or there are none."""
    distinct = {value if isinstance(value, str) else None for value in values}
    return distinct.pop() if len(distinct) == 1 else None


def _where(info: ValidationInfo) -> str:
    return (info.context or {}).get("where", "EventStream")


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return f"an object with object {value['object']!r}" if "object" in value else "an object"
    if isinstance(value, bool | int | float):
        return "a boolean" if isinstance(value, bool) else "a number"
    return {list: "an array", str: "a string", type(None): "null"}.get(type(value), "a value")
