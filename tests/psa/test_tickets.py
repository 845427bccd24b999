from __future__ import annotations

import pytest

from ninja_desk.psa import tickets
from ninja_desk.psa.clients import create_client, list_clients
from ninja_desk.psa.errors import NotFound
from ninja_desk.sync.psa_push import push_snapshots
from tests.psa.builders import device, snapshot
from tests.psa.helpers import setup_integration


def test_tickets_numbers_links_comments_and_reads(psa):
    integration, clients = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "Acme"})
    push_snapshots(
        psa.psa, psa.tenant, integration, [snapshot(device(1)), snapshot(device(2))], full=True
    )
    from ninja_desk.psa.assets import find_by_device

    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        a1 = find_by_device(s, integration, 1).asset_id
        a2 = find_by_device(s, integration, 2).asset_id
        first = tickets.create_ticket(
            s,
            client_id=clients[1],
            title="Disk full",
            description="C:",
            priority="high",
            asset_ids=[a1],
        )
        second = tickets.create_ticket(
            s, client_id=clients[1], title="Slow", channel="Monitoring", source="rmm_alert"
        )
        tickets.link_assets(s, second.ticket_id, [a1, a2])
        tickets.link_assets(s, second.ticket_id, [a1])  # idempotent
        tickets.add_comment(s, first.ticket_id, "Customer called")
        tickets.add_comment(s, first.ticket_id, "Cleaned temp files", is_internal=True)

        assert (first.ticket_number, second.ticket_number) == ("TIC000001", "TIC000002")
        assert (first.status, first.priority, first.channel) == ("New", "high", "General")
        assert second.channel == "Monitoring" and second.source == "rmm_alert"
        assert [t.ticket_number for t in tickets.tickets_for_asset(s, a1)] == [
            "TIC000002",
            "TIC000001",
        ]
        assert [t.ticket_number for t in tickets.tickets_for_asset(s, a2)] == ["TIC000002"]
        assert [c.body for c in tickets.list_comments(s, first.ticket_id)] == [
            "Customer called",
            "Cleaned temp files",
        ]
        public = tickets.list_comments(s, first.ticket_id, include_internal=False)
        assert [c.body for c in public] == ["Customer called"]
        assert len(tickets.list_tickets(s)) == 2
        assert len(tickets.list_tickets(s, client_id=clients[1], open_only=True)) == 2
        assert [c.name for c in list_clients(s)] == ["Acme"]
        assert tickets.list_tickets(s, updated_since=second.updated_at)[0].ticket_id in {
            first.ticket_id,
            second.ticket_id,
        }
        with pytest.raises(NotFound, match="priorit"):
            tickets.create_ticket(s, client_id=clients[1], title="x", priority="apocalyptic")


def test_ticket_needs_an_acting_user(psa):
    from ninja_desk.psa.errors import PermissionDenied

    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        client = create_client(s, "Acme")
    with psa.psa.tenant_session(psa.tenant) as s, pytest.raises(PermissionDenied):
        tickets.create_ticket(s, client_id=client, title="who?")
