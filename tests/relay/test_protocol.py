"""The relay wire protocol both sides share: what a v0.1 desktop reads must keep parsing."""

from __future__ import annotations

import json

import pytest

from ninja_desk.core.relay_protocol import (
    Gap,
    ProtocolError,
    RelayEvent,
    event_json,
    events_url,
    gap_message,
    parse_event,
    parse_gap,
    parse_seq,
)

# A delivered event exactly as the v0.1 relay wrote it.
V01_EVENT = '{"seq":7,"endpoint":"acme","received_at":1759100000.25,"payload":{"id":42}}'


def test_event_json_is_the_v01_shape_and_round_trips() -> None:
    assert event_json(7, "acme", 1759100000.25, '{"id":42}') == V01_EVENT
    assert parse_event(V01_EVENT) == RelayEvent(7, "acme", 1759100000.25, {"id": 42})


def test_gap_message_resumes_at_the_oldest_retained_event() -> None:
    text = gap_message(2, 8)
    lines = dict(line.split(": ", 1) for line in text.strip().splitlines())
    assert lines["id"] == "7" and lines["event"] == "relay.gap"
    gap = parse_gap(lines["data"])
    assert gap == Gap(2, 8) and gap.resume_after == 7


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        "[]",
        '{"seq":"7","endpoint":"a","received_at":1,"payload":{}}',
        '{"seq":true,"endpoint":"a","received_at":1,"payload":{}}',
        '{"seq":7,"endpoint":null,"received_at":1,"payload":{}}',
        '{"seq":7,"endpoint":"a","received_at":"now","payload":{}}',
        '{"seq":7,"endpoint":"a","received_at":1,"payload":[1]}',
        json.dumps({"seq": 2**63, "endpoint": "a", "received_at": 1, "payload": {}}),
    ],
)
def test_malformed_events_are_refused(data: str) -> None:
    with pytest.raises(ProtocolError):
        parse_event(data)


def test_cursors_are_ascii_digits_within_a_bigint() -> None:
    assert parse_seq(" 42 ") == 42
    assert parse_seq(str(2**63 - 1)) == 2**63 - 1
    for bad in ("", "-1", "+1", "1_0", "٣", str(2**63), "1.0"):
        assert parse_seq(bad) is None, bad


def test_events_url_accepts_a_base_or_the_stream_address() -> None:
    assert events_url("https://relay.example/") == "https://relay.example/events"
    assert events_url("https://relay.example/events") == "https://relay.example/events"
