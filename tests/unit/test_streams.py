"""Event-stream cassettes: importing what Stripe's tools print, errors, and dump/load."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from harness.cassettes.streams import FORMAT, EventStream, load_stream, parse_stream
from harness.errors import HarnessError, StreamError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "streams"
SUBSCRIPTION_UPDATED = "evt_1SBiOdBe0ycHroRBN3pieuMu"
INVOICE_PAID = "evt_1SVC8JHOQNg4XnOM2WgGoBj8"


@pytest.fixture(scope="module")
def real_events() -> list[dict]:
    """The two real events, oldest first, as the fixtures hold them."""
    return json.loads((FIXTURES / "events_array.json").read_text(encoding="utf-8"))


def write_stream(path: Path, shape: str, events: list) -> Path:
    """Write `events` (oldest first) in the shape a tool produces."""
    if shape == "jsonl":
        text = "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
    elif shape == "print-json":
        text = "\n".join(json.dumps(event, indent=2) + "\n" for event in events)
    elif shape == "events-api":
        body = {"object": "list", "data": events[::-1], "has_more": False, "url": "/v1/events"}
        text = json.dumps(body, indent=2)
    else:
        text = json.dumps(events, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def event(event_id: str, created: int, kind: str = "customer.subscription.updated") -> dict:
    """A minimal valid event, for ordering tests."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-08-27.basil",
        "created": created,
        "data": {"object": {"id": "sub_1", "object": "subscription"}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


# -- importing each tool's shape --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "source"),
    [
        ("listen_print_json.txt", "stripe-listen"),
        ("listen_format_json.jsonl", "stripe-listen"),
        ("listen_format_json_forwarded.txt", "stripe-listen"),
        ("events_api_list.json", "events-api"),
        ("events_array.json", "json-array"),
        ("cassette.json", "stripe-listen"),
    ],
)
def test_each_tool_shape_imports_oldest_first(fixture, source, real_events):
    stream = load_stream(FIXTURES / fixture)

    assert [e["id"] for e in stream.events] == [SUBSCRIPTION_UPDATED, INVOICE_PAID]
    assert stream.source == source
    assert stream.api_version == "2025-08-27.basil"
    assert stream.billing_mode == "classic"
    # verbatim: same values and Stripe's own key order
    assert stream.events == real_events
    assert [list(e) for e in stream.events] == [list(e) for e in real_events]


@pytest.mark.parametrize(
    ("fixture", "shape"),
    [
        ("listen_print_json.txt", "print-json"),
        ("listen_format_json.jsonl", "jsonl"),
        ("listen_format_json_forwarded.txt", "jsonl"),
        ("events_api_list.json", "events-api"),
        ("events_array.json", "array"),
        ("cassette.json", "cassette"),
    ],
)
def test_a_chosen_format_reads_the_same_as_detection(fixture, shape):
    chosen = load_stream(FIXTURES / fixture, format=shape)
    assert chosen == load_stream(FIXTURES / fixture)


def test_compact_events_also_read_as_concatenated_json():
    stream = load_stream(FIXTURES / "listen_format_json.jsonl", format="print-json")
    assert [e["id"] for e in stream.events] == [SUBSCRIPTION_UPDATED, INVOICE_PAID]


def test_events_api_list_is_reversed_and_ties_keep_stripe_order(tmp_path):
    # newest first, as GET /v1/events returns it; b and a share a second, b is newer
    body = {
        "object": "list",
        "url": "/v1/events",
        "has_more": False,
        "data": [event("evt_c", 200), event("evt_b", 100), event("evt_a", 100)],
    }
    path = tmp_path / "events.json"
    path.write_text(json.dumps(body), encoding="utf-8")

    assert [e["id"] for e in load_stream(path).events] == ["evt_a", "evt_b", "evt_c"]


def test_a_plain_array_keeps_its_order(tmp_path):
    events = [event("evt_b", 200), event("evt_a", 100)]
    stream = load_stream(write_stream(tmp_path / "a.json", "array", events))
    assert [e["id"] for e in stream.events] == ["evt_b", "evt_a"]


def test_one_printed_event_is_a_stream_of_one(tmp_path, real_events):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(real_events[0], indent=2) + "\n", encoding="utf-8")
    assert load_stream(path).events == real_events[:1]


