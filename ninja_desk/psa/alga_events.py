"""Alga's event bus: what NinjaDesk publishes so Alga's SLA timers, e-mails, in-app
notifications, search and alert reset see NinjaDesk's ticket changes as its own.

Alga's side effects run in subscribers of its Redis streams, not in triggers. A ticket write
queues its event in `ninjadesk_events_outbox` (alga_event true) in the same transaction
(tickets.py); after commit, `AlgaEventPublisher.drain` sends pending rows to Redis and marks
them published. A crash between commit and publish loses nothing: the rows stay pending and
the next drain (after the next commit, or on agent start) sends them. Delivery is at least
once; an event keeps its id on every retry, so a consumer can tell a repeat.

Stream format (alga/README.md): XADD to `<prefix><stream prefix><channel>:<EVENT_TYPE>`
(default `alga-psa:event-stream:global:TICKET_CREATED`), fields `event` = JSON {eventType,
payload, id, timestamp} and `channel`, trimmed to about 1,000 entries.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ninja_desk.environment import environment, reveal, variable
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import ninjadesk_events_outbox

if TYPE_CHECKING:
    from ninja_desk.psa.integration_settings import IntegrationSettings
    from ninja_desk.psa.tenancy import PsaDatabase

log = logging.getLogger(__name__)

TICKET_CREATED = "TICKET_CREATED"
TICKET_UPDATED = "TICKET_UPDATED"
TICKET_CLOSED = "TICKET_CLOSED"
TICKET_COMMENT_ADDED = "TICKET_COMMENT_ADDED"
TICKET_EVENTS = (TICKET_CREATED, TICKET_UPDATED, TICKET_CLOSED, TICKET_COMMENT_ADDED)

# `global`: SLA, search, webhooks, RMM alert reset; `internal-notifications`: in-app;
# `emailservice::v7`: ticket e-mails. Ticket events go to all three, as Alga's own do.
CHANNELS = ("global", "internal-notifications", "emailservice::v7")
DEFAULT_PREFIX = "alga-psa:"
DEFAULT_STREAM_PREFIX = "event-stream:"
MAXLEN = 1000
PASSWORD_ENV = variable("alga_redis_password")

NOT_CONFIGURED = (
    "No Alga Redis is configured, so Alga will not see NinjaDesk's ticket events: no SLA "
    "start or SLA resolution for its tickets, no ticket e-mails or in-app notifications, no "
    "live search indexing, and closing a NinjaDesk ticket in Alga's own alert reset flow is not "
    "triggered; set it with `ninja-desk psa setup --alga-redis-url URL`."
)


def events_status(settings: IntegrationSettings) -> str | None:
    """None when Alga's events are published; else one sentence of what will not happen in
    Alga (for `psa check` and Settings)."""
    return None if settings.alga_redis_url else NOT_CONFIGURED


# -- payloads --------------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def ticket_created_payload(
    tenant: uuid.UUID, ticket_id: uuid.UUID, actor_user_id: uuid.UUID | None, at: datetime
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "tenantId": str(tenant),
        "occurredAt": _iso(at),
        "ticketId": str(ticket_id),
        "actorType": "USER" if actor_user_id else "SYSTEM",
    }
    if actor_user_id:
        payload["actorUserId"] = str(actor_user_id)
        payload["userId"] = str(actor_user_id)
    return payload


def ticket_changed_payload(
    tenant: uuid.UUID,
    ticket_id: uuid.UUID,
    user_id: uuid.UUID | None,
    changes: dict[str, Any],
    at: datetime,
) -> dict[str, Any]:
    """TICKET_UPDATED / TICKET_CLOSED: the ticket and the change."""
    payload: dict[str, Any] = {
        "tenantId": str(tenant),
        "occurredAt": _iso(at),
        "ticketId": str(ticket_id),
        "changes": changes,
    }
    if user_id:
        payload["userId"] = str(user_id)
    return payload


def comment_added_payload(
    tenant: uuid.UUID,
    ticket_id: uuid.UUID,
    comment_id: uuid.UUID,
    content: str,
    *,
    user_id: uuid.UUID | None,
    author: str,
    is_internal: bool,
    author_type: str,
    at: datetime,
) -> dict[str, Any]:
    return {
        "tenantId": str(tenant),
        "occurredAt": _iso(at),
        "ticketId": str(ticket_id),
        "userId": str(user_id) if user_id else None,
        "comment": {
            "id": str(comment_id),
            "content": content,
            "author": author,
            "isInternal": is_internal,
            "authorType": author_type,
        },
    }


def envelope(
    event_id: uuid.UUID, event_type: str, payload: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {"eventType": event_type, "payload": payload, "id": str(event_id), "timestamp": _iso(at)}


def stream_name(
    event_type: str,
    channel: str,
    prefix: str = DEFAULT_PREFIX,
    stream_prefix: str = DEFAULT_STREAM_PREFIX,
) -> str:
    return f"{prefix}{stream_prefix}{channel}:{event_type}"


# -- publishing ------------------------------------------------------------------------------


class AlgaEventPublisher:
    """Sends pending Alga events of the outbox to Alga's Redis streams."""

    def __init__(
        self,
        psa: PsaDatabase,
        redis_url: str,
        *,
        password: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        stream_prefix: str = DEFAULT_STREAM_PREFIX,
        channels: tuple[str, ...] = CHANNELS,
        batch: int = 500,
    ) -> None:
        import redis

        self.psa = psa
        self.prefix = prefix
        self.stream_prefix = stream_prefix
        self.channels = channels
        self.batch = batch
        password = password or reveal(environment().alga_redis_password)
        kwargs: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 5}
        if password:
            kwargs["password"] = password
        self.redis = redis.Redis.from_url(redis_url, **kwargs)
        self._lock = threading.Lock()
        self._detach: Callable[[], None] | None = None

    def close(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None
        self.redis.close()

    def attach(self) -> AlgaEventPublisher:
        """Drain after every commit that queued Alga events on this PsaDatabase."""
        if self._detach is None:
            self._detach = self.psa.bus.on_alga_events(self._after_commit)
        return self

    def _after_commit(self, tenants: set[uuid.UUID]) -> None:
        for tenant in sorted(tenants, key=str):
            try:
                self.drain(tenant)
            except Exception as exc:  # the rows stay pending; the next drain retries them
                log.warning("Publishing Alga events failed (%s); they stay queued.", exc)

    def drain(self, tenant: uuid.UUID) -> int:
        """Publish every pending Alga event of `tenant`; returns how many were sent.

        Rows are claimed with FOR UPDATE SKIP LOCKED (PostgreSQL), so two agents draining at
        once send each event once in the normal case; published_at is written after XADD in
        the same transaction, so a crash in between sends it again (at least once).
        """
        sent = 0
        with self._lock:
            while True:
                count = self._drain_batch(tenant)
                sent += count
                if count < self.batch:
                    return sent

    def _drain_batch(self, tenant: uuid.UUID) -> int:
        t = ninjadesk_events_outbox
        with self.psa.tenant_session(tenant) as s:
            query = (
                sa.select(t.c.event_id, t.c.event_type, t.c.payload, t.c.occurred_at)
                .where(t.c.tenant == tenant, t.c.alga_event.is_(True), t.c.published_at.is_(None))
                .order_by(t.c.occurred_at, t.c.event_id)
                .limit(self.batch)
            )
            if s.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = s.conn.execute(query).all()
            if not rows:
                return 0
            try:
                pipe = self.redis.pipeline(transaction=False)
                for r in rows:
                    body = json.dumps(
                        envelope(r.event_id, r.event_type, dict(r.payload), r.occurred_at)
                    )
                    for channel in self.channels:
                        pipe.xadd(
                            stream_name(r.event_type, channel, self.prefix, self.stream_prefix),
                            {"event": body, "channel": channel},
                            maxlen=MAXLEN,
                            approximate=True,
                        )
                pipe.execute()
            except Exception as exc:
                s.conn.execute(
                    t.update()
                    .where(t.c.tenant == tenant, t.c.event_id.in_([r.event_id for r in rows]))
                    .values(attempts=t.c.attempts + 1, last_error=str(exc)[:1000])
                )
                raise
            s.conn.execute(
                t.update()
                .where(t.c.tenant == tenant, t.c.event_id.in_([r.event_id for r in rows]))
                .values(published_at=utcnow(), attempts=t.c.attempts + 1, last_error=None)
            )
            return len(rows)


_PUBLISHERS: dict[tuple[int, str], AlgaEventPublisher] = {}
_REGISTRY_LOCK = threading.Lock()


def ensure_publisher(
    psa: PsaDatabase, settings: IntegrationSettings, **kwargs: Any
) -> AlgaEventPublisher | None:
    """The attached publisher of this database for the configured Redis (one per URL), or
    None when no Alga Redis is configured (see `events_status`)."""
    if not settings.alga_redis_url:
        return None
    key = (id(psa), settings.alga_redis_url)
    with _REGISTRY_LOCK:
        publisher = _PUBLISHERS.get(key)
        if publisher is None or publisher.psa is not psa:
            publisher = AlgaEventPublisher(psa, settings.alga_redis_url, **kwargs).attach()
            _PUBLISHERS[key] = publisher
    return publisher


def start(psa: PsaDatabase, tenant: uuid.UUID, settings: IntegrationSettings) -> str | None:
    """On agent (or desktop) start: attach the publisher and send what a crash left pending.
    Returns None, or one sentence saying why Alga will not get NinjaDesk's events."""
    publisher = ensure_publisher(psa, settings)
    if publisher is None:
        return NOT_CONFIGURED
    try:
        publisher.drain(tenant)
    except Exception as exc:
        return (
            f"Alga's Redis at {settings.alga_redis_url} did not take NinjaDesk's events ({exc}); "
            "they stay queued and are sent when it is reachable."
        )
    return None


def forget_publishers(psa: PsaDatabase) -> None:
    """Detach and close this database's publishers (on disconnect, in tests)."""
    with _REGISTRY_LOCK:
        for key in [k for k, p in _PUBLISHERS.items() if p.psa is psa]:
            _PUBLISHERS.pop(key).close()
