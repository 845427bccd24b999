"""The demo's relay is served like `ninja-desk-relay serve`: its runner's header-read timeout
cuts off a client that never finishes its headers (an aiohttp AppRunner of its own kept such a
connection open for 75 s). And the demo registers its webhook the way the desktop does."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cli.demo_stack import RELAY_ENDPOINT, first_sync_and_webhook, start_relay
from ninja_desk.ninjaone.webhooks import SECRET_HEADER, STATE_FILE
from ninja_desk.relay.state import RelayConfig
from ninja_desk.simulator import SimControl


@pytest.fixture
def control(sim) -> Iterator[SimControl]:  # type: ignore[no-untyped-def]
    """The simulator's control API, closed afterwards (the shared `ctl` leaves a socket)."""
    with SimControl(sim.base_url) as ctl:
        yield ctl


def test_the_demo_relay_cuts_off_stalled_headers(tmp_path: Path) -> None:
    relay = start_relay(
        tmp_path / "relay.sqlite3", RelayConfig(header_timeout=0.5, body_timeout=0.5)
    )
    try:
        port = int(relay.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            start = time.monotonic()
            sock.sendall(b"POST /hooks/ninjaone HTTP/1.1\r\nHost: relay\r\n")
            answer = sock.recv(4096)  # EOF once the relay gives up on the headers
            took = time.monotonic() - start
    finally:
        relay.stop()
    assert answer == b""
    assert took < 3


def test_the_demo_registers_its_webhook_as_the_desktop_would(sim, control, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    relay = start_relay(tmp_path / "relay.sqlite3")
    try:
        asyncio.run(first_sync_and_webhook(sim.base_url, tmp_path, relay))
        hook = control.webhook("demo-client")
        assert hook["url"] == f"{relay.url}/hooks/{RELAY_ENDPOINT}"
        assert {"name": SECRET_HEADER, "value": relay.endpoint_secret} in hook["headers"]
        state = json.loads((tmp_path / STATE_FILE).read_text())
        assert state["hook_url"] == hook["url"] and state["ninjaone"] == sim.base_url
    finally:
        relay.stop()