def test_cli_status_lines_with_colours_and_links_are_skipped(tmp_path, real_events):
    faint, reset = "\x1b[2m", "\x1b[0m"
    link = "\x1b]8;;https://dashboard.stripe.com/test/events/evt_x\x1b\\evt_x\x1b]8;;\x1b\\"
    text = (
        "> Ready! You are using Stripe API Version [2025-08-27.basil]. Your webhook signing "
        "secret is whsec_0000 (^C to quit)\n"
        + json.dumps(real_events[0], indent=2)
        + "\n"
        + f"{faint}2025-09-26 17:37:39{reset}  <--  [200] POST http://localhost:4242/w [{link}]\n"
        + "\n\n"
        + json.dumps(real_events[1], indent=2)
        + "\n"
    )
    (tmp_path / "listen.txt").write_text(text, encoding="utf-8")

    stream = load_stream(tmp_path / "listen.txt")

    assert [e["id"] for e in stream.events] == [SUBSCRIPTION_UPDATED, INVOICE_PAID]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    raw = (FIXTURES / "listen_format_json.jsonl").read_bytes()
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + raw)
    assert len(load_stream(tmp_path / "bom.jsonl").events) == 2


def test_mixed_api_versions_leave_the_stream_version_unset():
    events = [event("evt_a", 1), {**event("evt_b", 2), "api_version": "2025-09-30.clover"}]
    assert parse_stream(json.dumps(events)).api_version is None


# -- duplicates -------------------------------------------------------------------------------


def test_duplicated_deliveries_are_kept_and_unique_events_gives_one_per_id(tmp_path, real_events):
    redelivered = copy.deepcopy(real_events[0])
    redelivered["pending_webhooks"] = 0
    path = write_stream(tmp_path / "dup.jsonl", "jsonl", [*real_events, redelivered])

    stream = load_stream(path)

    assert [e["id"] for e in stream.events] == [
        SUBSCRIPTION_UPDATED,
        INVOICE_PAID,
        SUBSCRIPTION_UPDATED,
    ]
    assert stream.unique_events() == real_events  # the first delivery of each id wins


# -- errors -----------------------------------------------------------------------------------


def _break(events: list, field: str, value: object) -> list:
    broken = copy.deepcopy(events)
    target = broken[1]
    *parents, last = field.split(".")
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return broken


BREAKAGES = [
    pytest.param("object", "charge", id="object"),
    pytest.param("id", "ch_1", id="id-prefix"),
    pytest.param("id", KeyError, id="id-missing"),
    pytest.param("type", 7, id="type"),
    pytest.param("created", "1763561590", id="created-string"),
    pytest.param("created", True, id="created-bool"),
    pytest.param("data", KeyError, id="data-missing"),
    pytest.param("data.object", "in_1", id="data.object"),
    pytest.param("data.previous_attributes", ["status"], id="previous_attributes"),
]


@pytest.mark.parametrize(("field", "value"), BREAKAGES)
@pytest.mark.parametrize("shape", ["jsonl", "print-json"])
def test_a_wrong_event_in_a_line_format_names_file_item_line_and_field(
    tmp_path, real_events, shape, field, value
):
    path = write_stream(tmp_path / "s.txt", shape, _break(real_events, field, value))
    first_lines = len(json.dumps(real_events[0], indent=2).splitlines())
    line = 2 if shape == "jsonl" else first_lines + 2  # after the first event and a blank line

    with pytest.raises(StreamError) as info:
        load_stream(path)

    message = str(info.value)
    assert message.startswith(f"{path}: item 2 (line {line})")
    assert f"field '{field}'" in message


@pytest.mark.parametrize(("field", "value"), BREAKAGES)
@pytest.mark.parametrize("shape", ["array", "events-api"])
def test_a_wrong_event_in_a_json_document_names_file_item_and_field(
    tmp_path, real_events, shape, field, value
):
    path = write_stream(tmp_path / "s.json", shape, _break(real_events, field, value))
    # the events API lists newest first, so the broken (newer) event is its first item
    item = "item 2" if shape == "array" else "data item 1"

    with pytest.raises(StreamError, match=rf"^{path}: {item}\b.*field '{field}'"):
        load_stream(path)


