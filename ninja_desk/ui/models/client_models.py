"""The clients list and a client page's devices and open tickets (SQL from
cache/queries/clients.py, paged like every big table)."""

from __future__ import annotations

import time
from typing import Any

from ninja_desk.cache.queries import clients as cq
from ninja_desk.ui.formatting import ago, alerts_text, status_text
from ninja_desk.ui.models.async_paged import AsyncPagedSqlModel
from ninja_desk.ui.models.paged_sql import SqlColumn
from ninja_desk.ui.models.ticket_table_model import TICKET_COLUMNS, ticket_cell_text
from ninja_desk.ui.theme import BAD, MUTED


class ClientListModel(AsyncPagedSqlModel):
    columns = (
        SqlColumn("name", "Client", "o.name COLLATE NOCASE"),
        SqlColumn("devices", "Devices", "devices"),
        SqlColumn("offline", "Offline", "offline"),
        SqlColumn("alerts", "Alerts", "alerts"),
    )
    numeric = frozenset({"devices", "offline", "alerts"})
    tooltip_keys = frozenset({"name"})  # the whole name when a narrow list elides it
    tie_breaker = "o.id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.search = ""

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return cq.client_list_sql(self.search)


class ClientDevicesModel(AsyncPagedSqlModel):
    columns = (
        SqlColumn("name", "Device", "d.name COLLATE NOCASE"),
        SqlColumn("offline", "Status", "coalesce(d.offline, 2)"),
        SqlColumn("active_alerts", "Alerts", "d.max_alert_severity|d.active_alerts"),
        SqlColumn("pending", "Pending", "pending"),
        SqlColumn("failed", "Failed", "failed"),
        SqlColumn("last_contact", "Last seen", "d.last_contact"),
        SqlColumn("os_name", "OS", "d.os_name COLLATE NOCASE"),
    )
    numeric = frozenset({"pending", "failed"})
    tie_breaker = "d.id"

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.org_id = 0
        self._now = time.time()

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return cq.client_devices_sql(self.org_id)

    def reload_async(self) -> None:
        self._now = time.time()
        super().reload_async()

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        if key == "offline":
            return status_text(row.get("offline"))
        if key == "active_alerts":
            return alerts_text(row.get("active_alerts"), row.get("max_alert_severity"))
        if key in self.numeric and not row.get(key):
            return ""  # a column of zeros hides the few devices that need work
        if key == "last_contact":
            return ago(row.get("last_contact"), self._now)
        if key == "os_name":
            return str(row.get("os_name") or "—")
        return super().cell_text(row, key)

    def colour(self, row: dict[str, Any], key: str) -> str | None:
        if key == "offline" and row.get("offline") != 0:
            return MUTED
        if key == "failed" and row.get("failed"):
            return BAD
        return None


class ClientTicketsModel(AsyncPagedSqlModel):
    # The Tickets view's columns without the client: the page is the client's.
    columns = tuple(c for c in TICKET_COLUMNS if c.key != "client_name")
    numeric = frozenset({"devices"})
    tooltip_keys = frozenset({"title"})
    tie_breaker = "t.id"
    initial_sort = (len(columns) - 1, True)  # recently updated first

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.org_id = 0

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return cq.open_tickets_sql(self.org_id)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        text = ticket_cell_text(row, key)
        return super().cell_text(row, key) if text is None else text
