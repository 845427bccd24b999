"""The relay's wire protocol, shared by the relay (server) and the desktop's subscriber.

Webhooks: NinjaOne POSTs JSON to `/hooks/<endpoint>` with the endpoint's secret in
`SECRET_HEADER`. Subscribers read `GET /events` with a bearer token:

- as a Server-Sent Events stream: each stored webhook is one message
  `id: <seq>` / `event: EVENT_TYPE` / `data: <event JSON>`; a hole in the log (events pruned
  after the subscriber's cursor) is one `GAP_TYPE` message whose id is `oldest_retained - 1`,
  so resuming from it continues with the oldest event still held. Heartbeat comments keep an
  idle stream alive; the server suggests `retry:` `RETRY_MS`.
- as a plain JSON batch (`?wait=0&since=<seq>&limit=<n>`):
  `{"events": [<event JSON>...], "oldest_retained": n, "last_seq": n, "gap": bool}`.

Resume: a subscriber sends the last seq it applied as `Last-Event-ID` (an EventSource does
this by itself) or `?since=`; the header wins; neither means "from the start".

The event JSON is `{"seq", "endpoint", "received_at", "payload"}` with the payload exactly as
accepted. This format is what v0.1 desktops read: add fields, never rename or drop one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

EVENT_TYPE = "ninjaone.activity"
GAP_TYPE = "relay.gap"

EVENTS_PATH = "/events"
HOOKS_PREFIX = "/hooks/"
# The header NinjaOne's webhook configuration sends with every delivery.
SECRET_HEADER = "X-NinjaDesk-Secret"
LAST_EVENT_ID = "Last-Event-ID"
# Forwarded POSTs carry the event's seq and endpoint so the receiver can deduplicate.
SEQ_HEADER = "X-NinjaDesk-Relay-Seq"
ENDPOINT_HEADER = "X-NinjaDesk-Relay-Endpoint"

# Batch endpoint parameters.
SINCE_PARAM = "since"
WAIT_PARAM = "wait"
LIMIT_PARAM = "limit"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000

# The reconnect delay the server suggests in the stream (`retry:`), in milliseconds.
RETRY_MS = 2000
# Seqs are SQLite/PostgreSQL BIGINTs.
MAX_SEQ = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


class ProtocolError(ValueError):
    """A message that does not follow the relay protocol."""


@dataclass(frozen=True, slots=True)
class RelayEvent:
    seq: int
    endpoint: str
    received_at: float
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Gap:
    requested_since: int | None
    oldest_retained: int

    @property
    def resume_after(self) -> int:
        """The cursor that continues with the oldest event the relay still holds."""
        return self.oldest_retained - 1


def hook_path(endpoint: str) -> str:
    return HOOKS_PREFIX + endpoint


def events_url(base_url: str) -> str:
    """The stream address from a relay base address (or the stream address itself)."""
    base = base_url.rstrip("/")
    return base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH


def parse_seq(text: str) -> int | None:
    """A cursor or limit: ASCII digits only (int() would take '1_0', '+1' and other scripts'
    digits) within a BIGINT; None when it is not one."""
    value = text.strip()
    if not _DIGITS.fullmatch(value) or int(value) > MAX_SEQ:
        return None
    return int(value)


def event_head(seq: int, endpoint: str, received_at: float) -> str:
    """The event JSON up to its payload; the stored payload text is spliced in after it, never
    re-parsed, and a closing `}` ends the object."""
    return (
        f'{{"seq":{seq},"endpoint":{json.dumps(endpoint)},"received_at":{received_at!r},"payload":'
    )


def event_json(seq: int, endpoint: str, received_at: float, payload: str) -> str:
    return event_head(seq, endpoint, received_at) + payload + "}"


def sse_event_head(seq: int) -> str:
    return f"id: {seq}\nevent: {EVENT_TYPE}\ndata: "


def gap_message(requested_since: int, oldest_retained: int) -> str:
    data = json.dumps({"requested_since": requested_since, "oldest_retained": oldest_retained})
    # The id moves an EventSource's Last-Event-ID past the hole.
    return f"id: {oldest_retained - 1}\nevent: {GAP_TYPE}\ndata: {data}\n\n"


def _object(data: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise ProtocolError(f"relay message is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ProtocolError("relay message is not a JSON object")
    return body


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise ProtocolError(f"relay message has no valid {key!r}")
    return value


def event_from_dict(body: dict[str, Any]) -> RelayEvent:
    endpoint, received_at, payload = (
        body.get("endpoint"),
        body.get("received_at"),
        body.get("payload"),
    )
    if not isinstance(endpoint, str):
        raise ProtocolError("relay event has no endpoint")
    if isinstance(received_at, bool) or not isinstance(received_at, int | float):
        raise ProtocolError("relay event has no received_at time")
    if not isinstance(payload, dict):
        raise ProtocolError("relay event payload is not a JSON object")
    return RelayEvent(_int(body, "seq"), endpoint, float(received_at), payload)


def parse_event(data: str) -> RelayEvent:
    """The data of an EVENT_TYPE message (or one element of a batch's `events`)."""
    return event_from_dict(_object(data))


def parse_gap(data: str) -> Gap:
    body = _object(data)
    since = body.get("requested_since")
    return Gap(
        since if isinstance(since, int) and not isinstance(since, bool) else None,
        _int(body, "oldest_retained"),
    )