def test_stream_error_is_a_harness_error():
    assert issubclass(StreamError, HarnessError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("\n  \n\t\n", "is empty", id="blank"),
        pytest.param("hello\n", "line 1: not JSON", id="not-json"),
        pytest.param('{"object": "customer", "id": "cus_1"}', "not an event stream", id="other"),
        pytest.param('"evt_1"', "not an event stream", id="scalar"),
        pytest.param("[7]", "item 1: expected a Stripe event object, got a number", id="number"),
        pytest.param('["a"]', "item 1: expected a Stripe event object, got a string", id="item"),
        pytest.param('[{"id": "evt_1"', "line 1, column", id="broken-array"),
        pytest.param(
            '{"object": "list", "url": "/v1/customers", "data": []}',
            "other objects",
            id="other-list",
        ),
        pytest.param(
            '{"object": "list", "url": "/v1/events", "data": []}',
            "holds no events",
            id="empty-list",
        ),
        pytest.param(
            '{"object": "list", "data": {}}', "field 'data' must be an array", id="list-data"
        ),
        pytest.param(
            "2025-09-26 17:37:39  <--  [200] POST http://x [evt_1]\n",
            "holds no events",
            id="only-status-lines",
        ),
    ],
)
def test_input_that_is_not_a_stream_gets_one_clear_error(tmp_path, text, expected):
    path = tmp_path / "input.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StreamError, match=rf"^{path}: .*{expected}"):
        load_stream(path)


def test_a_thin_event_is_refused_with_the_reason(tmp_path):
    thin = {
        "id": "evt_test_65R",
        "object": "v2.core.event",
        "type": "v1.billing.meter.no_meter",
        "created": "2026-09-30T12:00:00.000Z",
        "livemode": False,
    }
    path = write_stream(tmp_path / "thin.jsonl", "jsonl", [thin])
    with pytest.raises(StreamError, match=r"item 1 \(line 1\): is a thin event"):
        load_stream(path)


def test_a_bad_json_line_names_its_item_and_line(tmp_path):
    lines = (FIXTURES / "listen_format_json.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "cut.jsonl"
    path.write_text(lines[0] + "\n" + lines[1][:500] + "\n", encoding="utf-8")
    with pytest.raises(StreamError, match=rf"^{path}: item 2 \(line 2\): not valid JSON"):
        load_stream(path)


def test_output_cut_by_ctrl_c_names_the_unfinished_item(tmp_path):
    text = (FIXTURES / "listen_print_json.txt").read_text(encoding="utf-8")
    path = tmp_path / "cut.txt"
    path.write_text(text[: len(text) - 300], encoding="utf-8")
    second_line = text[: text.index('{\n  "id": "evt_1SVC8J')].count("\n") + 1
    with pytest.raises(StreamError, match=rf"^{path}: item 2 \(line {second_line}\): not valid"):
        load_stream(path)


def test_non_utf8_input_is_refused_with_the_offset(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "evt_1"}\n{"type": "caf\xe9"}\n')
    with pytest.raises(StreamError, match=rf"^{path}: is not UTF-8 .*byte 0xe9 .*line 2"):
        load_stream(path)


def test_utf16_from_powershell_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "ps.jsonl"
    path.write_bytes((FIXTURES / "listen_format_json.jsonl").read_text().encode("utf-16"))
    with pytest.raises(StreamError, match=rf"^{path}: is UTF-16 .*Out-File -Encoding utf8"):
        load_stream(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(StreamError, match=rf"^{tmp_path / 'nope.json'}: cannot read"):
        load_stream(tmp_path / "nope.json")


def test_an_unknown_format_choice_lists_the_choices():
    with pytest.raises(StreamError, match="unknown format 'yaml'; use one of cassette, print-json"):
        load_stream(FIXTURES / "events_array.json", format="yaml")  # type: ignore[arg-type]


# -- the cassette format ----------------------------------------------------------------------


def _cassette(**changes) -> dict:
    body = json.loads((FIXTURES / "cassette.json").read_text(encoding="utf-8"))
    body.update(changes)
    return body


def _checkpoint(name: str, after: int, **state) -> dict:
    return {"name": name, "after": after, "expected": {"cus_1": {"plan": "pro", **state}}}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"format": "portal-harness/events@2"},
            "field 'format' is 'portal-harness/events@2'; this version reads",
            id="format",
        ),
        pytest.param({"recorded_by": "me"}, "field 'recorded_by': Extra inputs", id="extra-key"),
        pytest.param({"seed": "42"}, "field 'seed': Input should be a valid integer", id="seed"),
        pytest.param({"events": [{"object": "event"}]}, "events item 1: field 'id'", id="event"),
        pytest.param(
            {"checkpoints": [_checkpoint("a", 0, colour="red")]},
            "field 'checkpoints.0.expected.cus_1.colour'",
            id="state-extra",
        ),
        pytest.param(
            {
                "checkpoints": [
                    {
                        "name": "a",
                        "after": 0,
                        "expected": {
                            "cus_1": {
                                "plan": "pro",
                                "subscriptions": {"sub_1": {"status": "active"}},
                            }
                        },
                    }
                ]
            },
            "field 'checkpoints.0.expected.cus_1.subscriptions.sub_1.price_id': Field required",
            id="subscription-missing",
        ),
        pytest.param(
            {"checkpoints": [_checkpoint("a", 2)]},
            r"checkpoints item 1 \('a'\): field 'after' is 2 but the stream has 2",
            id="after-past-end",
        ),
        pytest.param(
            {"checkpoints": [_checkpoint("a", -1)]},
            "field 'checkpoints.0.after'",
            id="after-negative",
        ),
        pytest.param(
            {"checkpoints": [_checkpoint("a", 1), _checkpoint("b", 0)]},
            r"item 2 \('b'\): field 'after' is 0, before",
            id="out-of-order",
        ),
        pytest.param(
            {"checkpoints": [_checkpoint("a", 0), _checkpoint("a", 1)]},
            r"item 2 \('a'\): field 'name' repeats",
            id="duplicate-name",
        ),
    ],
)
def test_a_wrong_cassette_names_the_file_and_field(tmp_path, changes, expected):
    path = tmp_path / "cassette.json"
    path.write_text(json.dumps(_cassette(**changes)), encoding="utf-8")
    with pytest.raises(StreamError, match=rf"^{path}: .*{expected}"):
        load_stream(path)


