"""Helpers every API handler shares: state and token lookup, NinjaOne's error envelope
(reference §10.2: `{"resultCode", "errorMessage", "incidentId"}`), JSON answers, the device
filter and device lookups."""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from ninja_desk.simulator import serializers
from ninja_desk.simulator.device_filter import Predicate, parse_device_filter
from ninja_desk.simulator.fleet import DeviceRec
from ninja_desk.simulator.oauth import AccessToken
from ninja_desk.simulator.pagination import id_window
from ninja_desk.simulator.state import SIM_KEY, TOKEN_KEY, SimState
from ninja_desk.simulator.tenant import NotFound


def state(request: web.Request) -> SimState:
    return request.app[SIM_KEY]


def token(request: web.Request) -> AccessToken:
    """The caller's access token; set by the auth middleware before any handler runs."""
    token_info: AccessToken = request[TOKEN_KEY]
    return token_info


def api_error(
    status: int, message: str, result_code: str = "FAILURE", headers: dict[str, str] | None = None
) -> web.Response:
    body = {"resultCode": result_code, "errorMessage": message, "incidentId": str(uuid.uuid4())}
    return web.json_response(body, status=status, headers=headers)


def json_text(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="application/json")


def json_body(value: Any) -> web.Response:
    return json_text(serializers.rest_json(value))


def device_filter(request: web.Request) -> Predicate | None:
    return parse_device_filter(request.query.get("df"))


def device_of(request: web.Request) -> DeviceRec:
    try:
        device_id = int(request.match_info["id"])
    except ValueError as exc:
        raise NotFound(f"Invalid device id {request.match_info['id']!r}") from exc
    return state(request).tenant.device(device_id)


def filtered_devices(
    ids: list[int],
    devices: dict[int, DeviceRec],
    after: int | None,
    page_size: int,
    pred: Predicate | None,
) -> Iterator[DeviceRec]:
    """Devices after `after` in id order that match `pred`, at most page_size (0 = all)."""
    if pred is None:
        for dev_id in id_window(ids, after, page_size):
            yield devices[dev_id]
        return
    start = 0 if after is None else bisect.bisect_right(ids, after)
    n = 0
    for dev_id in ids[start:]:
        dev = devices[dev_id]
        if pred(dev):
            yield dev
            n += 1
            if page_size and n >= page_size:
                return
