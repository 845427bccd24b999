"""PSA tickets from the cache mirror (psa_tickets), with how many devices each links.

The SQL and the filter are cache/queries/tickets.py's; this model pages, sorts and formats."""

from __future__ import annotations

from typing import Any

from ninja_desk.cache.queries import tickets as tq
from ninja_desk.ui.models.paged_sql import PagedSqlModel, SqlColumn, format_time

TICKET_COLUMNS: tuple[SqlColumn, ...] = (
    # Numbers may carry the tenant's prefix (TIC000042): shorter first, then as text.
    SqlColumn("number", "Ticket", "length(t.number)|t.number"),
    SqlColumn("title", "Title", "t.title COLLATE NOCASE"),
    SqlColumn("client_name", "Client", "t.client_name COLLATE NOCASE"),
    SqlColumn("status", "Status", "t.status"),
    SqlColumn("priority", "Priority", "t.priority"),
    SqlColumn("devices", "Devices", "devices"),
    SqlColumn("updated_at", "Updated", "t.updated_at"),
)


class TicketTableModel(PagedSqlModel):
    columns = TICKET_COLUMNS
    numeric = frozenset({"devices"})
    tooltip_keys = frozenset({"title"})
    tie_breaker = "t.id"
    initial_sort = (6, True)  # recently updated first

    def __init__(self, cache: Any, parent: Any = None) -> None:
        super().__init__(cache, parent)
        self.filter = tq.TicketFilter()

    def select_sql(self) -> tuple[str, dict[str, Any]]:
        return tq.ticket_rows_sql(self.filter)

    def cell_text(self, row: dict[str, Any], key: str) -> str:
        text = ticket_cell_text(row, key)
        return super().cell_text(row, key) if text is None else text


def ticket_cell_text(row: dict[str, Any], key: str) -> str | None:
    """How a ticket list shows number, priority and time (None: the column's plain value).
    Shared by every list of tickets (Tickets view, a client's page)."""
    if key == "number":
        number = str(row.get("number") or "")
        if not number:
            return str(row.get("id") or "")
        return f"#{number}" if number.isdigit() else number
    if key == "priority":  # the tenant's own name ("P1 - Critical"), as Alga shows it
        return str(row.get("priority") or "")
    if key == "updated_at":
        return format_time(row.get("updated_at") or row.get("created_at"))
    return None