def test_checkpoints_are_optional(tmp_path):
    body = _cassette()
    del body["checkpoints"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert load_stream(path).checkpoints == []


def test_the_cassette_fixture_round_trips_byte_for_byte(tmp_path):
    stream = load_stream(FIXTURES / "cassette.json")
    stream.dump(tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == (FIXTURES / "cassette.json").read_bytes()
    assert stream.checkpoints[1].expected["cus_TS6KX04w045BN9"].paid_invoices == [
        "in_1SVC87HOQNg4XnOMdHAlqDva"
    ]


def test_an_import_dumps_to_a_cassette_that_loads_back_equal(tmp_path):
    imported = load_stream(FIXTURES / "events_api_list.json")
    imported.dump(tmp_path / "c.json")

    loaded = load_stream(tmp_path / "c.json")

    assert loaded == imported
    assert loaded.format == FORMAT


def test_dump_writes_envelope_keys_in_a_fixed_order(tmp_path):
    EventStream(source="scenario", scenario="upgrade", seed=7).dump(tmp_path / "c.json")
    text = (tmp_path / "c.json").read_text(encoding="utf-8")
    assert list(json.loads(text)) == [
        "format",
        "source",
        "api_version",
        "scenario",
        "seed",
        "billing_mode",
        "events",
        "checkpoints",
    ]
    assert text.startswith('{\n  "format": "portal-harness/events@1",\n') and text.endswith("}\n")


def test_events_built_in_code_are_checked_too():
    message = r"^EventStream: events item 1: event evt_1: field 'data'"
    with pytest.raises(StreamError, match=message):
        EventStream(events=[{"id": "evt_1", "object": "event", "type": "x", "created": 1}])


# -- atomic writes ----------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_dump_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "c.json"
    target.write_text("old contents\n", encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(StreamError, match=rf"^{target}: cannot write the cassette"):
        load_stream(FIXTURES / "cassette.json").dump(target)

    assert target.read_text(encoding="utf-8") == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_dump_into_a_missing_folder_names_the_file(tmp_path):
    target = tmp_path / "no" / "such" / "c.json"
    with pytest.raises(StreamError, match=rf"^{target}: cannot write the cassette"):
        EventStream().dump(target)


def test_dump_replaces_the_file_whole_and_keeps_its_mode(tmp_path):
    target = tmp_path / "c.json"
    target.write_text("x" * 100_000, encoding="utf-8")
    target.chmod(0o640)

    EventStream().dump(target)

    assert json.loads(target.read_text(encoding="utf-8"))["events"] == []
    assert target.stat().st_mode & 0o777 == 0o640
    EventStream().dump(tmp_path / "new.json")
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644
