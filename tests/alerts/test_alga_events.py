"""Alga's bus: ticket events reach the local Redis (127.0.0.1:6379) in Alga's stream format,
after commit, at least once, and nothing is lost when the publish fails or never ran."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

from ninja_desk.psa import alga_events, tickets
from ninja_desk.psa.integration_settings import IntegrationSettings
from ninja_desk.psa.schema import ninjadesk_events_outbox
from tests.alerts.seed import add_client
from tests.psa.conftest import PsaEnv

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    value = f"ndtest-{uuid.uuid4().hex[:10]}:"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{value}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _entries(prefix: str, channel: str, event_type: str) -> list[dict]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        rows = client.xrange(alga_events.stream_name(event_type, channel, prefix))
    finally:
        client.close()
    out = []
    for _id, fields in rows:
        assert fields["channel"] == channel
        out.append(json.loads(fields["event"]))
    return out


def _pending(psa: PsaEnv) -> int:
    t = ninjadesk_events_outbox.c
    with psa.psa.tenant_session(psa.tenant) as s:
        return s.conn.scalar(
            sa.select(sa.func.count()).where(
                t.tenant == psa.tenant, t.alga_event.is_(True), t.published_at.is_(None)
            )
        )


def test_ticket_events_reach_alga_streams_after_commit(psa: PsaEnv, prefix: str) -> None:
    settings = IntegrationSettings(uuid.uuid4(), alga_redis_url=REDIS_URL)
    publisher = alga_events.ensure_publisher(psa.psa, settings, prefix=prefix)
    assert publisher is not None and alga_events.events_status(settings) is None
    try:
        with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
            client = add_client(s, "Acme")
            ticket = tickets.create_ticket(s, client_id=client, title="Printer jammed")
            tickets.add_comment(s, ticket.ticket_id, "On my way", is_internal=True)
            # Nothing is sent before commit.
            assert _entries(prefix, "global", "TICKET_CREATED") == []
        for channel in alga_events.CHANNELS:
            (created,) = _entries(prefix, channel, "TICKET_CREATED")
            assert created["eventType"] == "TICKET_CREATED"
            assert created["payload"]["ticketId"] == str(ticket.ticket_id)
            assert created["payload"]["tenantId"] == str(psa.tenant)
            assert created["payload"]["occurredAt"] and created["timestamp"]
            uuid.UUID(created["id"])
        (comment,) = _entries(prefix, "global", "TICKET_COMMENT_ADDED")
        assert comment["payload"]["comment"]["content"] == "On my way"
        assert comment["payload"]["comment"]["isInternal"] is True
        assert comment["payload"]["userId"] == str(psa.admin_id)
        assert _pending(psa) == 0
        with psa.psa.tenant_session(psa.tenant) as s:
            tickets.close_tickets(s, [ticket.ticket_id])
        (closed,) = _entries(prefix, "global", "TICKET_CLOSED")
        assert closed["payload"]["ticketId"] == str(ticket.ticket_id)
        assert closed["payload"]["changes"]["is_closed"] is True
    finally:
        alga_events.forget_publishers(psa.psa)


def test_a_failed_or_missed_publish_is_sent_later_and_nothing_is_lost(
    psa: PsaEnv, prefix: str
) -> None:
    # Redis down (nothing listens on port 1): the commit succeeds, the events stay queued.
    down = IntegrationSettings(uuid.uuid4(), alga_redis_url="redis://127.0.0.1:1/0")
    alga_events.ensure_publisher(psa.psa, down, prefix=prefix)
    try:
        with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
            client = add_client(s, "Acme")
            ticket = tickets.create_ticket(s, client_id=client, title="Disk full")
    finally:
        alga_events.forget_publishers(psa.psa)
    assert _pending(psa) == 1
    # As if the process had died between commit and publish: the next start sends it.
    up = IntegrationSettings(uuid.uuid4(), alga_redis_url=REDIS_URL)
    try:
        publisher = alga_events.ensure_publisher(psa.psa, up, prefix=prefix)
        assert publisher is not None
        assert publisher.drain(psa.tenant) == 1
        (created,) = _entries(prefix, "global", "TICKET_CREATED")
        assert created["payload"]["ticketId"] == str(ticket.ticket_id)
        assert publisher.drain(psa.tenant) == 0  # sent once
    finally:
        alga_events.forget_publishers(psa.psa)
    assert _pending(psa) == 0


def test_without_redis_one_sentence_says_what_alga_will_not_do() -> None:
    sentence = alga_events.events_status(IntegrationSettings(uuid.uuid4()))
    assert sentence is not None and sentence.count(". ") == 0 and sentence.endswith(".")
    assert "SLA" in sentence and "e-mail" in sentence


def test_an_alert_ticket_and_its_reset_reach_alga(prefix: str, alerts) -> None:
    """Agent path: a configured Alga Redis gets TICKET_CREATED, the system note and, when the
    alert resets, TICKET_CLOSED, each right after its commit."""
    from ninja_desk.psa.integration_settings import load_settings, save_settings
    from tests.alerts.payloads import activity

    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        current = load_settings(s, alerts.integration)
        configured = IntegrationSettings(
            current.integration_id,
            current.mode,
            current.board_id,
            current.service_user_id,
            current.severity_priorities,
            REDIS_URL,
        )
        save_settings(s, configured)
    # The pipeline finds this publisher (same database, same URL), with the test's prefix.
    alga_events.ensure_publisher(alerts.psa, configured, prefix=prefix)
    try:
        alerts.rule("everything", 10)
        pipe = alerts.pipeline()
        pipe.ingest_payloads([activity(1, "to-alga")])
        ticket_id = str(alerts.alert("to-alga")["ticket_id"])
        (created,) = _entries(prefix, "global", "TICKET_CREATED")
        assert created["payload"]["ticketId"] == ticket_id
        assert created["payload"]["actorType"] == "SYSTEM"
        (note,) = _entries(prefix, "global", "TICKET_COMMENT_ADDED")
        assert note["payload"]["comment"]["authorType"] == "unknown"
        assert note["payload"]["userId"] == str(alerts.env.admin_id)  # the service user
        pipe.ingest_payloads([activity(2, "to-alga", "RESET")])
        (closed,) = _entries(prefix, "global", "TICKET_CLOSED")
        assert closed["payload"]["ticketId"] == ticket_id
        assert _entries(prefix, "emailservice::v7", "TICKET_CLOSED") != []
    finally:
        alga_events.forget_publishers(alerts.psa)
