"""Ticket numbers with the tenant's prefix (TIC000042) sort and read like numbers."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ninja_desk.cache.store import LocalCache
from ninja_desk.ui.models.ticket_table_model import TicketTableModel


def test_prefixed_and_plain_numbers_sort_in_order_and_show_once(qtbot, tmp_path) -> None:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    numbers = ["TIC000010", "TIC000009", "TIC000100", "2041", "999"]
    cache.write_blocking(
        lambda conn: conn.exec_driver_sql(
            "INSERT INTO psa_tickets (id, number, title, status, priority, updated_at) "
            "VALUES (?, ?, 'Disk full', 'New', 'P1 - Critical', 1)",
            [(f"t{i}", n) for i, n in enumerate(numbers)],
        )
    )
    model = TicketTableModel(cache)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    shown = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert shown == ["#999", "#2041", "TIC000009", "TIC000010", "TIC000100"]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, 0)) == "TIC000100"
    assert model.data(model.index(0, 4)) == "P1 - Critical"  # the tenant's name, as is
    cache.close()
