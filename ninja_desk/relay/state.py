"""The relay's configuration and the per-application state every handler reaches."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ninja_desk.relay.auth import Authenticator
from ninja_desk.relay.feed import EventFeed
from ninja_desk.relay.forwarder import Forwarder, ForwardPolicy
from ninja_desk.relay.intake import IntakeWriter
from ninja_desk.relay.metrics import Metrics
from ninja_desk.relay.retention import RetentionPolicy
from ninja_desk.relay.store import RelayStore


@dataclass(frozen=True, slots=True)
class RelayConfig:
    heartbeat: float = 15.0
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    forward: ForwardPolicy = field(default_factory=ForwardPolicy)
    forwarding: bool = True
    auth_cache_ttl: float = 1.0
    # Safety net for PostgreSQL: poll for other instances' events even if a NOTIFY is lost.
    shared_poll_interval: float = 1.0
    # Recent events kept in memory for live streams; older cursors replay from the database.
    feed_window: int = 20_000
    feed_window_bytes: int = 64 * 1024 * 1024


@dataclass(eq=False)
class RelayState:
    store: RelayStore
    config: RelayConfig
    metrics: Metrics
    auth: Authenticator
    feed: EventFeed
    writer: IntakeWriter
    forwarder: Forwarder
    streams: set[asyncio.Task[Any]] = field(default_factory=set)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    closing: bool = False
    listen_stop: asyncio.Event = field(default_factory=asyncio.Event)


RELAY: web.AppKey[RelayState] = web.AppKey("relay", RelayState)
